/**
 * How a due notification job opens a dialogue in the client's chat: a reminder (confirm or
 * cancel the visit) or a feedback request. Both are bulk work, so a client's own replies go first.
 *
 * @module
 */
import type { StartFeedback, StartReminder } from '../notify/job-handlers.js';
import { FEEDBACK, type FeedbackData, REMINDER, type ReminderData } from './machines.js';
import type { DialogueRuntime } from './runtime.js';

export function notificationDialogues(runtime: () => Pick<DialogueRuntime, 'startDialogue'>): {
  startReminder: StartReminder;
  startFeedback: StartFeedback;
} {
  return {
    startReminder: ({ channel, chatId, text, record, issuedAt, idempotencyKey }) =>
      runtime().startDialogue(channel, chatId, REMINDER, { text, record, issuedAt } satisfies ReminderData, {
        recordId: record.id,
        idempotencyKey,
        priority: 'bulk',
      }),
    startFeedback: ({ channel, chatId, text, record, idempotencyKey }) =>
      runtime().startDialogue(channel, chatId, FEEDBACK, { text, record } satisfies FeedbackData, {
        recordId: record.id,
        idempotencyKey,
        priority: 'bulk',
      }),
  };
}
