/**
 * The reminder dialogue (confirm or cancel a visit): the machine, its version, and what the runtime
 * needs to wire it.
 *
 * @module
 */

export {
  CHOICE as REMINDER_CHOICE,
  REMINDER_PHRASE_KEYS,
  REMINDER_PLURAL_KEYS,
  type ReminderChoice,
  type ReminderPhraseKey,
} from './menus.js';
export {
  cancelRequest,
  confirmRequest,
  REMINDER_MACHINE_VERSION,
  type ReminderContext,
  type ReminderEvent,
  type ReminderInput,
  type ReminderSettings,
  type ReminderStart,
  reminderActors,
  reminderInput,
  reminderMachine,
} from './reminder.machine.js';
