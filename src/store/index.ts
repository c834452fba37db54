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
import { createOutbox, type OutboxRepo } from './outbox.js';
import { createRatings, type RatingsRepo } from './ratings.js';
import { createRecords, type RecordsRepo } from './records.js';
import { createSyncs, type SyncsRepo } from './syncs.js';
import { createTasks, type TasksRepo } from './tasks.js';
import { createTimers, type TimersRepo } from './timers.js';

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
export * from './syncs.js';
export * from './tasks.js';
export * from './timers.js';

/** Options of {@link createStore}. */
export interface StoreOptions {
  /** The engine's clock, for the timestamps repositories write. Default: the system clock. */
  clock?: Clock;
  /** See `OpenDatabaseOptions.busyTimeoutMs`. Default 5000. */
  busyTimeoutMs?: number;
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
  /** Last reconcile of each branch's records with Altegio. */
  syncs: SyncsRepo;
  /**
   * Runs `fn` in one transaction across repositories: all of its writes or none. Synchronous
   * only; do the I/O (Altegio, channels) before or after, never inside.
   */
  transaction<T>(fn: () => T): T;
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

  return {
    db,
    sqlite: opened.sqlite,
    migrationsApplied,
    conversations: createConversations(db, now),
    dialogues: createDialogues(db, now),
    timers: createTimers(db, now),
    jobs: createJobs(db, now),
    outbox: createOutbox(db, now),
    inbound: createInbound(db, now),
    records: createRecords(db, now),
    deliveries: createDeliveries(db, now),
    tasks: createTasks(db, now),
    ratings: createRatings(db, now),
    syncs: createSyncs(db, now),
    transaction: (fn) => transaction(db, fn),
    close: opened.close,
  };
}
