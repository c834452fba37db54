/**
 * The Postgres connection pool, its drizzle handle, migrations, and the transaction context every
 * Postgres repository runs its statements in.
 *
 * The driver is node-postgres (`pg`), not `postgres` (postgres.js): pg-boss is built on `pg`, so
 * the engine has one driver and one pool type, and pg-boss's `db` option can run its enqueue on
 * our transaction's client, committing a job with the state that produced it.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { PgTransaction } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema.js';

/** The drizzle handle on the pool: each statement on whichever pooled client is free. */
export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

/** What a repository runs a statement on: the pool, or the current transaction. */
// biome-ignore lint/suspicious/noExplicitAny: drizzle's query-result HKT, whatever the driver.
export type PgExecutor = PgDb | PgTransaction<any, typeof schema, any>;

/**
 * Where repositories find the transaction their caller is in. Each store has its own, so two
 * stores (two databases) never see each other's transaction.
 */
export interface PgContext {
  /** The current transaction if the caller is inside `store.transaction`, else the pool. */
  db(): PgExecutor;
  /**
   * Runs `fn` in one transaction; nested calls join the outer one (no savepoint: a failing
   * nested call fails the whole transaction, which is what the caller's `transaction` means).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
}

/** Builds the {@link PgContext} of one pool's drizzle handle. */
export function createPgContext(db: PgDb): PgContext {
  const current = new AsyncLocalStorage<PgExecutor>();
  return {
    db: () => current.getStore() ?? db,
    transaction(fn) {
      if (current.getStore()) return fn();
      return db.transaction((tx) => current.run(tx, fn));
    },
  };
}

/** Options of {@link openPostgres}. */
export interface OpenPostgresOptions {
  /** Most connections the pool opens. Default 10 (node-postgres' default). */
  maxConnections?: number;
}

/** Opens a pool on `url` (a `postgres://` connection string) and its drizzle handle. */
export function openPostgres(url: string, options: OpenPostgresOptions = {}): PgDb {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  // An idle client that loses its server (restart, failover) emits here; without a listener the
  // process would crash. The next query gets a fresh client and reports the real error.
  pool.on('error', () => {});
  return drizzle(pool, { schema });
}

/** Where the generated Postgres migrations live, found from this file (`src/store/pg/` → `../../../drizzle-pg`). */
export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle-pg', import.meta.url));

/** Arbitrary constant key of the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 7_304_215_661;

/**
 * Applies the pending migrations of `drizzle-pg/` and answers how many it applied. Idempotent:
 * drizzle records applied ones in `drizzle.__drizzle_migrations`. Two processes starting at once
 * would both try to create the tables, so the migration runs under a session advisory lock on
 * one client; the second waits and then finds nothing to do.
 */
export async function migratePostgres(
  db: PgDb,
  migrationsFolder: string = PG_MIGRATIONS_FOLDER,
): Promise<number> {
  const client = await db.$client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const onClient = drizzle(client, { schema });
      const before = await countApplied(client);
      await migrate(onClient, { migrationsFolder });
      return (await countApplied(client)) - before;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

async function countApplied(client: pg.PoolClient): Promise<number> {
  const table = await client.query<{ t: string | null }>(
    `SELECT to_regclass('drizzle.__drizzle_migrations')::text AS t`,
  );
  if (!table.rows[0]?.t) return 0;
  const count = await client.query<{ n: string }>('SELECT count(*) AS n FROM drizzle.__drizzle_migrations');
  return Number(count.rows[0]?.n ?? 0);
}
