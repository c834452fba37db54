/**
 * Jobs on Postgres; the semantics are those of `../jobs.ts`.
 *
 * @module
 */
import { and, asc, desc, eq, inArray, isNotNull, lt, lte, min, or, sql } from 'drizzle-orm';
import type { Now } from '../db.js';
import type { JobsPort } from '../ports.js';
import type { Job } from '../schema.js';
import { jsonValue, type PgContext, type PgDb } from './db.js';
import { jobs } from './schema.js';

/** Creates the jobs repository. */
export function createPgJobs(ctx: PgContext, now: Now = Date.now): JobsPort {
  const changed = (result: { rowCount: number | null }) => (result.rowCount ?? 0) > 0;
  const running = (id: number) => and(eq(jobs.id, id), eq(jobs.state, 'running'));
  const pending = (id: number) => and(eq(jobs.id, id), eq(jobs.state, 'pending'));

  return {
    async enqueue(job) {
      const at = now();
      const result = await ctx
        .db()
        .insert(jobs)
        .values({
          kind: job.kind,
          dueAt: job.dueAt,
          dedupeKey: job.dedupeKey,
          payload: jsonValue(job.payload),
          state: 'pending',
          companyId: job.record?.companyId ?? null,
          recordId: job.record?.recordId ?? null,
          createdAt: at,
          updatedAt: at,
        })
        .onConflictDoUpdate({
          target: jobs.dedupeKey,
          set: {
            kind: sql`excluded.kind`,
            dueAt: sql`excluded.due_at`,
            payload: sql`excluded.payload`,
            state: 'pending',
            attempts: 0,
            lastError: null,
            companyId: sql`excluded.company_id`,
            recordId: sql`excluded.record_id`,
            updatedAt: sql`excluded.updated_at`,
          },
          // Only a cancelled job comes back; with no row updated, rowCount is 0.
          setWhere: eq(jobs.state, 'cancelled'),
        });
      return changed(result);
    },

    async claimDue(at, limit = 10) {
      const db = ctx.db();
      // SKIP LOCKED: a row another process is claiming right now is left to it instead of waited
      // for, and a row it claimed and committed fails the re-checked `state = 'pending'`.
      const due = db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.state, 'pending'), lte(jobs.dueAt, at)))
        .orderBy(asc(jobs.dueAt), asc(jobs.id))
        .limit(limit)
        .for('update', { skipLocked: true });
      const rows = await db
        .update(jobs)
        .set({ state: 'running', attempts: sql`${jobs.attempts} + 1`, updatedAt: at })
        .where(inArray(jobs.id, due))
        .returning();
      // RETURNING gives no order guarantee; callers expect soonest first.
      return rows.sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    },

    async complete(id) {
      return changed(
        await ctx
          .db()
          .update(jobs)
          .set({ state: 'done', lastError: null, updatedAt: now() })
          .where(running(id)),
      );
    },

    async fail(id, error, failure = {}) {
      const maxAttempts = failure.maxAttempts ?? 5;
      // One statement decides and writes, so no transaction (and no lock held across a round trip).
      const retry =
        failure.retryAt === undefined ? sql`false` : sql`${jobs.attempts} < ${maxAttempts}::integer`;
      const [row] = await ctx
        .db()
        .update(jobs)
        .set({
          state: sql`CASE WHEN ${retry} THEN 'pending' ELSE 'failed' END`,
          lastError: error,
          dueAt:
            failure.retryAt === undefined
              ? sql`${jobs.dueAt}`
              : sql`CASE WHEN ${retry} THEN ${failure.retryAt}::bigint ELSE ${jobs.dueAt} END`,
          updatedAt: now(),
        })
        .where(running(id))
        .returning({ state: jobs.state });
      if (!row) return null;
      return row.state === 'pending' ? 'pending' : 'failed';
    },

    async postpone(id, dueAt, reason) {
      return changed(
        await ctx
          .db()
          .update(jobs)
          .set({
            state: 'pending',
            dueAt,
            attempts: sql`greatest(${jobs.attempts} - 1, 0)`,
            lastError: reason,
            updatedAt: now(),
          })
          .where(running(id)),
      );
    },

    async cancelForRecord(record, kinds) {
      const conditions = [
        eq(jobs.companyId, record.companyId),
        eq(jobs.recordId, record.recordId),
        eq(jobs.state, 'pending'),
      ];
      if (kinds) {
        if (kinds.length === 0) return 0;
        conditions.push(inArray(jobs.kind, [...kinds]));
      }
      const result = await ctx
        .db()
        .update(jobs)
        .set({ state: 'cancelled', updatedAt: now() })
        .where(and(...conditions));
      return result.rowCount ?? 0;
    },

    async recoverInterrupted() {
      const result = await ctx
        .db()
        .update(jobs)
        .set({ state: 'pending', updatedAt: now() })
        .where(eq(jobs.state, 'running'));
      return result.rowCount ?? 0;
    },

    async get(id) {
      const [row] = await ctx.db().select().from(jobs).where(eq(jobs.id, id));
      return row;
    },

    async byDedupeKey(dedupeKey) {
      const [row] = await ctx.db().select().from(jobs).where(eq(jobs.dedupeKey, dedupeKey));
      return row;
    },

    forRecord(record) {
      return ctx
        .db()
        .select()
        .from(jobs)
        .where(and(eq(jobs.companyId, record.companyId), eq(jobs.recordId, record.recordId)))
        .orderBy(desc(jobs.id));
    },

    async nextDueAt() {
      const [row] = await ctx
        .db()
        .select({ next: min(jobs.dueAt) })
        .from(jobs)
        .where(eq(jobs.state, 'pending'));
      return row?.next ?? undefined;
    },

    list(options = {}) {
      return ctx
        .db()
        .select()
        .from(jobs)
        .where(options.state ? eq(jobs.state, options.state) : undefined)
        .orderBy(desc(jobs.id))
        .limit(options.limit ?? 100);
    },

    pendingWithKeyPrefix(kind, prefix) {
      // starts_with, not a `>= prefix AND < prefix || U+FFFF` range as on SQLite: text comparison
      // in Postgres follows the database's collation, where that range is not a prefix test.
      return ctx
        .db()
        .select()
        .from(jobs)
        .where(
          and(eq(jobs.state, 'pending'), eq(jobs.kind, kind), sql`starts_with(${jobs.dedupeKey}, ${prefix})`),
        )
        .orderBy(asc(jobs.dueAt), asc(jobs.id));
    },

    async updatePayload(id, payload) {
      return changed(
        await ctx
          .db()
          .update(jobs)
          .set({ payload: jsonValue(payload), updatedAt: now() })
          .where(pending(id)),
      );
    },

    async bringForward(id, dueAt) {
      return changed(
        await ctx
          .db()
          .update(jobs)
          .set({ dueAt: sql`least(${jobs.dueAt}, ${dueAt}::bigint)`, updatedAt: now() })
          .where(pending(id)),
      );
    },
  };
}

