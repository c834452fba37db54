import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createStore, type SqliteStore as Store } from '../../src/store/index.js';

/** A clock the test moves by hand; starts at a fixed instant so that rows are predictable. */
export interface TestClock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2026, 2, 14, 12, 0, 0)): TestClock {
  let current = start;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/**
 * Real SQLite files in a fresh temp folder per test, closed and deleted afterwards, so that
 * WAL, file locking and re-opening behave as in production.
 */
export function useTempDatabases(): {
  dir: () => string;
  path: (name?: string) => string;
  open: (name?: string, clock?: TestClock) => Store;
} {
  let dir: string | undefined;
  const opened: Store[] = [];
  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const ensureDir = (): string => {
    dir ??= mkdtempSync(join(tmpdir(), 'altegio-bot-store-'));
    return dir;
  };
  const path = (name = 'test.sqlite'): string => join(ensureDir(), name);
  return {
    dir: ensureDir,
    path,
    open(name, clock) {
      const store = createStore(path(name), clock ? { clock } : {});
      opened.push(store);
      return store;
    },
  };
}
