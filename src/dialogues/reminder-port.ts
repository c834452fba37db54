import type { CachedAltegioApi } from '../altegio/cache.js';
import { AltegioApiError } from '../altegio/errors.js';
import type { Clock } from '../domain/clock.js';
import type { ReminderPort } from '../domain/reminder.js';

/**
 * The reminder machine's Altegio writes. Each is safe to repeat: confirming an already confirmed
 * visit, or cancelling one that is already gone, changes nothing and succeeds.
 */
export function createAltegioReminderPort(altegio: CachedAltegioApi, clock: Clock): ReminderPort {
  return {
    async confirmVisit(request, signal) {
      if (request.how === 'color') {
        await altegio.setRecordColor(request.companyId, request.recordId, request.color.replace(/^#/, ''), {
          signal,
        });
      } else {
        await altegio.setAttendance(request.companyId, request.recordId, 2, { signal });
      }
    },
    async cancelVisit(request, signal) {
      if (request.how === 'delete') {
        try {
          await altegio.deleteRecord(request.companyId, request.recordId, { signal });
        } catch (error) {
          // Already deleted (by us before a crash, or by the salon): the client's wish holds.
          if (!(error instanceof AltegioApiError && error.kind === 'not-found')) throw error;
        }
      } else {
        await altegio.setAttendance(request.companyId, request.recordId, -1, { signal });
      }
    },
    async checkCancellation({ companyId, recordId }, signal) {
      try {
        const record = await altegio.getRecord(companyId, recordId, { signal });
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
