/**
 * The outbox on Postgres; the semantics are those of `../outbox.ts`.
 *
 * @module
 */
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lte, min, or, sql } from 'drizzle-orm';
import type { Now } from '../db.js';
import type { OutboxPort } from '../ports.js';
import { jsonValue, type PgContext } from './db.js';
import { outbox } from './schema.js';

/** Creates the outbox repository. */
export function createPgOutbox(ctx: PgContext, now: Now = Date.now): OutboxPort {
  const changed = (result: { rowCount: number | null }) => (result.rowCount ?? 0) > 0;
  return {
    async enqueue(message) {
      const at = now();
      const result = await ctx
        .db()
        .insert(outbox)
        .values({
          channel: message.channel,
          recipient: message.recipient,
          payload: jsonValue(message.payload),
          idempotencyKey: message.idempotencyKey,
          state: 'pending',
          priority: message.priority ?? 'interactive',
          nextAttemptAt: message.notBefore ?? at,
          createdAt: at,
        })
        .onConflictDoNothing({ target: outbox.idempotencyKey });
      return changed(result);
    },

    async claimDue(at, options = {}) {
      const db = ctx.db();
      // SKIP LOCKED: two dispatchers (two processes) never take the same row, nor wait on each other.
      const due = db
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(eq(outbox.state, 'pending'), lte(outbox.nextAttemptAt, at)))
        .orderBy(desc(outbox.priority), asc(outbox.nextAttemptAt), asc(outbox.id))
        .limit(options.limit ?? 20)
        .for('update', { skipLocked: true });
      const rows = await db
        .update(outbox)
        .set({
          attempts: sql`${outbox.attempts} + 1`,
          nextAttemptAt: at + (options.leaseMs ?? 60_000),
          leaseOwner: options.owner ?? null,
        })
        .where(inArray(outbox.id, due))
        .returning();
      // Oldest first keeps one chat's messages in the order they were written.
      return rows.sort((a, b) => a.id - b.id);
    },

    async markSent(id, at = now()) {
      return changed(
        await ctx
          .db()
          .update(outbox)
          .set({ state: 'sent', sentAt: at, lastError: null })
          .where(and(eq(outbox.id, id), eq(outbox.state, 'pending'))),
      );
    },

    async fail(id, error, failure = {}) {
      const maxAttempts = failure.maxAttempts ?? 5;
      // One statement decides and writes, as jobs.fail does.
      const retry =
        failure.retryAt === undefined ? sql`false` : sql`${outbox.attempts} < ${maxAttempts}::integer`;
      const [row] = await ctx
        .db()
        .update(outbox)
        .set({
          state: sql`CASE WHEN ${retry} THEN 'pending' ELSE 'failed' END`,
          lastError: error,
          // Waiting for its retry, the row is nobody's.
          leaseOwner: null,
          nextAttemptAt:
            failure.retryAt === undefined
              ? sql`${outbox.nextAttemptAt}`
              : sql`CASE WHEN ${retry} THEN ${failure.retryAt}::bigint ELSE ${outbox.nextAttemptAt} END`,
        })
        .where(and(eq(outbox.id, id), eq(outbox.state, 'pending')))
        .returning({ state: outbox.state });
      if (!row) return null;
      return row.state === 'pending' ? 'pending' : 'failed';
    },

    async get(id) {
      const [row] = await ctx.db().select().from(outbox).where(eq(outbox.id, id));
      return row;
    },

    async byIdempotencyKey(key) {
      const [row] = await ctx.db().select().from(outbox).where(eq(outbox.idempotencyKey, key));
      return row;
    },

    async nextAttemptAt() {
      const [row] = await ctx
        .db()
        .select({ next: min(outbox.nextAttemptAt) })
        .from(outbox)
        .where(eq(outbox.state, 'pending'));
      return row?.next ?? undefined;
    },

    list(options = {}) {
      return ctx
        .db()
        .select()
        .from(outbox)
        .where(
          and(
            options.state ? eq(outbox.state, options.state) : undefined,
            options.recipient !== undefined ? eq(outbox.recipient, options.recipient) : undefined,
          ),
        )
        .orderBy(desc(outbox.id))
        .limit(options.limit ?? 100);
    },

    async releaseLeases(at, options = {}) {
      const { owners, ownerless = false } = options;
      const listed =
        owners !== undefined && owners.length > 0 ? inArray(outbox.leaseOwner, [...owners]) : undefined;
      const result = await ctx
        .db()
        .update(outbox)
        .set({ nextAttemptAt: at, leaseOwner: null })
        .where(
          and(
            eq(outbox.state, 'pending'),
            gt(outbox.attempts, 0),
            gt(outbox.nextAttemptAt, at),
            owners === undefined
              ? undefined
              : (or(ownerless ? isNull(outbox.leaseOwner) : undefined, listed) ?? sql`false`),
          ),
        );
      return result.rowCount ?? 0;
    },

    async leaseOwners(at) {
      const rows = await ctx
        .db()
        .selectDistinct({ owner: outbox.leaseOwner })
        .from(outbox)
        .where(and(eq(outbox.state, 'pending'), isNotNull(outbox.leaseOwner), gt(outbox.nextAttemptAt, at)));
      return rows.flatMap((row) => (row.owner === null ? [] : [row.owner]));
    },
  };
}