/**
 * Takes one job row for a run, the way `claimDue` takes many: `pending` and due at `at`, or left
 * `running` since before `staleBefore` by a run that died. One more attempt is counted. Answers
 * nothing when the row is not there to take (done, cancelled, not due, or running elsewhere); the
 * row lock makes two callers racing for it get it once between them.
 */
export async function claimPgJob(
  db: PgDb,
  id: number,
  at: number,
  staleBefore: number,
  owner?: number,
): Promise<Job | undefined> {
  const [row] = await db
    .update(jobs)
    .set({ state: 'running', attempts: sql`${jobs.attempts} + 1`, updatedAt: at, claimedBy: owner ?? null })
    .where(
      and(
        eq(jobs.id, id),
        lte(jobs.dueAt, at),
        or(eq(jobs.state, 'pending'), and(eq(jobs.state, 'running'), lt(jobs.updatedAt, staleBefore))),
      ),
    )
    .returning();
  return row;
}

/** The processes that have rows `running`, as {@link claimPgJob} recorded them. */
export async function pgJobClaimants(db: PgDb): Promise<number[]> {
  const rows = await db
    .selectDistinct({ owner: jobs.claimedBy })
    .from(jobs)
    .where(and(eq(jobs.state, 'running'), isNotNull(jobs.claimedBy)));
  return rows.flatMap((row) => (row.owner === null ? [] : [row.owner]));
}

/**
 * Gives back the rows that processes now gone were running: `pending` again, due as they were, so
 * that another process runs them now rather than once their run limit has passed.
 */
export async function releasePgJobClaims(db: PgDb, owners: readonly number[], at: number): Promise<Job[]> {
  if (owners.length === 0) return [];
  return db
    .update(jobs)
    .set({ state: 'pending', claimedBy: null, updatedAt: at })
    .where(and(eq(jobs.state, 'running'), inArray(jobs.claimedBy, [...owners])))
    .returning();
}
