/**
 * Outbox: messages waiting for a channel, written in the transaction of the state that made them.
 *
 * @module
 */
import { and, asc, desc, eq, inArray, min, sql } from 'drizzle-orm';
import type { ChatChannel } from '../domain/channels.js';
import { type Db, type Now, transaction } from './db.js';
import { type OutboxMessage, type OutboxPriority, type OutboxState, outbox } from './schema.js';

/** One message to send. */
export interface NewOutboxMessage {
  channel: ChatChannel;
  /** Chat id in that channel. */
  recipient: string;
  /** ChatChannel-neutral message (text, options, ask-for-contact), checked by the dispatcher. */
  payload: unknown;
  /**
   * Identity of the message, e.g. `dialogue:<id>:<step>:<n>` or `job:<dedupe key>`. Enqueuing it
   * again is ignored, so a step or job that runs twice after a crash sends once.
   */
  idempotencyKey: string;
  /** Not before this time (epoch ms). Default: now. */
  notBefore?: number;
  /** Default `interactive`; notifications are `bulk` (see {@link OUTBOX_PRIORITIES}). */
  priority?: OutboxPriority;
}

/** Options of {@link OutboxRepo.claimDue}. */
export interface ClaimOptions {
  /** Most rows to take. Default 20. */
  limit?: number;
  /**
   * How long a claimed row stays invisible to other claims. If the process dies while sending,
   * the row is picked up again after the lease, so a message is never lost (at worst sent twice
   * when the crash fell between the channel's answer and `markSent`). Default 60 s.
   */
  leaseMs?: number;
  /**
   * The claiming process (its `engine_instances` id on Postgres), recorded on the leased rows so
   * that another process starting leaves them alone while it lives (see
   * {@link OutboxRepo.releaseLeases}). SQLite has one process and records nothing.
   */
  owner?: number;
}

/** Options of {@link OutboxRepo.releaseLeases}. */
export interface ReleaseOptions {
  /** Free only the leases these owners hold (and, with {@link ownerless}, those of no owner). Left out: every lease. */
  owners?: readonly number[];
  /**
   * With `owners`: also the leases with no owner recorded (taken before owners were, or on SQLite
   * where none is), and rows waiting for a retry, as a release without `owners` does.
   */
  ownerless?: boolean;
}

/** How a failed send continues. */
export interface SendFailure {
  /** When to try again. Left out: the message fails now (chat blocked the bot, no such chat). */
  retryAt?: number;
  /** Attempts after which the message fails instead of retrying. Default 5. */
  maxAttempts?: number;
}

/** Repository of {@link outbox}; see {@link createOutbox}. */
export interface OutboxRepo {
  /** Adds a message unless its idempotency key is known; returns whether it was added. */
  enqueue(message: NewOutboxMessage): boolean;
  /**
   * Takes pending messages due at `now`, interactive before bulk and each oldest first (returned in
   * id order, so a chat's messages keep the order they were written in), counting an attempt and leasing them
   * (see {@link ClaimOptions.leaseMs}); one statement, so no two dispatchers take the same row.
   */
  claimDue(now: number, options?: ClaimOptions): OutboxMessage[];
  /** Marks a message sent. Returns false if it was not pending. */
  markSent(id: number, at?: number): boolean;
  /**
   * Records a failed send: retried at `retryAt`, or `failed` for good. Returns the new state, or
   * null when the message was not pending.
   */
  fail(id: number, error: string, failure?: SendFailure): 'pending' | 'failed' | null;
  get(id: number): OutboxMessage | undefined;
  byIdempotencyKey(key: string): OutboxMessage | undefined;
  /** Soonest `next_attempt_at` among pending messages, so the dispatcher can sleep until then. */
  nextAttemptAt(): number | undefined;
  /** Newest first, for diagnostics and tests. */
  list(options?: { state?: OutboxState; recipient?: string; limit?: number }): OutboxMessage[];
  /**
   * At start-up, before any claim: rows claimed by a process that died are due again now instead
   * of when their lease runs out. Rows never tried keep their `notBefore`. With several processes
   * on one database, `options.owners` names the ones gone, so that a message another process is
   * sending is not sent a second time. Returns how many.
   */
  releaseLeases(now: number, options?: ReleaseOptions): number;
  /** The owners recorded on leases still running at `now`, each once; none on SQLite. */
  leaseOwners(now: number): number[];
}

