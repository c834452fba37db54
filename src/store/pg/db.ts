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
import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { guardConnections } from './connection-guard.js';
import * as schema from './schema.js';
import { assertSchemaName, SchemaPool } from './schema-pool.js';

/** The drizzle handle on the pool: each statement on whichever pooled client is free. */
export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

/** What a repository runs a statement on: the pool, or the current transaction's client. */
export type PgExecutor = NodePgDatabase<typeof schema>;

/** The result of a raw query, as node-postgres answers it. */
export interface SqlResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/**
 * Where repositories find the transaction their caller is in. Each store has its own, so two
 * stores (two databases) never see each other's transaction.
 */
export interface PgContext {
  /** The current transaction's handle if the caller is inside {@link PgContext.transaction}, else the pool's. */
  db(): PgExecutor;
  /**
   * Runs `fn` in one transaction on one pooled client; calls in `fn`'s async context join it, and
   * nested calls join the outer one (no savepoint: a nested failure fails the whole transaction,
   * which is what the outer `transaction` promises).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs raw SQL on the current transaction's client, else on the pool. This is the shape of
   * pg-boss's `db` option (`executeSql`), so a job it enqueues commits with our transaction.
   */
  executeSql(text: string, values?: unknown[]): Promise<SqlResult>;
  /** Takes a transaction-scoped advisory lock on `key`; throws outside a transaction. */
  lock(key: string): Promise<void>;
}

/** First key of the advisory locks {@link PgContext.lock} takes ("Keys"), apart from the chats' and the budget's. */
const KEY_LOCK_NAMESPACE = 0x4b657973;

interface Active {
  client: pg.PoolClient;
  db: PgExecutor;
}

/**
 * Builds the {@link PgContext} of a pool. A transaction takes a client of its own (rather than
 * drizzle's `db.transaction`) so that raw SQL, pg-boss's included, can run on the same client.
 */
export function createPgContext(db: PgDb): PgContext {
  const pool = db.$client;
  const current = new AsyncLocalStorage<Active>();
  return {
    db: () => current.getStore()?.db ?? db,

    async transaction(fn) {
      if (current.getStore()) return fn();
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const active: Active = { client, db: drizzle(client, { schema }) };
        let result: Awaited<ReturnType<typeof fn>>;
        try {
          result = await current.run(active, fn);
        } catch (error) {
          await client.query('ROLLBACK').catch((rollbackError: Error) => {
            broken = rollbackError;
          });
          throw error;
        }
        try {
          await client.query('COMMIT');
        } catch (error) {
          // A failed COMMIT has ended the transaction; a lost connection must not go back to the pool.
          if (error instanceof Error && !('code' in error)) broken = error;
          throw error;
        }
        return result;
      } finally {
        client.release(broken);
      }
    },

    async executeSql(text, values) {
      const result = await (current.getStore()?.client ?? pool).query(text, values);
      return { rows: result.rows, rowCount: result.rowCount };
    },

    async lock(key) {
      const active = current.getStore();
      if (!active) throw new Error('store.lock called outside a transaction');
      // Released by COMMIT or ROLLBACK, and by the server when the connection dies. Two keys with
      // the same hash only wait for each other, which is safe.
      await active.client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [KEY_LOCK_NAMESPACE, key]);
    },
  };
}

/** Options of {@link openPostgres}. */
export interface OpenPostgresOptions {
  /** Most connections the pool opens. Default 10 (node-postgres' default). */
  maxConnections?: number;
  /**
   * The schema that holds the tables (one per tenant, see `tenants/`). Every connection of the
   * pool searches only that schema, so no query can reach another schema's tables by an
   * unqualified name. Default: the server's search path (`public`).
   */
  schema?: string;
  /**
   * Borrow connections from this pool (a tenant host's, shared by its salons) instead of opening
   * any: see `schema-pool.ts`. `url` and `maxConnections` are then the shared pool's business.
   */
  shared?: pg.Pool;
  /**
   * Told each connection the pool loses (server stopped or restarted, connection terminated),
   * with the reason and no connection string; see `connection-guard.ts`. Default: nothing.
   */
  onConnectionLost?: (reason: string) => void;
}

/** Opens a pool on `url` (a `postgres://` connection string) and its drizzle handle. */
export function openPostgres(url: string, options: OpenPostgresOptions = {}): PgDb {
  const onLost = options.onConnectionLost ?? (() => {});
  if (options.shared) {
    // The host guards its pool when it opens it; this only covers a shared pool nobody guarded.
    guardConnections(options.shared, onLost);
    return drizzle(new SchemaPool(options.shared, options.schema ?? 'public'), { schema });
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    // A startup parameter, so it holds from a connection's first query and for all of them.
    ...(options.schema === undefined
      ? {}
      : { options: `-c search_path=${assertSchemaName(options.schema)}` }),
  });
  // A client that loses its server (restart, failover, terminated) emits 'error', idle or checked
  // out; unheard, that ends the process. The next query gets a fresh client and the real error.
  guardConnections(pool, onLost);
  return drizzle(pool, { schema });
}

/** Where the generated Postgres migrations live, found from this file (`src/store/pg/` → `../../../drizzle-pg`). */
export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle-pg', import.meta.url));

/** Arbitrary constant key of the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 7_304_215_661;

/**
 * Applies the pending migrations of `drizzle-pg/` and answers how many it applied. Idempotent:
 * drizzle records applied ones in `drizzle.__drizzle_migrations` (in a tenant's schema, in that
 * schema's own `__drizzle_migrations`). Two processes starting at once would both try to create
 * the tables, so the migration runs under a session advisory lock on one client; the second waits
 * and then finds nothing to do.
 */
export async function migratePostgres(
  db: PgDb,
  migrationsFolder: string = PG_MIGRATIONS_FOLDER,
  tablesSchema?: string,
): Promise<number> {
  const migrationsSchema = tablesSchema ?? 'drizzle';
  const client = await db.$client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      // The migrations name no schema: they create their tables in the pool's search path.
      if (tablesSchema !== undefined)
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${assertSchemaName(tablesSchema)}`);
      const onClient = drizzle(client, { schema });
      const before = await countApplied(client, migrationsSchema);
      await migrate(onClient, { migrationsFolder, migrationsSchema });
      return (await countApplied(client, migrationsSchema)) - before;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

async function countApplied(client: pg.PoolClient, migrationsSchema: string): Promise<number> {
  const table = `${assertSchemaName(migrationsSchema)}.__drizzle_migrations`;
  const found = await client.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [table]);
  if (!found.rows[0]?.t) return 0;
  const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(count.rows[0]?.n ?? 0);
}

/**
 * A value for a `jsonb` column. drizzle sends a JS `null` as SQL NULL, which a NOT NULL JSON
 * column refuses; SQLite's JSON columns store it as the JSON text `null`, so this stores the JSON
 * `null` too (read back as `null` in both dialects).
 */
export function jsonValue(value: unknown): unknown {
  return value === null || value === undefined ? sql`'null'::jsonb` : value;
}
