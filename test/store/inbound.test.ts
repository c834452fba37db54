import { describe, expect, it } from 'vitest';
import { testClock, useTempDatabases } from './helpers.js';

describe('inbound ledger', () => {
  const temp = useTempDatabases();

  it('records an event once and returns false for a duplicate', () => {
    const { inbound } = temp.open().sync;
    expect(inbound.recordIfNew('altegio', 'abc', { resource: 'record' })).toBe(true);
    expect(inbound.recordIfNew('altegio', 'abc', { resource: 'changed' })).toBe(false);
    // The same id from another source is another event.
    expect(inbound.recordIfNew('telegram', 'abc')).toBe(true);
    expect(inbound.get('altegio', 'abc')?.payload).toEqual({ resource: 'record' });
    expect(inbound.get('telegram', 'abc')?.payload).toBeNull();
  });

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
    expect(restarted.sync.inbound.recordIfNew('altegio', '1')).toBe(false);
    expect(restarted.sync.inbound.pruneProcessed(clock.now() + 1)).toBe(1);
    expect(restarted.sync.inbound.get('altegio', '1')).toBeUndefined();
    expect(restarted.sync.inbound.get('altegio', '2')).toBeDefined();
  });

  it('prunes at most the given number of handled events at a time, oldest first', () => {
    const clock = testClock();
    const store = temp.open(undefined, clock);
    for (const id of ['a', 'b', 'c']) {
      store.sync.inbound.recordIfNew('whatsapp', id);
      store.sync.inbound.markProcessed('whatsapp', id);
      clock.advance(1000);
    }
    expect(store.sync.inbound.pruneProcessed(clock.now(), 2)).toBe(2);
    expect(store.sync.inbound.get('whatsapp', 'a')).toBeUndefined();
    expect(store.sync.inbound.get('whatsapp', 'b')).toBeUndefined();
    expect(store.sync.inbound.get('whatsapp', 'c')).toBeDefined();
    expect(store.sync.inbound.pruneProcessed(clock.now(), 2)).toBe(1);
  });
});
