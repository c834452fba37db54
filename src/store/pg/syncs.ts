/**
 * Record sync bookkeeping on Postgres; the semantics are those of `../syncs.ts`.
 *
 * @module
 */
import { eq } from 'drizzle-orm';
import type { Now } from '../db.js';
import type { SyncsPort } from '../ports.js';
import type { PgContext } from './db.js';
import { recordSyncs } from './schema.js';

/** Creates the record syncs repository. */
export function createPgSyncs(ctx: PgContext, now: Now = Date.now): SyncsPort {
  return {
    async get(companyId) {
      const [row] = await ctx.db().select().from(recordSyncs).where(eq(recordSyncs.companyId, companyId));
      return row;
    },

    all() {
      return ctx.db().select().from(recordSyncs).orderBy(recordSyncs.companyId);
    },

    async succeeded(companyId, startedAt, count, full) {
      const values = {
        lastSyncAt: startedAt,
        lastCount: count,
        lastError: null,
        lastErrorAt: null,
        updatedAt: now(),
        ...(full ? { lastFullSyncAt: startedAt } : {}),
      };
      await ctx
        .db()
        .insert(recordSyncs)
        .values({ companyId, ...values })
        .onConflictDoUpdate({ target: recordSyncs.companyId, set: values });
    },

    async failed(companyId, error) {
      const at = now();
      const values = { lastError: error.slice(0, 500), lastErrorAt: at, updatedAt: at };
      await ctx
        .db()
        .insert(recordSyncs)
        .values({ companyId, ...values })
        .onConflictDoUpdate({ target: recordSyncs.companyId, set: values });
    },
  };
}
