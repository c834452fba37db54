/**
 * Jobs: durable, de-duplicated work due at a time (reminders, feedback requests, grouping
 * windows, birthday greetings, tasks).
 *
 * @module
 */
import { and, asc, desc, eq, inArray, min, sql } from 'drizzle-orm';
import { type Db, type Now, transaction } from './db.js';
import { type Job, type JobState, jobs } from './schema.js';

/** The Altegio record a job concerns. */
export interface RecordKey {
  companyId: number;
  recordId: number;
}

/** What enqueuing a job needs. */
export interface NewJob {
  kind: string;
  dueAt: number;
  /**
   * Identity of the work, e.g. `reminder:<company>:<record>:<datetime>:<offset>`. A second
   * enqueue with the same key is ignored: this is what keeps webhook retries and replays from
   * sending twice. Put into the key whatever should make the work different (a moved visit gets
   * a new reminder).
   */
  dedupeKey: string;
  payload: unknown;
  /** Set it so that a deleted or moved record can cancel the job. */
  record?: RecordKey | null;
}

/** How a failed attempt continues. */
export interface JobFailure {
  /** When to try again. Left out: no retry, the job fails now (a permanent error). */
  retryAt?: number;
  /** Attempts after which the job fails instead of retrying. Default 5. */
  maxAttempts?: number;
}

/** Repository of {@link jobs}; see {@link createJobs}. */
export interface JobsRepo {
  /**
   * Adds a job unless one with the same dedupe key exists; returns whether it was added. A job
   * cancelled earlier comes back with the new due time and payload (it never ran, so running it
   * now sends nothing twice); a pending, running, done or failed one is left alone.
   */
  enqueue(job: NewJob): boolean;
  /**
   * Takes up to `limit` pending jobs due at `now` (soonest first) and marks them `running` with
   * one more attempt, in one statement, so two workers never get the same job.
   */
  claimDue(now: number, limit?: number): Job[];
  /** Marks a running job done. Returns false if it was not running. */
  complete(id: number): boolean;
  /**
   * Records a failed attempt: back to `pending` at `retryAt`, or `failed` when no retry is asked
   * or the attempts are used up. Returns the new state, or null if the job was not running.
   */
  fail(id: number, error: string, failure?: JobFailure): 'pending' | 'failed' | null;
  /**
   * Puts a running job back to `pending` at `dueAt` without counting the attempt: nothing failed,
   * the work must wait (the client is in the middle of a booking). `reason` is kept in
   * `lastError` for diagnostics. Returns false if the job was not running.
   */
  postpone(id: number, dueAt: number, reason: string): boolean;
  /**
   * Cancels a record's pending jobs (all, or only the given kinds): the visit was deleted or
   * moved. Returns how many.
   */
  cancelForRecord(record: RecordKey, kinds?: readonly string[]): number;
  /**
   * Returns jobs left `running` by a crash to `pending`; call once at start-up, before any worker
   * runs. A handler must therefore be safe to run again: its outbox rows are idempotent.
   */
  recoverInterrupted(): number;
  get(id: number): Job | undefined;
  byDedupeKey(dedupeKey: string): Job | undefined;
  /** Jobs of a record, newest first. */
  forRecord(record: RecordKey): Job[];
  /** Soonest due time among pending jobs, so the worker can sleep until then. */
  nextDueAt(): number | undefined;
  /** Newest first, for diagnostics. */
  list(options?: { state?: JobState; limit?: number }): Job[];
  /**
   * Pending jobs of a kind whose dedupe key starts with `prefix`: an open grouping window (all
   * new-record notices of one client share a prefix) is found by it.
   */
  pendingWithKeyPrefix(kind: string, prefix: string): Job[];
  /** Replaces a pending job's payload (a record joins a grouping window). Returns whether it was pending. */
  updatePayload(id: number, payload: unknown): boolean;
  /**
   * Makes a pending job due no later than `dueAt` (the playground's "the feedback request arrives
   * soon"). Returns whether a pending job was found.
   */
  bringForward(id: number, dueAt: number): boolean;
}

