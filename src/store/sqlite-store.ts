/**
 * The store on SQLite: one better-sqlite3 connection, the synchronous repositories, and the async
 * ports ({@link Store}) over them, serialised by a {@link ConnectionLock}.
 *
 * @module
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../domain/clock.js';
import { ConnectionLock } from './connection-lock.js';
import { type ConversationsRepo, createConversations } from './conversations.js';
import { type Db, migrateDatabase, type Now, openDatabase } from './db.js';
import { createDeliveries, type DeliveriesRepo } from './deliveries.js';
import { createDialogues, type DialoguesRepo } from './dialogues.js';
import { createInbound, type InboundRepo } from './inbound.js';
import { createJobs, type JobsRepo } from './jobs.js';
import { createOutbox, type OutboxRepo } from './outbox.js';
import type { Port, Repositories, Store } from './ports.js';
import { createRatings, type RatingsRepo } from './ratings.js';
import { createRecords, type RecordsRepo } from './records.js';
import { createSyncs, type SyncsRepo } from './syncs.js';
import { createTasks, type TasksRepo } from './tasks.js';
import { createTimers, type TimersRepo } from './timers.js';

/** Options of {@link createStore}. */
export interface StoreOptions {
  /** The engine's clock, for the timestamps repositories write. Default: the system clock. */
  clock?: Clock;
  /** See `OpenDatabaseOptions.busyTimeoutMs`. Default 5000. */
  busyTimeoutMs?: number;
}

/** The synchronous SQLite repositories: what the async ports run. */
export interface SqliteRepositories {
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
  syncs: SyncsRepo;
}

/**
 * The store on SQLite: the async {@link Store} port, plus what only SQLite has, for the SQLite
 * dialogue store, the checkpointer and the CLI.
 */
export interface SqliteStore extends Store {
  readonly dialect: 'sqlite';
  db: Db;
  /** Raw better-sqlite3 connection (pragmas, backups). */
  sqlite: Database.Database;
  /**
   * The repositories themselves, synchronous. Use them only through {@link SqliteStore.connection}
   * (`connection.run(() => sync.timers.due(now))`), so that nothing lands inside, or reads from, an async
   * transaction another chain has open.
   */
  sync: SqliteRepositories;
  connection: ConnectionLock;
}

/** `repo`'s methods as a port: each runs on the connection under `lock`. */
function portOf<Repo extends object>(repo: Repo, lock: ConnectionLock): Port<Repo> {
  const port: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(repo)) {
    if (typeof method !== 'function') continue;
    port[name] = (...args: unknown[]) => lock.run(() => method.apply(repo, args));
  }
  return port as Port<Repo>;
}

/**
 * Opens the database at `path` (`':memory:'` for tests), applies pending migrations and builds
 * the repositories. The engine's composition root calls it once; tests call it per test with a
 * temporary file.
 */
export function createStore(path: string, options: StoreOptions = {}): SqliteStore {
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
  const { db, sqlite } = opened;
  const clock = options.clock;
  const now: Now = clock ? () => clock.now() : Date.now;
  const lock = new ConnectionLock();

  const sync: SqliteRepositories = {
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
  };
  const ports: Repositories = {
    conversations: portOf(sync.conversations, lock),
    dialogues: portOf(sync.dialogues, lock),
    timers: portOf(sync.timers, lock),
    jobs: portOf(sync.jobs, lock),
    outbox: portOf(sync.outbox, lock),
    inbound: portOf(sync.inbound, lock),
    records: portOf(sync.records, lock),
    deliveries: portOf(sync.deliveries, lock),
    tasks: portOf(sync.tasks, lock),
    ratings: portOf(sync.ratings, lock),
    syncs: portOf(sync.syncs, lock),
  };
  // `BEGIN IMMEDIATE` takes the write lock up front: a deferred transaction that reads and then
  // writes can fail with `SQLITE_BUSY` at once when another connection wrote in between.
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  const commit = sqlite.prepare('COMMIT');
  const rollback = sqlite.prepare('ROLLBACK');
  const statements = {
    begin: () => begin.run(),
    commit: () => commit.run(),
    // A failed statement may have rolled back already (SQLite does on some errors).
    rollback: () => {
      if (sqlite.inTransaction) rollback.run();
    },
  };

  return {
    dialect: 'sqlite',
    db,
    sqlite,
    sync,
    connection: lock,
    migrationsApplied,
    ...ports,
    transaction: (fn) => lock.transaction(fn, statements),
    // One transaction holds the connection at a time, so holding it is holding every key.
    async lock() {
      if (!lock.joined) throw new Error('store.lock called outside a transaction');
    },
    // After an open transaction ends, so that it is not cut off midway.
    close: () => lock.run(() => opened.close()),
  };
}
