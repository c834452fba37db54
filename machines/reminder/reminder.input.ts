/**
 * What a reminder dialogue starts with and keeps, defined once: the engine builds the input with
 * {@link reminderInput}, and the machine's context is that input plus the dialogue's progress.
 *
 * @module
 */
import type { CancellationMode, ConfirmationMode, ReminderRecord } from '../../src/domain/reminder.js';
import { durationsOf, type Settings } from '../../src/domain/settings.js';
import type { HoldsMenu } from '../shared/menu-kit.js';
import type { ReminderChoice } from './menus.js';

/** What the notify layer knows when a reminder goes out. */
export interface ReminderStart {
  /** The dialogue's stable id in the store; idempotency keys are `${dialogueId}:confirm|cancel`. */
  dialogueId: string;
  /** The reminder template, rendered by the notify layer in the template's language. */
  text: string;
  record: ReminderRecord;
  /**
   * When the reminder goes out (ms epoch; the job's due time, or now if it is late). The machine has
   * no clock: the menu closes at `issuedAt + confirmMenuTtlMs`, which the Cancel check compares
   * with the runtime's `now` in case a press is handled before an overdue deadline was delivered.
   */
  issuedAt: number;
}

/** The salon's settings a reminder dialogue runs with, read when it starts. */
export interface ReminderSettings {
  /** `records.confirmMenuTtl` in ms. */
  confirmMenuTtlMs: number;
  /** `records.cancelNotLaterThan` in ms. */
  cancelNotLaterThanMs: number;
  /** `records.confirmation`. */
  confirmation: ConfirmationMode;
  /** `records.confirmedColor` (`#rrggbb`); used only when `confirmation` is `color`. */
  confirmedColor: string;
  /** `records.cancellation`. */
  cancellation: CancellationMode;
  /** `records.protectPrepaid`. */
  protectPrepaid: boolean;
}

/** What the engine starts a reminder dialogue with: the rendered reminder, its record, and settings. */
export interface ReminderInput extends ReminderStart, ReminderSettings {
  /** Pause before a failed write is tried again; `DEFAULT_RETRY_DELAY_MS` when absent. */
  retryDelayMs?: number | undefined;
}

/** The machine's context: JSON-safe plain data only, since the snapshot is persisted after each event. */
export interface ReminderContext extends Omit<ReminderStart, 'issuedAt'>, ReminderSettings, HoldsMenu {
  /** `issuedAt + confirmMenuTtlMs`. The input's record is kept with date, time and prepaid from the last Cancel check. */
  menuClosesAt: number;
  retryDelayMs: number;
  /** What the client asked for last. */
  action: ReminderChoice | null;
  /** Failed attempts of the current write. */
  writeFailures: number;
  /** Why the last write failed, for the admin (never shown to the client). */
  failure: string | null;
}

/** The input for a reminder going out now, with the salon's current settings. */
export function reminderInput(settings: Settings, start: ReminderStart): ReminderInput {
  const durations = durationsOf(settings);
  return {
    ...start,
    confirmMenuTtlMs: durations.confirmMenuTtl,
    cancelNotLaterThanMs: durations.cancelNotLaterThan,
    confirmation: settings.records.confirmation,
    confirmedColor: settings.records.confirmedColor,
    cancellation: settings.records.cancellation,
    protectPrepaid: settings.records.protectPrepaid,
  };
}