/** Creates the jobs repository. */
export function createJobs(db: Db, now: Now = Date.now): JobsRepo {
  const enqueueStatement = db
    .insert(jobs)
    .values({
      kind: sql.placeholder('kind'),
      dueAt: sql.placeholder('dueAt'),
      dedupeKey: sql.placeholder('dedupeKey'),
      payload: sql.placeholder('payload'),
      state: 'pending',
      companyId: sql.placeholder('companyId'),
      recordId: sql.placeholder('recordId'),
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now'),
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
      setWhere: eq(jobs.state, 'cancelled'),
    })
    .prepare();

  // UPDATE … WHERE id IN (SELECT … LIMIT) RETURNING: selection and state change are one
  // statement, hence atomic without an explicit transaction.
  const claimStatement = db
    .update(jobs)
    .set({
      state: 'running',
      attempts: sql`${jobs.attempts} + 1`,
      updatedAt: sql`${sql.placeholder('now')}`,
    })
    .where(
      inArray(
        jobs.id,
        db
          .select({ id: jobs.id })
          .from(jobs)
          .where(and(eq(jobs.state, 'pending'), sql`${jobs.dueAt} <= ${sql.placeholder('now')}`))
          .orderBy(asc(jobs.dueAt), asc(jobs.id))
          .limit(sql.placeholder('limit')),
      ),
    )
    .returning()
    .prepare();

  // A range on the unique dedupe-key index; `+state` keeps SQLite from preferring the state index,
  // which would read every pending job (the planner asks this for every new record).
  const pendingByPrefixStatement = db
    .select()
    .from(jobs)
    .where(
      sql`${jobs.dedupeKey} >= ${sql.placeholder('from')} AND ${jobs.dedupeKey} < ${sql.placeholder('to')}
        AND +${jobs.state} = 'pending' AND ${jobs.kind} = ${sql.placeholder('kind')}`,
    )
    .orderBy(asc(jobs.dueAt))
    .prepare();

  const get = (id: number): Job | undefined => db.select().from(jobs).where(eq(jobs.id, id)).get();

  return {
    pendingWithKeyPrefix(kind, prefix) {
      return pendingByPrefixStatement.all({ kind, from: prefix, to: `${prefix}\uffff` });
    },

    updatePayload(id, payload) {
      return (
        db
          .update(jobs)
          .set({ payload, updatedAt: now() })
          .where(and(eq(jobs.id, id), eq(jobs.state, 'pending')))
          .run().changes > 0
      );
    },

    bringForward(id, dueAt) {
      return (
        db
          .update(jobs)
          .set({ dueAt: sql`min(${jobs.dueAt}, ${dueAt})`, updatedAt: now() })
          .where(and(eq(jobs.id, id), eq(jobs.state, 'pending')))
          .run().changes > 0
      );
    },

    enqueue(job) {
      return (
        enqueueStatement.run({
          kind: job.kind,
          dueAt: job.dueAt,
          dedupeKey: job.dedupeKey,
          payload: job.payload,
          companyId: job.record?.companyId ?? null,
          recordId: job.record?.recordId ?? null,
          now: now(),
        }).changes > 0
      );
    },

    claimDue(at, limit = 10) {
      // RETURNING gives no order guarantee; callers expect soonest first.
      return claimStatement.all({ now: at, limit }).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    },

    complete(id) {
      return (
        db
          .update(jobs)
          .set({ state: 'done', lastError: null, updatedAt: now() })
          .where(and(eq(jobs.id, id), eq(jobs.state, 'running')))
          .run().changes > 0
      );
    },

    fail(id, error, failure = {}) {
      return transaction(db, () => {
        const job = get(id);
        if (job?.state !== 'running') return null;
        const maxAttempts = failure.maxAttempts ?? 5;
        const retry = failure.retryAt !== undefined && job.attempts < maxAttempts;
        db.update(jobs)
          .set({
            state: retry ? 'pending' : 'failed',
            lastError: error,
            dueAt: retry && failure.retryAt !== undefined ? failure.retryAt : job.dueAt,
            updatedAt: now(),
          })
          .where(eq(jobs.id, id))
          .run();
        return retry ? 'pending' : 'failed';
      });
    },

    postpone(id, dueAt, reason) {
      return (
        db
          .update(jobs)
          .set({
            state: 'pending',
            dueAt,
            attempts: sql`max(${jobs.attempts} - 1, 0)`,
            lastError: reason,
            updatedAt: now(),
          })
          .where(and(eq(jobs.id, id), eq(jobs.state, 'running')))
          .run().changes > 0
      );
    },

    cancelForRecord(record, kinds) {
      const conditions = [
        eq(jobs.companyId, record.companyId),
        eq(jobs.recordId, record.recordId),
        eq(jobs.state, 'pending'),
      ];
      if (kinds) {
        if (kinds.length === 0) return 0;
        conditions.push(inArray(jobs.kind, [...kinds]));
      }
      return db
        .update(jobs)
        .set({ state: 'cancelled', updatedAt: now() })
        .where(and(...conditions))
        .run().changes;
    },

    recoverInterrupted() {
      return db
        .update(jobs)
        .set({ state: 'pending', updatedAt: now() })
        .where(eq(jobs.state, 'running'))
        .run().changes;
    },

    get,

    byDedupeKey(dedupeKey) {
      return db.select().from(jobs).where(eq(jobs.dedupeKey, dedupeKey)).get();
    },

    forRecord(record) {
      return db
        .select()
        .from(jobs)
        .where(and(eq(jobs.companyId, record.companyId), eq(jobs.recordId, record.recordId)))
        .orderBy(desc(jobs.id))
        .all();
    },

    nextDueAt() {
      return (
        db
          .select({ next: min(jobs.dueAt) })
          .from(jobs)
          .where(eq(jobs.state, 'pending'))
          .get()?.next ?? undefined
      );
    },

    list(options = {}) {
      return db
        .select()
        .from(jobs)
        .where(options.state ? eq(jobs.state, options.state) : undefined)
        .orderBy(desc(jobs.id))
        .limit(options.limit ?? 100)
        .all();
    },
  };
}
