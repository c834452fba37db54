/**
 * The store: SQLite through drizzle, opened, migrated and split into small repositories.
 *
 * @example
 * ```ts
 * const store = createStore(env.databasePath);
 * store.jobs.recoverInterrupted();
 * const conversation = store.conversations.upsert('telegram', String(chat.id));
 * ```
 *
 * @module
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../domain/clock.js';
import { type ConversationsRepo, createConversations } from './conversations.js';
import { type Db, migrateDatabase, type Now, openDatabase, transaction } from './db.js';
import { createDeliveries, type DeliveriesRepo } from './deliveries.js';
import { createDialogues, type DialoguesRepo } from './dialogues.js';
import { createInbound, type InboundRepo } from './inbound.js';
import { createJobs, type JobsRepo } from './jobs.js';
import { createOutbox, type NewOutboxMessage, type OutboxRepo } from './outbox.js';
import { createRatings, type RatingsRepo } from './ratings.js';
import { createRecords, type RecordsRepo } from './records.js';
import type { DialogueStatus } from './schema.js';
import { createTasks, type TasksRepo } from './tasks.js';
import { createTimers, type TimerInput, type TimersRepo } from './timers.js';

export * from './conversations.js';
export * from './db.js';
export * from './deliveries.js';
export * from './dialogues.js';
export * from './inbound.js';
export * from './jobs.js';
export * from './outbox.js';
export * from './ratings.js';
export * from './records.js';
export * from './schema.js';
export * from './tasks.js';
export * from './timers.js';

/** Options of {@link createStore}. */
export interface StoreOptions {
  /** The engine's clock, for the timestamps repositories write. Default: the system clock. */
  clock?: Clock;
  /** See `OpenDatabaseOptions.busyTimeoutMs`. Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * Everything a dialogue step produced, saved by {@link Store.saveDialogueStep} at once.
 */
export interface DialogueStep {
  dialogueId: number;
  /**
   * `actor.getPersistedSnapshot()` after the step settled. Left out by the first step of a
   * dialogue: `dialogues.create` has just written it, with the status.
   */
  snapshot?: unknown;
  /** `active` while the machine waits; anything else ends it and drops its timers. */
  status: DialogueStatus;
  /** Replies the machine emitted during the step. */
  messages?: readonly NewOutboxMessage[];
  /**
   * Timer changes seen during the step, applied in this order: `replace` (the whole set),
   * `fired` (ids of timers this step delivered), `cancel` (send ids), then `schedule`.
   */
  timers?: {
    replace?: readonly TimerInput[];
    cancel?: readonly string[];
    schedule?: readonly TimerInput[];
    fired?: readonly number[];
  };
}

/** The opened store; see {@link createStore}. */
export interface Store {
  db: Db;
  /** Raw better-sqlite3 connection (pragmas, backups). */
  sqlite: Database.Database;
  /** Migrations applied while opening: 0 when the file was up to date. */
  migrationsApplied: number;
  conversations: ConversationsRepo;
  dialogues: DialoguesRepo;
  timers: TimersRepo;
  jobs: JobsRepo;
  outbox: OutboxRepo;
  inbound: InboundRepo;
  records: RecordsRepo;
  deliveries: DeliveriesRepo;
  tasks: TasksRepo;
  ratings: RatingsRepo;
  /**
   * Runs `fn` in one transaction across repositories: all of its writes or none. Synchronous
   * only; do the I/O (Altegio, channels) before or after, never inside.
   */
  transaction<T>(fn: () => T): T;
  /**
   * Saves a dialogue step in one transaction: snapshot and status, the replies for the outbox
   * and the timer changes. If any part fails nothing is written, so a crash never leaves a
   * snapshot whose replies or deadlines are missing, or replies for a step that did not happen.
   * Returns how many messages were queued (an idempotency key seen before is skipped). Called
   * inside a caller's transaction it joins it (no savepoint: the runtime writes every step of a
   * group commit this way), and the caller's rollback covers it.
   *
   * @throws Error when the dialogue does not exist.
   */
  saveDialogueStep(step: DialogueStep): number;
  /** Closes the database; safe to call twice. */
  close(): void;
}

/**
 * Opens the database at `path` (`':memory:'` for tests), applies pending migrations and builds
 * the repositories. The engine's composition root calls it once; tests call it per test with a
 * temporary file.
 */
export function createStore(path: string, options: StoreOptions = {}): Store {
  const opened = openDatabase(
    path,
    options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs },
  );
  let migrationsApplied: number;
  try {
    migrationsApplied = migrateDatabase(opened.db);
  } catch (error) {
    opened.close();
    throw error;
  }
  const { db } = opened;
  const clock = options.clock;
  const now: Now = clock ? () => clock.now() : Date.now;
  const dialogues = createDialogues(db, now);
  const timers = createTimers(db, now);
  const outbox = createOutbox(db, now);
  const joinOrBegin = <T>(fn: () => T): T => (opened.sqlite.inTransaction ? fn() : transaction(db, fn));

  return {
    db,
    sqlite: opened.sqlite,
    migrationsApplied,
    conversations: createConversations(db, now),
    dialogues,
    timers,
    jobs: createJobs(db, now),
    outbox,
    inbound: createInbound(db, now),
    records: createRecords(db, now),
    deliveries: createDeliveries(db, now),
    tasks: createTasks(db, now),
    ratings: createRatings(db, now),
    transaction: (fn) => transaction(db, fn),
    saveDialogueStep: (step) =>
      joinOrBegin(() => {
        if (step.snapshot !== undefined && !dialogues.save(step.dialogueId, step.snapshot, step.status)) {
          throw new Error(`dialogue ${step.dialogueId} does not exist`);
        }
        if (step.status === 'active') {
          const changes = step.timers ?? {};
          if (changes.replace) timers.replaceForDialogue(step.dialogueId, changes.replace);
          // Fired first: a step whose delivered deadline re-enters its own state schedules the
          // same id again, and that new deadline must stay pending.
          for (const id of changes.fired ?? []) timers.markFired(id);
          for (const sendId of changes.cancel ?? []) timers.cancel(step.dialogueId, sendId);
          for (const timer of changes.schedule ?? []) timers.schedule(step.dialogueId, timer);
        } else {
          // A finished dialogue has nothing left to wait for.
          timers.deleteForDialogue(step.dialogueId);
        }
        let queued = 0;
        for (const message of step.messages ?? []) if (outbox.enqueue(message)) queued += 1;
        return queued;
      }),
    close: opened.close,
  };
}
