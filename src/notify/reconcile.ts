/**
 * Reconcile: the engine's record mirror kept in step with Altegio without relying on webhooks
 * alone. Altegio retries a webhook twice, 1.5 s apart, and only after a transport error, a 429 or
 * a 5xx (integrations-hub docs/webhooks.md), so a restart or an outage loses changes for good; and
 * records that existed before the engine was installed never arrive at all.
 *
 * Per served branch:
 * - at start (first start, or after any downtime): every record from today on
 *   (`GET /records/{company_id}?start_date=`) and, when a sync succeeded before, every record
 *   changed since then, deleted ones included (`changed_after`, `with_deleted=1`);
 * - then every `intervalMs`: the records changed since the last successful sync.
 *
 * Each record goes through the webhook path: it is entered in the inbound ledger under the
 * webhook's own dedupe key and handed to the same ingest (mirror, planner, job dedupe keys), so a
 * record seen both ways plans its jobs once.
 */
import type { AltegioApi } from '../altegio/client.js';
import { parseWebhook, webhookDedupeKey } from '../altegio/webhooks.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../log.js';
import type { RecordSync, Store } from '../store/index.js';
import type { createIngest } from './ingest.js';

export interface ReconcilerOptions {
  store: Pick<Store, 'inbound' | 'syncs' | 'records'>;
  altegio: Pick<AltegioApi, 'iterateRecordsWithRaw'>;
  ingest: ReturnType<typeof createIngest>;
  branchIds(): Promise<number[]>;
  clock: Clock;
  logger: Logger;
  /** Between periodic syncs. Default 5 minutes: a lost webhook costs minutes, not a reminder. */
  intervalMs?: number;
  /**
   * How far before the last sync the next one asks from. Altegio's `changed_after` has second
   * resolution and its time zone handling is undocumented; the overlap is deduped. Default 2 min.
   */
  overlapMs?: number;
  /** Records per page; Altegio documents no maximum for `count`. Default 100. */
  pageSize?: number;
  /**
   * A failed sync (a branch's records, or the list of served branches), for the engine's error hook.
   * Without it the failure is logged here at warn. Either way the next sync retries, and a branch's
   * failure stays recorded for `/health`.
   */
  onError?: (error: unknown, during: string) => void;
}

/** One branch's sync state as `/health` and the console show it. */
export interface SyncStatus {
  companyId: number;
  lastSyncAt: string | null;
  lastFullSyncAt: string | null;
  lastCount: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface Reconciler {
  /** Runs the start-up sync now (in the background) and the periodic ones after it. */
  start(): void;
  /** Stops the timer and waits for a sync in flight. */
  stop(): Promise<void>;
  /** One sync of every served branch; `full` also reads every record from today on. */
  syncAll(full: boolean): Promise<void>;
  /** `initialSyncDone`: the start-up sync has run for every served branch (each succeeded or failed). */
  status(): Promise<{ initialSyncDone: boolean; branches: SyncStatus[] }>;
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

export function statusOf(row: RecordSync): SyncStatus {
  return {
    companyId: row.companyId,
    lastSyncAt: iso(row.lastSyncAt),
    lastFullSyncAt: iso(row.lastFullSyncAt),
    lastCount: row.lastCount,
    lastError: row.lastError,
    lastErrorAt: iso(row.lastErrorAt),
  };
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { store, altegio, ingest, clock, logger } = options;
  const intervalMs = options.intervalMs ?? 5 * 60_000;
  const overlapMs = options.overlapMs ?? 2 * 60_000;
  const pageSize = options.pageSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let initialSyncDone = false;

  const report = (error: unknown, during: string, fields: Record<string, unknown> = {}): void => {
    if (options.onError) options.onError(error, during);
    else logger.warn({ err: error, ...fields }, `${during} failed; the next sync retries`);
  };

  /** Hands one listed record to the webhook path; false when the ledger already had this change. */
  async function feed(
    companyId: number,
    raw: Record<string, unknown>,
    previousSyncAt: number | null,
    createdAt: number | null,
  ): Promise<boolean> {
    // Created after the last look: as news as its lost `create` webhook would have been.
    const isNew = previousSyncAt !== null && createdAt !== null && createdAt > previousSyncAt;
    const deleted = raw.deleted === true || raw.deleted === 1 || raw.deleted === '1';
    const body = {
      company_id: companyId,
      resource: 'record',
      resource_id: raw.id,
      status: deleted ? 'delete' : isNew ? 'create' : 'update',
      data: raw,
    };
    const parsed = parseWebhook(body);
    if (!parsed.ok || parsed.event.kind !== 'record') return false;
    const key = webhookDedupeKey(parsed.event);
    if (!(await store.inbound.recordIfNew('altegio', key, body))) return false;
    await ingest(parsed.event, key, body, { backfill: !isNew });
    return true;
  }

  async function syncBranch(companyId: number, full: boolean): Promise<void> {
    const startedAt = clock.now();
    let last: number | null = null;
    let count = 0;
    let fed = 0;
    // Everything inside: a database that went away fails this sync, reported, not the process.
    try {
      last = (await store.syncs.get(companyId))?.lastSyncAt ?? null;
      // Today in UTC less a day: every branch's "today" is inside, whatever its zone.
      const fromDay = new Date(startedAt - 86_400_000).toISOString().slice(0, 10);
      const queries = [
        ...(full || last === null ? [{ startDate: fromDay, count: pageSize }] : []),
        ...(last !== null
          ? [{ changedAfter: Math.max(0, last - overlapMs), withDeleted: true, count: pageSize }]
          : []),
      ];
      for (const query of queries) {
        for await (const { record, raw } of altegio.iterateRecordsWithRaw(companyId, query)) {
          if (stopped) return;
          count += 1;
          if (await feed(companyId, raw, last, record.createDate)) fed += 1;
        }
      }
      await store.syncs.succeeded(companyId, startedAt, count, full || last === null);
      logger.info({ companyId, count, fed, full: full || last === null }, 'records reconciled with Altegio');
    } catch (error) {
      await store.syncs
        .failed(companyId, error instanceof Error ? error.message : String(error))
        .catch((failed: unknown) => report(failed, `recording a failed sync of branch ${companyId}`));
      report(error, `reconciling the records of branch ${companyId} with Altegio`, { companyId });
    }
  }

  async function syncAll(full: boolean): Promise<void> {
    if (running) return running;
    const run = (async () => {
      const ids = await options.branchIds().catch((error: unknown) => {
        report(error, 'listing the served branches for a sync');
        return [] as number[];
      });
      for (const id of ids) {
        if (stopped) return;
        await syncBranch(id, full);
      }
    })();
    running = run.finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void syncAll(false).finally(schedule);
    }, intervalMs);
    timer.unref?.();
  }

  return {
    start() {
      stopped = false;
      void syncAll(true).finally(() => {
        initialSyncDone = true;
        schedule();
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    syncAll,
    status: async () => ({ initialSyncDone, branches: (await store.syncs.all()).map(statusOf) }),
  };
}
