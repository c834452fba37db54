/**
 * What the reminder dialogue says, as channel-neutral {@link ReplyMessage}s. Every phrase key the
 * reminder machine can emit is listed in {@link REMINDER_PHRASE_KEYS}, which the locale tests check
 * against all three languages.
 *
 * @module
 */
import { localDateTime } from '../../src/domain/booking.js';
import { cancellationLimit } from '../../src/domain/reminder.js';
import type { Phrase, ReplyMessage } from '../shared/events.js';

// === Phrase keys

/** Every phrase key the reminder machine can emit (plural keys without their `_one`/`_other` suffix). */
export const REMINDER_PHRASE_KEYS = [
  'reminder.message',
  'reminder.option.confirm',
  'reminder.option.cancel',
  'reminder.confirmed',
  'reminder.cancelled',
  'reminder.cancel.tooLateHours',
  'reminder.cancel.tooLateMinutes',
  'reminder.cancel.prepaid',
  'reminder.cancel.already',
  'reminder.cancel.checkFailed',
  'reminder.retrying',
  'reminder.failed.confirm',
  'reminder.failed.cancel',
  'reminder.timedOut',
  'reminder.oldMenu',
  'reminder.chooseOption',
  'reminder.pleaseWait',
] as const;

/** A phrase key of the reminder dialogue; a typo is a compile error, not a raw key in a chat. */
export type ReminderPhraseKey = (typeof REMINDER_PHRASE_KEYS)[number];

/** Keys whose text depends on a `count` param (plural forms in the locales). */
export const REMINDER_PLURAL_KEYS: readonly ReminderPhraseKey[] = [
  'reminder.cancel.tooLateHours',
  'reminder.cancel.tooLateMinutes',
];

function phrase(key: ReminderPhraseKey, params?: Phrase['params']): Phrase {
  return params ? { key, params } : { key };
}

/** A message that is only text. */
export function say(key: ReminderPhraseKey, params?: Phrase['params']): ReplyMessage {
  return { text: phrase(key, params) };
}

// === Options

/**
 * Option values. Their order in the menu is part of the contract: WhatsApp shows a numbered list,
 * and clients answer `1` to confirm and `2` to cancel (a documented behaviour).
 */
export const CHOICE = { confirm: 'confirm', cancel: 'cancel' } as const;

/** One of {@link CHOICE}. */
export type ReminderChoice = (typeof CHOICE)[keyof typeof CHOICE];

const MENU_OPTIONS = [
  { value: CHOICE.confirm, label: phrase('reminder.option.confirm') },
  { value: CHOICE.cancel, label: phrase('reminder.option.cancel') },
];

// === Messages

/**
 * The reminder itself: the salon's template, already rendered by the notify layer in the
 * template's language, with Confirm and Cancel.
 */
export function reminderMenu(text: string): ReplyMessage {
  return { text: phrase('reminder.message', { text }), options: [...MENU_OPTIONS] };
}

/** A nudge with the two options again, for anything that is neither: WhatsApp has no buttons to scroll back to. */
export function chooseOptionMenu(): ReplyMessage {
  return { text: phrase('reminder.chooseOption'), options: [...MENU_OPTIONS] };
}

/** `date` (branch-local day, shown with weekday by the renderer) and `time` of a visit, for the replies. */
export function visitParams(datetime: string): { date: string; time: string } {
  return localDateTime(datetime) ?? { date: '', time: '' };
}

/** The refusal of a late Cancel, naming the salon's limit in the unit the client reads best. */
export function tooLateMessage(cancelNotLaterThanMs: number): ReplyMessage {
  const { unit, count } = cancellationLimit(cancelNotLaterThanMs);
  return say(unit === 'hours' ? 'reminder.cancel.tooLateHours' : 'reminder.cancel.tooLateMinutes', { count });
}
