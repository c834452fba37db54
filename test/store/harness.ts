import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Clock } from '../../src/domain/clock.js';
import { createStore, type Store } from '../../src/store/index.js';

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

/** Every dialect the store suites run on; a Postgres entry joins here. */
export const storeDialects: StoreDialect[] = [sqlite];

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
