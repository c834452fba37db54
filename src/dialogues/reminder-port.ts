import type { CachedAltegioApi } from '../altegio/cache.js';
import type { CallScope } from '../altegio/client.js';
import { AltegioApiError } from '../altegio/errors.js';
import type { Clock } from '../domain/clock.js';
import type { CancelVisitRequest, ConfirmVisitRequest, ReminderPort } from '../domain/reminder.js';

/** Where Confirm and Cancel go: a durable queue (`src/notify/visit-writes.ts`). */
export interface VisitWriteQueue {
  queue(
    request:
      | { action: 'confirm'; write: ConfirmVisitRequest }
      | { action: 'cancel'; write: CancelVisitRequest },
  ): Promise<void>;
}

/**
 * The reminder machine's Altegio side. Confirm and Cancel resolve once durably queued,
 * so the client's answer is acknowledged without waiting for Altegio (busy in a burst, or down);
 * the queue writes, retries and tells the client if it finally cannot. The Cancel check reads the
 * record fresh, so the rules that can refuse a cancellation are decided before acknowledging.
 */
export function createAltegioReminderPort(
  client: CachedAltegioApi,
  clock: Clock,
  writes: VisitWriteQueue,
  scope: CallScope = {},
): ReminderPort {
  // The check that may refuse a cancellation is read while the client waits for the answer.
  const interactive = client.withPriority('booking', scope);
  return {
    async confirmVisit(request) {
      await writes.queue({ action: 'confirm', write: request });
    },
    async cancelVisit(request) {
      await writes.queue({ action: 'cancel', write: request });
    },
    async checkCancellation({ companyId, recordId }, signal) {
      try {
        const record = await interactive.getRecord(companyId, recordId, { signal });
        return {
          now: clock.now(),
          record: { datetime: record.datetime, prepaid: record.paid, deleted: record.deleted },
        };
      } catch (error) {
        if (error instanceof AltegioApiError && error.kind === 'not-found') {
          return { now: clock.now(), record: { datetime: '', prepaid: false, deleted: true } };
        }
        throw error;
      }
    },
  };
}