/** Creates the outbox repository. */
export function createOutbox(db: Db, now: Now = Date.now): OutboxRepo {
  const enqueueStatement = db
    .insert(outbox)
    .values({
      channel: sql.placeholder('channel'),
      recipient: sql.placeholder('recipient'),
      payload: sql.placeholder('payload'),
      idempotencyKey: sql.placeholder('idempotencyKey'),
      state: 'pending',
      priority: sql.placeholder('priority'),
      nextAttemptAt: sql.placeholder('notBefore'),
      createdAt: sql.placeholder('now'),
    })
    .onConflictDoNothing({ target: outbox.idempotencyKey })
    .prepare();

  const claimStatement = db
    .update(outbox)
    .set({
      attempts: sql`${outbox.attempts} + 1`,
      nextAttemptAt: sql`${sql.placeholder('leaseUntil')}`,
    })
    .where(
      inArray(
        outbox.id,
        db
          .select({ id: outbox.id })
          .from(outbox)
          .where(and(eq(outbox.state, 'pending'), sql`${outbox.nextAttemptAt} <= ${sql.placeholder('now')}`))
          .orderBy(desc(outbox.priority), asc(outbox.nextAttemptAt), asc(outbox.id))
          .limit(sql.placeholder('limit')),
      ),
    )
    .returning()
    .prepare();

  const markSentStatement = db
    .update(outbox)
    .set({ state: 'sent', sentAt: sql`${sql.placeholder('at')}`, lastError: null })
    .where(and(eq(outbox.id, sql.placeholder('id')), eq(outbox.state, 'pending')))
    .prepare();

  const get = (id: number): OutboxMessage | undefined =>
    db.select().from(outbox).where(eq(outbox.id, id)).get();

  return {
    enqueue(message) {
      const at = now();
      return (
        enqueueStatement.run({
          channel: message.channel,
          recipient: message.recipient,
          payload: message.payload,
          idempotencyKey: message.idempotencyKey,
          notBefore: message.notBefore ?? at,
          priority: message.priority ?? 'interactive',
          now: at,
        }).changes > 0
      );
    },

    claimDue(at, options = {}) {
      const rows = claimStatement.all({
        now: at,
        leaseUntil: at + (options.leaseMs ?? 60_000),
        limit: options.limit ?? 20,
      });
      // Oldest first keeps one chat's messages in the order they were written.
      return rows.sort((a, b) => a.id - b.id);
    },

    markSent(id, at = now()) {
      return markSentStatement.run({ id, at }).changes > 0;
    },

    fail(id, error, failure = {}) {
      return transaction(db, () => {
        const message = get(id);
        if (message?.state !== 'pending') return null;
        const maxAttempts = failure.maxAttempts ?? 5;
        const retry = failure.retryAt !== undefined && message.attempts < maxAttempts;
        db.update(outbox)
          .set({
            state: retry ? 'pending' : 'failed',
            lastError: error,
            nextAttemptAt: retry && failure.retryAt !== undefined ? failure.retryAt : message.nextAttemptAt,
          })
          .where(eq(outbox.id, id))
          .run();
        return retry ? 'pending' : 'failed';
      });
    },

    get,

    byIdempotencyKey(key) {
      return db.select().from(outbox).where(eq(outbox.idempotencyKey, key)).get();
    },

    // SQLite records no owner (one process per database file), so every lease counts as ownerless.
    releaseLeases(now, options = {}) {
      if (options.owners !== undefined && !options.ownerless) return 0;
      return db
        .update(outbox)
        .set({ nextAttemptAt: now })
        .where(
          and(
            eq(outbox.state, 'pending'),
            sql`${outbox.attempts} > 0`,
            sql`${outbox.nextAttemptAt} > ${now}`,
          ),
        )
        .run().changes;
    },

    leaseOwners() {
      return [];
    },

    nextAttemptAt() {
      return (
        db
          .select({ next: min(outbox.nextAttemptAt) })
          .from(outbox)
          .where(eq(outbox.state, 'pending'))
          .get()?.next ?? undefined
      );
    },

    list(options = {}) {
      return db
        .select()
        .from(outbox)
        .where(
          and(
            options.state ? eq(outbox.state, options.state) : undefined,
            options.recipient !== undefined ? eq(outbox.recipient, options.recipient) : undefined,
          ),
        )
        .orderBy(desc(outbox.id))
        .limit(options.limit ?? 100)
        .all();
    },
  };
}
