/**
 * What every dialogue machine hears and says. Channel adapters translate platform updates into
 * these events and render the emitted replies; machines never see a platform type, a language or
 * a clock.
 */

/** Inbound events, normalised by the channel adapter. */
export type UserEvent =
  | { type: 'user.text'; text: string }
  | { type: 'user.choice'; value: string }
  | { type: 'user.contact'; phone: string }
  | { type: 'user.command'; name: 'start' | 'book' | 'cancel' | 'back' };

/**
 * A phrase to be translated by the runtime in the conversation's language (`locales/<lng>/bot.json`).
 * Machines name phrases instead of holding text, so one machine serves every language.
 */
export interface Phrase {
  /**
   * Text that is not ours to translate (a notification template the salon wrote, already rendered in
   * its own language) travels as the `text` param of a key whose translation in every language is
   * exactly `{{text}}`: `reminder.message`, `feedback.request`. i18next inserts params as they are
   * (no escaping, no nested `$t()` or `{{…}}` expansion), so the renderer needs no special case.
   */
  key: string;
  /**
   * Interpolated into the text. By convention a `date` param holds a calendar day `YYYY-MM-DD`
   * (branch-local), which the renderer shows with weekday in the chat's language; `count` selects
   * plural forms.
   */
  params?: Record<string, string | number>;
}

/** One option of a menu: Telegram shows a button, WhatsApp a numbered line. */
export interface ReplyOption {
  /** Short and stable (it travels in Telegram's 64-byte callback data). */
  value: string;
  /** A phrase to translate, or data shown as is (a service or staff name). */
  label: Phrase | string;
}

/** A channel-neutral message. */
export interface ReplyMessage {
  text: Phrase;
  options?: ReplyOption[];
  /** Ask the client to share their phone (Telegram's request_contact keyboard). */
  askContact?: boolean;
}

/**
 * Asks the runtime to tell the salon's admin (`general.adminPhone`) about something a machine
 * could not settle with the client alone. The client has already been told that the salon will
 * contact them, so the runtime must deliver this (outbox row in the same step), not log it.
 */
export interface AdminNotifyIntent {
  type: 'admin.notify';
  /**
   * - `prepaid-cancel-refused`: the client asked to cancel a prepaid visit that the salon's
   *   settings forbid deleting (`records.protectPrepaid` with `records.cancellation: delete`).
   * - `write-failed`: confirming or cancelling failed in Altegio twice; nothing may have changed.
   */
  reason: 'prepaid-cancel-refused' | 'write-failed';
  companyId: number;
  recordId: number;
  /** What the client asked for (always set for `write-failed`). */
  action?: 'confirm' | 'cancel';
  /** Why the write failed, for the admin and the logs; never shown to the client. */
  detail?: string;
}

/**
 * Asks the runtime to create an admin task (`GET /api/tasks`). A comment the client writes later
 * in the same dialogue arrives through the machine's `saveComment` actor, and the runtime attaches
 * it to this task (same record).
 */
export interface TaskCreateIntent {
  type: 'task.create';
  kind: 'poor-rating';
  companyId: number;
  recordId: number;
  rating: number;
}

/**
 * Intents a machine emits (XState `emit`); the runtime listens with `actor.on(type)` and turns each
 * into rows persisted in the same transaction as the step's snapshot. `reply` goes to the client
 * (outbox); `admin.notify` to the admin; `task.create` to the task list. A runtime that does not
 * handle a type must not run a machine that emits it.
 */
export type EmittedEvent = { type: 'reply'; message: ReplyMessage } | DialogueIntent;

/** What a machine emits besides replies: the runtime hands these to the engine's intent handler. */
export type DialogueIntent = AdminNotifyIntent | TaskCreateIntent;
