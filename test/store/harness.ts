import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import type { Clock } from '../../src/domain/clock.js';
import { createStore, type Store } from '../../src/store/index.js';
import { openPostgresStore } from '../../src/store/pg/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

/** A dialect the store suites run on: each entry opens a fresh, migrated, empty store. */
export interface StoreDialect {
  name: 'sqlite' | 'postgres';
  open(options?: { clock?: Clock }): Promise<Store>;
}

/** SQLite on a temp file, so that WAL and file locking behave as in production. */
const sqlite: StoreDialect = {
  name: 'sqlite',
  async open(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'altegio-bot-store-'));
    const store = createStore(join(dir, 'test.sqlite'), options.clock ? { clock: options.clock } : {});
    const close = store.close;
    return Object.assign(store, {
      async close() {
        await close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
};

/** One server per test file, started on first use (a throw-away cluster, or `TEST_DATABASE_URL`). */
let server: Promise<TestPostgres> | undefined;
afterAll(async () => {
  const started = server;
  server = undefined;
  if (started) await (await started).stop();
});

/** Postgres, a fresh database per store, dropped when the store closes. */
const postgres: StoreDialect = {
  name: 'postgres',
  async open(options = {}) {
    server ??= startTestPostgres();
    const database = await (await server).createDatabase();
    const store = await openPostgresStore(database.url, options.clock ? { clock: options.clock } : {});
    const close = store.close;
    return Object.assign(store, {
      async close() {
        await close();
        await database.drop();
      },
    });
  },
};

/** Every dialect the store suites run on. */
export const storeDialects: StoreDialect[] = [sqlite, postgres];

/**
 * A store per test of `dialect`, closed afterwards: `const open = useDialectStores(dialect)`,
 * then `const store = await open(clock)` inside a test of `describe.each(storeDialects)`.
 */
export function useDialectStores(dialect: StoreDialect): (clock?: Clock) => Promise<Store> {
  const opened: Store[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  return async (clock) => {
    const store = await dialect.open(clock ? { clock } : {});
    opened.push(store);
    return store;
  };
}
