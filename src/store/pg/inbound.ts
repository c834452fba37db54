/**
 * The inbound ledger on Postgres; the semantics are those of `../inbound.ts`.
 *
 * @module
 */
import { and, asc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Now } from '../db.js';
import type { InboundPort } from '../ports.js';
import { jsonValue, type PgContext } from './db.js';
import { inboundEvents } from './schema.js';

/** Creates the inbound ledger repository. */
export function createPgInbound(ctx: PgContext, now: Now = Date.now): InboundPort {
  const byKey = (source: string, eventId: string) =>
    and(eq(inboundEvents.source, source), eq(inboundEvents.eventId, eventId));

  return {
    async recordIfNew(source, eventId, payload = null, at = now()) {
      const result = await ctx
        .db()
        .insert(inboundEvents)
        .values({ source, eventId, receivedAt: at, payload: jsonValue(payload) })
        .onConflictDoNothing();
      return (result.rowCount ?? 0) > 0;
    },

    async markProcessed(source, eventId, at = now()) {
      const result = await ctx
        .db()
        .update(inboundEvents)
        .set({ processedAt: at })
        .where(and(byKey(source, eventId), isNull(inboundEvents.processedAt)));
      return (result.rowCount ?? 0) > 0;
    },

    unprocessed(limit = 100, source) {
      return ctx
        .db()
        .select()
        .from(inboundEvents)
        .where(
          and(
            isNull(inboundEvents.processedAt),
            source === undefined ? undefined : eq(inboundEvents.source, source),
          ),
        )
        .orderBy(asc(inboundEvents.receivedAt))
        .limit(limit);
    },

    async get(source, eventId) {
      const [row] = await ctx.db().select().from(inboundEvents).where(byKey(source, eventId));
      return row;
    },

    async pruneProcessed(before, limit = 10_000) {
      const db = ctx.db();
      // No rowid in Postgres: the batch is picked by its primary key.
      const oldest = db
        .select({ source: inboundEvents.source, eventId: inboundEvents.eventId })
        .from(inboundEvents)
        .where(and(isNotNull(inboundEvents.processedAt), lt(inboundEvents.receivedAt, before)))
        .orderBy(asc(inboundEvents.receivedAt))
        .limit(limit);
      const result = await db
        .delete(inboundEvents)
        .where(sql`(${inboundEvents.source}, ${inboundEvents.eventId}) IN ${oldest}`);
      return result.rowCount ?? 0;
    },
  };
}
