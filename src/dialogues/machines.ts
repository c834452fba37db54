import {
  BOOKING_MACHINE_VERSION,
  type BookingInput,
  bookingActors,
  bookingMachine,
} from '../../machines/booking/index.js';
import {
  FEEDBACK_MACHINE_VERSION,
  type FeedbackInput,
  feedbackActors,
  feedbackMachine,
} from '../../machines/feedback/index.js';
import {
  REMINDER_MACHINE_VERSION,
  type ReminderInput,
  reminderActors,
  reminderInput,
  reminderMachine,
} from '../../machines/reminder/index.js';
import type { BookingPort } from '../domain/booking.js';
import type { FeedbackPort } from '../domain/feedback.js';
import type { ReminderPort } from '../domain/reminder.js';
import { durationsOf, type Settings } from '../domain/settings.js';
import { botT } from '../templates/i18n.js';
import type { DialogueKind, DialogueKinds } from './registry.js';

/** The booking `/start` and `/book` begin. */
export const BOOKING = 'booking';
/** Started by the notification worker when a reminder is due. */
export const REMINDER = 'reminder';
/** Started by the notification worker after a visit the client came to. */
export const FEEDBACK = 'feedback';

/** What the notification worker knows when a reminder is due. */
export interface ReminderData {
  /** The reminder, already rendered: the dialogue's first reply. */
  text: string;
  record: { companyId: number; id: number; datetime: string; paid: boolean };
  /** When the reminder was planned to go out; its menu closes a TTL after it. */
  issuedAt: number;
}

/** What the notification worker knows after a visit the client came to. */
export interface FeedbackData {
  text: string;
  record: { companyId: number; id: number };
}

/**
 * Every kind of dialogue, with the runtime's Altegio calls provided. Settings are read when a
 * dialogue starts: a change applies to the next one, never to one under way.
 */
export function createDialogueKinds(options: {
  settings: () => Settings;
  booking: BookingPort;
  reminder: ReminderPort;
  feedback: FeedbackPort;
}): DialogueKinds {
  const booking: DialogueKind = {
    id: BOOKING,
    version: BOOKING_MACHINE_VERSION,
    machine: bookingMachine.provide({ actors: bookingActors(options.booking) }),
    startCommands: ['start', 'book'],
    // A reminder must not cut a client's booking short: it waits until the booking ends.
    interruptible: false,
    input({ conversation, language, displayName, dialogueKey }): BookingInput {
      const settings = options.settings();
      return {
        dialogueId: dialogueKey,
        replyTimeoutMs: durationsOf(settings).bookingReplyTimeout,
        chooseStaff: settings.booking.chooseStaff,
        anyStaffOption: settings.booking.anyStaffOption,
        askFullName: settings.booking.askFullName,
        phone: conversation.phone ?? undefined,
        displayName: displayName ?? botT(language)('booking.defaultClientName'),
      };
    },
  };
  const reminder: DialogueKind<ReminderData> = {
    id: REMINDER,
    version: REMINDER_MACHINE_VERSION,
    machine: reminderMachine.provide({ actors: reminderActors(options.reminder) }),
    startCommands: [],
    interruptible: true,
    input: ({ dialogueKey, data: { text, record, issuedAt } }): ReminderInput =>
      reminderInput(options.settings(), {
        dialogueId: dialogueKey,
        text,
        record: {
          companyId: record.companyId,
          recordId: record.id,
          datetime: record.datetime,
          prepaid: record.paid,
        },
        issuedAt,
      }),
  };
  const feedback: DialogueKind<FeedbackData> = {
    id: FEEDBACK,
    version: FEEDBACK_MACHINE_VERSION,
    machine: feedbackMachine.provide({ actors: feedbackActors(options.feedback) }),
    startCommands: [],
    interruptible: true,
    input({ dialogueKey, data: { text, record } }): FeedbackInput {
      const settings = options.settings();
      const branch = settings.branches.find((candidate) => candidate.id === record.companyId);
      return {
        dialogueId: dialogueKey,
        text,
        record: { companyId: record.companyId, recordId: record.id },
        menuTtlMs: durationsOf(settings).feedbackMenuTtl,
        poorRatingAtMost: settings.feedback.poorRatingAtMost,
        reviewLink: branch?.reviewLink || undefined,
        createTaskOnPoorRating: settings.tasks.onPoorRating,
      };
    },
  };
  return { [BOOKING]: booking, [REMINDER]: reminder, [FEEDBACK]: feedback };
}
