import type { CachedAltegioApi } from '../altegio/cache.js';
import { toCalendarDate } from '../altegio/coerce.js';
import type { AltegioRecord } from '../altegio/schemas.js';
import { parseWebhook, type WebhookEvent } from '../altegio/webhooks.js';
import { isRecord } from '../domain/is-record.js';
import type { Logger } from '../log.js';
import type { RecordRow, Store } from '../store/index.js';
import type { RecordChange } from './planner.js';

export interface IngestOptions {
  store: Store;
  altegio: Pick<CachedAltegioApi, 'invalidate' | 'invalidateAvailability'>;
  logger: Logger;
  /** Plans jobs for a record change; runs in the mirror's transaction (its store calls join it). */
  plan?(change: RecordChange): Promise<void>;
  /** Called after jobs may have been planned, so the worker looks at them now. */
  onPlanned?(): void;
  /** A webhook that could not be processed (it stays in the ledger for the next start). Default: logged. */
  onError?(error: unknown, ledgerKey: string): void;
}

/**
 * What a stored Altegio webhook changes in the engine: reference data goes stale, a record's
 * mirror moves forward (never backward: an out-of-order update is ignored). Notification planning
 * builds on the mirror's answer (`changed`, `previous`, `current`).
 */
/**
 * Whether a record change may free or take a slot, so that cached free times must go. A record
 * that keeps its master, time, length and existence does not (a confirmation, a comment, a colour:
 * during a reminder burst those are most webhooks, and each would empty the booking clients'
 * cache). Attendance -1 (no-show) is treated as possibly freeing the slot: Altegio does not say
 * whether it does.
 */
function mayMoveFreeTimes(was: RecordRow | undefined, record: AltegioRecord): boolean {
  if (!was) return true;
  return (
    was.deleted !== record.deleted ||
    was.datetime !== record.datetime ||
    was.seanceLength !== record.seanceLength ||
    was.staffIds.length !== 1 ||
    was.staffIds[0] !== record.staffId ||
    (was.attendance === -1) !== (record.attendance === -1)
  );
}

export function createIngest({ store, altegio, logger, plan, onPlanned, onError }: IngestOptions) {
  /**
   * `backfill`: the event comes from a reconcile sync and describes a record that existed before
   * the engine last looked (first start, or created before the last sync): the planner treats a
   * record it has never seen as known, not as news.
   */
  return async function ingest(
    event: WebhookEvent,
    ledgerKey: string,
    raw: unknown,
    origin: { backfill?: boolean } = {},
  ): Promise<void> {
    try {
      if (event.kind === 'reference') {
        altegio.invalidate(event.companyId, event.resource);
        await store.inbound.markProcessed('altegio', ledgerKey);
      } else if (event.kind === 'record') {
        const { record } = event;
        const data = isRecord(raw) && isRecord(raw.data) ? raw.data : {};
        // Mirror, plan and mark processed together: a crash in between replays the whole webhook.
        const result = await store.transaction(async () => {
          const mirror = await store.records.upsert({
            companyId: record.companyId,
            recordId: record.id,
            clientPhone: record.client?.phone ?? null,
            clientId: record.client?.id ?? null,
            staffIds: [record.staffId],
            datetime: record.datetime,
            seanceLength: record.seanceLength,
            attendance: record.attendance,
            deleted: record.deleted,
            lastChangeDate: event.lastChangeRaw ?? new Date(record.lastChangeDate ?? 0).toISOString(),
            data,
          });
          await plan?.({
            status: event.status,
            record,
            mirror,
            ...(origin.backfill ? { backfill: true } : {}),
          });
          await store.inbound.markProcessed('altegio', ledgerKey);
          return mirror;
        });
        const was = result.previous;
        if (mayMoveFreeTimes(was, record)) {
          // Free times of that master's day changed (`date` is branch-local), and wherever it was before.
          altegio.invalidateAvailability(record.companyId, {
            staffId: record.staffId,
            date: toCalendarDate(record.date || record.datetime) ?? undefined,
          });
          for (const staffId of was?.staffIds ?? []) {
            if (staffId !== record.staffId || was?.datetime !== record.datetime)
              altegio.invalidateAvailability(record.companyId, { staffId });
          }
        }
        if (result.changed) onPlanned?.();
        logger.debug(
          { company: record.companyId, record: record.id, status: event.status, changed: result.changed },
          result.changed ? 'record mirrored' : 'record webhook older than the mirror, ignored',
        );
      } else {
        await store.inbound.markProcessed('altegio', ledgerKey);
      }
    } catch (error) {
      // Left unprocessed in the ledger: start-up replays it.
      if (onError) onError(error, ledgerKey);
      else logger.error({ err: error, ledgerKey }, 'processing an Altegio webhook failed');
    }
  };
}

/** Webhooks stored but not processed when the process stopped are processed now: none is lost. */
export async function replayUnprocessedWebhooks(
  store: Store,
  ingest: ReturnType<typeof createIngest>,
  logger: Logger,
): Promise<void> {
  let replayed = 0;
  for (const row of await store.inbound.unprocessed(100, 'altegio')) {
    const parsed = parseWebhook(row.payload);
    if (parsed.ok) await ingest(parsed.event, row.eventId, row.payload);
    else await store.inbound.markProcessed(row.source, row.eventId);
    replayed += 1;
  }
  if (replayed > 0) logger.info({ replayed }, 'processed webhooks left over from the last run');
}
