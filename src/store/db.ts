/**
 * Opening the SQLite file and bringing its schema up to date.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';

/**
 * The drizzle database every repository works on: synchronous, typed with our schema, with the
 * raw connection reachable as `$client` for transactions.
 */
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/**
 * Where repositories get "now" in epoch ms when the caller does not say. Injectable so that tests
 * and the engine's fake clock decide what time it is.
 */
export type Now = () => number;

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * How long a statement waits for another connection's write lock before failing with
   * `SQLITE_BUSY`. Default 5000 ms: a CLI `migrate` next to a running engine waits instead of failing.
   */
  busyTimeoutMs?: number;
}

/** An open database: the drizzle handle, the raw better-sqlite3 connection, and how to close both. */
export interface OpenedDatabase {
  /** Raw connection, for pragmas and for what drizzle cannot express. */
  sqlite: Database.Database;
  db: Db;
  /** Closes the connection; safe to call twice. */
  close(): void;
}

/**
 * Opens (creating if needed) the SQLite database at `path`, `':memory:'` for a throw-away one.
 *
 * The parent folder is created, because the default `./data/altegio-bot.sqlite` lives in a
 * folder a fresh checkout does not have. Pragmas, and why:
 * - `journal_mode=WAL`: the HTTP handlers read while the dispatcher writes, without blocking;
 * - `synchronous=NORMAL`: safe with WAL (a power cut may lose the last commits, never corrupts)
 *   and about four times faster per commit than FULL, which matters with one commit per dialogue step;
 * - `foreign_keys=ON`: SQLite leaves them off by default, and timers must die with their dialogue;
 * - `busy_timeout`: see {@link OpenDatabaseOptions.busyTimeoutMs}.
 *
 * @example
 * ```ts
 * const { db, close } = openDatabase('./data/altegio-bot.sqlite');
 * migrateDatabase(db);
 * ```
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  try {
    if (!inMemory) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const db = drizzle(sqlite, { schema });
  return {
    sqlite,
    db,
    close() {
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * Where the generated migrations live, found from this file rather than the working directory,
 * so `npx altegio-bot migrate` works from any folder (`src/store/` → `../../drizzle`).
 */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Applies the pending migrations of `drizzle/` and answers how many it applied, so that the
 * CLI can say "applied 1 migration" or "database up to date". Idempotent: applied migrations are
 * recorded in `__drizzle_migrations` and skipped.
 */
export function migrateDatabase(db: Db, migrationsFolder: string = MIGRATIONS_FOLDER): number {
  const before = countAppliedMigrations(db);
  migrate(db, { migrationsFolder });
  return countAppliedMigrations(db) - before;
}

function countAppliedMigrations(db: Db): number {
  const table = db.get<{ n: number }>(
    sql`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'`,
  );
  if (!table || table.n === 0) return 0;
  return db.get<{ n: number }>(sql`SELECT count(*) AS n FROM __drizzle_migrations`)?.n ?? 0;
}

/**
 * Runs `fn` in one SQLite transaction: everything it writes commits together or, if it throws,
 * not at all. Nested calls become savepoints, so repositories can use it inside a caller's
 * transaction. `BEGIN IMMEDIATE` takes the write lock up front: a deferred transaction that reads
 * and then writes can fail with `SQLITE_BUSY` at once when another connection wrote in between,
 * whatever the busy timeout.
 *
 * `fn` must be synchronous (better-sqlite3 is); an async function is refused with a TypeError,
 * because its awaits would run after the commit.
 */
export function transaction<T>(db: Db, fn: () => T): T {
  return db.$client.transaction(fn).immediate();
}
