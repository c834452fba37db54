/**
 * One Postgres database shared by several simulated engine processes. Each process connects
 * under its own application name, so that a test can cut all of one process's connections, as a
 * kill -9 does (its registry lock goes with them).
 */
import pg from 'pg';
import type { TestDatabase, TestPostgres } from './postgres.js';

export interface SharedDatabase {
  /** The URL process `name` connects with; the database is created on first use. */
  urlFor(name: string): Promise<string>;
  /** Closes every connection of process `name`. */
  kill(name: string): Promise<void>;
  /** SQL as an onlooker, on a connection no process owns. */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Drops the database; the next `urlFor` creates a new one (call after each test). */
  reset(): Promise<void>;
}

export function sharedDatabase(server: () => TestPostgres): SharedDatabase {
  let database: TestDatabase | undefined;
  let admin: pg.Pool | undefined;
  const onlooker = async (): Promise<pg.Pool> => {
    if (!database) database = await server().createDatabase();
    if (!admin) {
      admin = new pg.Pool({ connectionString: database.url });
      admin.on('error', () => {});
    }
    return admin;
  };
  return {
    async urlFor(name) {
      await onlooker();
      const url = new URL(database?.url ?? '');
      url.searchParams.set('application_name', name);
      return url.toString();
    },
    async kill(name) {
      await (await onlooker()).query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
    },
    async query(text, values) {
      return (await onlooker()).query(text, values);
    },
    async reset() {
      await admin?.end();
      await database?.drop();
      database = admin = undefined;
    },
  };
}
