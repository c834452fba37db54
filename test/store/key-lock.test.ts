import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { isPostgresStore } from '../../src/store/pg/index.js';
import { eventually, settledSoon } from '../helpers/eventually.js';
import { storeDialects, useDialectStores } from './harness.js';

/** Whether a second transaction is queued behind the first: on Postgres an ungranted advisory lock. */
async function waiting(store: Store, other: Promise<unknown>): Promise<boolean> {
  if (!isPostgresStore(store)) return !(await settledSoon(other));
  const { rows } = await store.executeSql(
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
  );
  return rows[0]?.n === 1;
}

/** Opens one notice for the client unless one is open: the planner's read-then-write. */
function openNotice(store: Store, key: string, recordId: number, beforeWrite?: () => Promise<void>) {
  return store.transaction(async () => {
    await store.lock(key);
    if ((await store.jobs.pendingWithKeyPrefix('notice', key)).length > 0) return false;
    await beforeWrite?.();
    return store.jobs.enqueue({ kind: 'notice', dueAt: 0, dedupeKey: `${key}${recordId}`, payload: {} });
  });
}

/** Starts a first notice for client 1 and holds its transaction open, after its read, until `release`. */
async function holdFirst(store: Store): Promise<{ first: Promise<boolean>; release(): void }> {
  let release = () => {};
  const mayWrite = new Promise<void>((resolve) => {
    release = resolve;
  });
  let readIt = () => {};
  const firstRead = new Promise<void>((resolve) => {
    readIt = resolve;
  });
  const first = openNotice(store, 'client-1:', 1, async () => {
    readIt();
    await mayWrite;
  });
  await firstRead;
  return { first, release };
}

describe.each(storeDialects)('store.lock on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('lets a second read-then-write of a key see the first one’s write, not run beside it', async () => {
    const store = await open();
    const { first, release } = await holdFirst(store);
    const second = openNotice(store, 'client-1:', 2);
    // Without the lock the second finds no notice and opens its own before the first writes.
    await eventually(async () => (await waiting(store, second)) || (await settledSoon(second)));
    release();
    expect(await Promise.all([first, second])).toEqual([true, false]);
    expect(await store.jobs.pendingWithKeyPrefix('notice', 'client-1:')).toHaveLength(1);
  });

  it('refuses to lock outside a transaction, where the lock would protect nothing', async () => {
    const store = await open();
    await expect(store.lock('client-1:')).rejects.toThrow(/outside a transaction/);
  });
});

describe('store.lock on postgres', () => {
  const postgres = storeDialects.find((dialect) => dialect.name === 'postgres');
  if (!postgres) throw new Error('the store suites run on postgres');
  const open = useDialectStores(postgres);

  it('does not hold back a transaction on another key', async () => {
    const store = await open();
    const { first, release } = await holdFirst(store);
    expect(await openNotice(store, 'client-2:', 2)).toBe(true);
    release();
    expect(await first).toBe(true);
  });
});
