/**
 * The store on Postgres: a node-postgres pool, drizzle, migrations from `drizzle-pg/`, and every
 * repository behind the same async ports as SQLite's (`../ports.ts`).
 *
 * What differs from SQLite, by design:
 * - transactions do not serialise the process: a call outside `transaction`'s async context
 *   runs at once on another pooled connection and sees only committed data;
 * - claims (`jobs.claimDue`, `outbox.claimDue`) use `FOR UPDATE SKIP LOCKED`, so several engine
 *   processes can share one database without taking the same row.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore(env.databaseUrl, { clock });
 * await store.jobs.recoverInterrupted();
 * await store.transaction(async () => {
 *   await store.dialogues.save(id, snapshot, 'active');
 *   await store.outbox.enqueue(message);
 * });
 * await store.close();
 * ```
 *
 * @module
 */
import type pg from 'pg';
import type { Clock } from '../../domain/clock.js';
import type { Now } from '../db.js';
import type { Store } from '../ports.js';
import { createPgConversations } from './conversations.js';
import { createPgContext, migratePostgres, openPostgres, type PgDb, type SqlResult } from './db.js';
import { createPgDeliveries } from './deliveries.js';
import { createPgDialogues } from './dialogues.js';
import { createPgInbound } from './inbound.js';
import { createPgJobs } from './jobs.js';
import { createPgOutbox } from './outbox.js';
import { createPgRatings } from './ratings.js';
import { createPgRecords } from './records.js';
import { createPgSyncs } from './syncs.js';
import { createPgTasks } from './tasks.js';
import { createPgTimers } from './timers.js';

export { migratePostgres, openPostgres, PG_MIGRATIONS_FOLDER, type PgDb, type SqlResult } from './db.js';

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** The engine's clock, for the timestamps repositories write. Default: the system clock. */
  clock?: Clock;
  /** Most connections the pool opens. Default 10. */
  maxConnections?: number;
  /** The schema holding this store's tables, created if missing (a tenant's; see `openPostgres`). */
  schema?: string;
  /** Connections borrowed from a tenant host's pool instead of a pool of its own (`schema-pool.ts`). */
  shared?: pg.Pool;
  /** Told each connection the pool loses, with the reason (see `connection-guard.ts`). */
  onConnectionLost?: (reason: string) => void;
}

/** The store on Postgres: the {@link Store} port plus what only Postgres has. */
export interface PostgresStore extends Store {
  readonly dialect: 'postgres';
  /** The drizzle handle on the pool (not the current transaction's). */
  db: PgDb;
  pool: pg.Pool;
  /** Where drizzle records the applied migrations (`<schema>.__drizzle_migrations`). */
  migrationsTable: string;
  /**
   * Raw SQL on the current transaction's client when called inside {@link Store.transaction}, else
   * on the pool. Pass `{ executeSql }` as pg-boss's `db` option and its `send` commits or rolls
   * back with our transaction.
   */
  executeSql(text: string, values?: unknown[]): Promise<SqlResult>;
}

/**
 * Connects to `url` (`postgres://user@host:port/database`), applies pending migrations and builds
 * the repositories. Fails, with the pool closed, when the server cannot be reached or a
 * migration fails.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const db = openPostgres(url, {
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.shared === undefined ? {} : { shared: options.shared }),
    ...(options.onConnectionLost === undefined ? {} : { onConnectionLost: options.onConnectionLost }),
  });
  let migrationsApplied: number;
  try {
    migrationsApplied = await migratePostgres(db, undefined, options.schema);
  } catch (error) {
    await db.$client.end();
    throw error;
  }
  const clock = options.clock;
  const now: Now = clock ? () => clock.now() : Date.now;
  const ctx = createPgContext(db);
  let closed: Promise<void> | undefined;

  return {
    dialect: 'postgres',
    db,
    pool: db.$client,
    // As `migratePostgres` keeps them: in the tenant's schema, else drizzle's own.
    migrationsTable: `${options.schema ?? 'drizzle'}.__drizzle_migrations`,
    migrationsApplied,
    conversations: createPgConversations(ctx, now),
    dialogues: createPgDialogues(ctx, now),
    timers: createPgTimers(ctx, now),
    jobs: createPgJobs(ctx, now),
    outbox: createPgOutbox(ctx, now),
    inbound: createPgInbound(ctx, now),
    records: createPgRecords(ctx, now),
    deliveries: createPgDeliveries(ctx, now),
    tasks: createPgTasks(ctx, now),
    ratings: createPgRatings(ctx, now),
    syncs: createPgSyncs(ctx, now),
    transaction: (fn) => ctx.transaction(fn),
    lock: (key) => ctx.lock(key),
    executeSql: (text, values) => ctx.executeSql(text, values),
    close() {
      closed ??= db.$client.end();
      return closed;
    },
  };
}

/** Whether `store` is the Postgres store (and so has a pool other Postgres parts can share). */
export function isPostgresStore(store: Store): store is PostgresStore {
  return store.dialect === 'postgres' && 'pool' in store;
}
