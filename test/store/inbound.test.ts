import { describe, expect, it } from 'vitest';
import { storeDialects, useDialectStores } from './harness.js';
import { testClock, useTempDatabases } from './helpers.js';

describe.each(storeDialects)('inbound ledger on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('records an event once and returns false for a duplicate', async () => {
    const { inbound } = await open();
    expect(await inbound.recordIfNew('altegio', 'abc', { resource: 'record' })).toBe(true);
    expect(await inbound.recordIfNew('altegio', 'abc', { resource: 'changed' })).toBe(false);
    // The same id from another source is another event.
    expect(await inbound.recordIfNew('telegram', 'abc')).toBe(true);
    expect((await inbound.get('altegio', 'abc'))?.payload).toEqual({ resource: 'record' });
    expect((await inbound.get('telegram', 'abc'))?.payload).toBeNull();
  });

  it('prunes at most the given number of handled events at a time, oldest first', async () => {
    const clock = testClock();
    const store = await open(clock);
    for (const id of ['a', 'b', 'c']) {
      await store.inbound.recordIfNew('whatsapp', id);
      await store.inbound.markProcessed('whatsapp', id);
      clock.advance(1000);
    }
    expect(await store.inbound.pruneProcessed(clock.now(), 2)).toBe(2);
    expect(await store.inbound.get('whatsapp', 'a')).toBeUndefined();
    expect(await store.inbound.get('whatsapp', 'b')).toBeUndefined();
    expect(await store.inbound.get('whatsapp', 'c')).toBeDefined();
    expect(await store.inbound.pruneProcessed(clock.now(), 2)).toBe(1);
  });
});

// Closing and reopening the same file is how a restart looks on SQLite.
describe('inbound ledger on sqlite only (restart from file)', () => {
  const temp = useTempDatabases();

  it('lists stored but unprocessed events for replay, and prunes processed ones', () => {
    const clock = testClock(1000);
    const path = 'ledger.sqlite';
    const store = temp.open(path, clock);
    store.sync.inbound.recordIfNew('altegio', '1');
    clock.advance(1000);
    store.sync.inbound.recordIfNew('altegio', '2');
    expect(store.sync.inbound.markProcessed('altegio', '1')).toBe(true);
    expect(store.sync.inbound.markProcessed('altegio', '1')).toBe(false);
    store.close();

    const restarted = temp.open(path, clock);
    expect(restarted.sync.inbound.unprocessed().map((e) => e.eventId)).toEqual(['2']);
    // One source's backlog, as each replay at start reads its own.
    restarted.sync.inbound.recordIfNew('telegram', '7');
    expect(restarted.sync.inbound.unprocessed(100, 'telegram').map((e) => e.eventId)).toEqual(['7']);
    expect(restarted.sync.inbound.unprocessed(100, 'altegio').map((e) => e.eventId)).toEqual(['2']);
    expect(restarted.sync.inbound.recordIfNew('altegio', '1')).toBe(false);
    expect(restarted.sync.inbound.pruneProcessed(clock.now() + 1)).toBe(1);
    expect(restarted.sync.inbound.get('altegio', '1')).toBeUndefined();
    expect(restarted.sync.inbound.get('altegio', '2')).toBeDefined();
  });
});
