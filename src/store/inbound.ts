/**
 * Ledger of inbound events, for de-duplication and for finishing work a crash interrupted.
 *
 * @module
 */
import { and, asc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Db, Now } from './db.js';
import { type InboundEvent, inboundEvents } from './schema.js';

/** Repository of {@link inboundEvents}; see {@link createInbound}. */
export interface InboundRepo {
  /**
   * Stores an event the first time its `(source, eventId)` is seen and returns true; returns
   * false for a duplicate (Altegio and Telegram retry), which the caller then drops.
   *
   * @param source - who sent it: `altegio`, `telegram`, `whatsapp`.
   * @param eventId - the sender's id of the event (or a hash of the body when it has none).
   * @param payload - kept so that an event stored but not processed before a crash can be replayed.
   */
  recordIfNew(source: string, eventId: string, payload?: unknown, at?: number): boolean;
  /** Marks an event handled; {@link InboundRepo.unprocessed} stops returning it. */
  markProcessed(source: string, eventId: string, at?: number): boolean;
  /** Events stored but not handled, oldest first (of one `source` when given): replay them at start-up. */
  unprocessed(limit?: number, source?: string): InboundEvent[];
  get(source: string, eventId: string): InboundEvent | undefined;
  /**
   * Deletes processed events received before `before`, oldest first and at most `limit` (default
   * 10,000) at a time, so one call never holds the write lock long; the ledger need not grow
   * forever. Returns how many.
   */
  pruneProcessed(before: number, limit?: number): number;
}

/** Creates the inbound ledger repository. */
export function createInbound(db: Db, now: Now = Date.now): InboundRepo {
  // Every webhook and update passes here first: prepared once.
  const recordStatement = db
    .insert(inboundEvents)
    .values({
      source: sql.placeholder('source'),
      eventId: sql.placeholder('eventId'),
      receivedAt: sql.placeholder('at'),
      payload: sql.placeholder('payload'),
    })
    .onConflictDoNothing()
    .prepare();

  const byKey = (source: string, eventId: string) =>
    and(eq(inboundEvents.source, source), eq(inboundEvents.eventId, eventId));
  const pending = (source: string | undefined) =>
    and(
      isNull(inboundEvents.processedAt),
      source === undefined ? undefined : eq(inboundEvents.source, source),
    );

  return {
    recordIfNew(source, eventId, payload = null, at = now()) {
      return recordStatement.run({ source, eventId, payload, at }).changes > 0;
    },

    markProcessed(source, eventId, at = now()) {
      return (
        db
          .update(inboundEvents)
          .set({ processedAt: at })
          .where(and(byKey(source, eventId), isNull(inboundEvents.processedAt)))
          .run().changes > 0
      );
    },

    unprocessed(limit = 100, source) {
      return db
        .select()
        .from(inboundEvents)
        .where(pending(source))
        .orderBy(asc(inboundEvents.receivedAt))
        .limit(limit)
        .all();
    },

    get(source, eventId) {
      return db.select().from(inboundEvents).where(byKey(source, eventId)).get();
    },

    pruneProcessed(before, limit = 10_000) {
      const oldest = db
        .select({ rowid: sql`rowid` })
        .from(inboundEvents)
        .where(and(isNotNull(inboundEvents.processedAt), lt(inboundEvents.receivedAt, before)))
        .orderBy(asc(inboundEvents.receivedAt))
        .limit(limit);
      return db.delete(inboundEvents).where(sql`rowid IN ${oldest}`).run().changes;
    },
  };
}
