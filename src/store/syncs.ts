/**
 * When each branch's records were last reconciled with Altegio, and the last failure.
 *
 * @module
 */
import { eq } from 'drizzle-orm';
import type { Db, Now } from './db.js';
import { type RecordSync, recordSyncs } from './schema.js';

export interface SyncsRepo {
  get(companyId: number): RecordSync | undefined;
  all(): RecordSync[];
  /** A sync that started at `startedAt` read `count` records; `full` when it read every future one. */
  succeeded(companyId: number, startedAt: number, count: number, full: boolean): void;
  /** A sync failed; the last success stays what it was. */
  failed(companyId: number, error: string): void;
}

export function createSyncs(db: Db, now: Now = Date.now): SyncsRepo {
  const get = (companyId: number) =>
    db.select().from(recordSyncs).where(eq(recordSyncs.companyId, companyId)).get();
  return {
    get,
    all: () => db.select().from(recordSyncs).orderBy(recordSyncs.companyId).all(),
    succeeded(companyId, startedAt, count, full) {
      const values = {
        lastSyncAt: startedAt,
        lastCount: count,
        lastError: null,
        lastErrorAt: null,
        updatedAt: now(),
        ...(full ? { lastFullSyncAt: startedAt } : {}),
      };
      db.insert(recordSyncs)
        .values({ companyId, ...values })
        .onConflictDoUpdate({ target: recordSyncs.companyId, set: values })
        .run();
    },
    failed(companyId, error) {
      const values = { lastError: error.slice(0, 500), lastErrorAt: now(), updatedAt: now() };
      db.insert(recordSyncs)
        .values({ companyId, ...values })
        .onConflictDoUpdate({ target: recordSyncs.companyId, set: values })
        .run();
    },
  };
}
