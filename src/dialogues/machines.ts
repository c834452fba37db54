import {
  BOOKING_MACHINE_VERSION,
  type BookingInput,
  bookingActors,
  bookingMachine,
} from '../../machines/booking/index.js';
import { FEEDBACK_MACHINE_VERSION, feedbackActors, feedbackMachine } from '../../machines/feedback/index.js';
import { REMINDER_MACHINE_VERSION, reminderActors, reminderMachine } from '../../machines/reminder/index.js';
import type { BookingPort } from '../domain/booking.js';
import type { FeedbackPort } from '../domain/feedback.js';
import type { ReminderPort } from '../domain/reminder.js';
import { durationsOf, type Settings } from '../domain/settings.js';
import { botT } from '../templates/i18n.js';
import type { MachineRegistry } from './registry.js';

/** The id `/start` and `/book` begin. */
export const BOOKING = 'booking';
/** Started by the notification worker when a reminder is due. */
export const REMINDER = 'reminder';
/** Started by the notification worker after a visit the client came to. */
export const FEEDBACK = 'feedback';

/** Every machine the runtime can run, with the runtime's Altegio calls provided. */
export function createMachineRegistry(options: {
  settings: () => Settings;
  booking: BookingPort;
  reminder: ReminderPort;
  feedback: FeedbackPort;
}): MachineRegistry {
  const booking = bookingMachine.provide({ actors: bookingActors(options.booking) });
  return {
    [BOOKING]: {
      id: BOOKING,
      version: BOOKING_MACHINE_VERSION,
      machine: booking,
      input({ conversation, language, displayName, dialogueKey }): BookingInput {
        // Settings are read when the dialogue starts: a change applies to the next booking.
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
    },
    [REMINDER]: {
      id: REMINDER,
      version: REMINDER_MACHINE_VERSION,
      machine: reminderMachine.provide({ actors: reminderActors(options.reminder) }),
    },
    [FEEDBACK]: {
      id: FEEDBACK,
      version: FEEDBACK_MACHINE_VERSION,
      machine: feedbackMachine.provide({ actors: feedbackActors(options.feedback) }),
    },
  };
}
