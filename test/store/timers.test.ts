import { describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/ports.js';
import { storeDialects, useDialectStores } from './harness.js';
import { testClock, useTempDatabases } from './helpers.js';

async function startDialogue(store: Store, chatId = '1'): Promise<number> {
  const conversation = await store.conversations.upsert('telegram', chatId);
  return (
    await store.dialogues.create({
      conversationId: conversation.id,
      machineId: 'booking',
      machineVersion: 1,
      snapshot: {},
    })
  ).id;
}

function startSqliteDialogue(store: SqliteStore, chatId = '1'): number {
  const conversation = store.sync.conversations.upsert('telegram', chatId);
  return store.sync.dialogues.create({
    conversationId: conversation.id,
    machineId: 'booking',
    machineVersion: 1,
    snapshot: {},
  }).id;
}

const timeout = (dueAt: number, sendId = 'xstate.after.replyTimeout.booking.askService') => ({
  sendId,
  event: { type: sendId },
  dueAt,
});

describe.each(storeDialects)('timers on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('returns unfired timers due by a time, soonest first, and each only until fired', async () => {
    const clock = testClock();
    const store = await open(clock);
    const a = await startDialogue(store, 'a');
    const b = await startDialogue(store, 'b');
    const t0 = clock.now();
    await store.timers.schedule(a, timeout(t0 + 2000));
    await store.timers.schedule(b, timeout(t0 + 1000));
    await store.timers.schedule(b, timeout(t0 + 9000, 'other'));

    expect(await store.timers.due(t0 + 500)).toEqual([]);
    const due = await store.timers.due(t0 + 5000);
    expect(due.map((t) => [t.dialogueId, t.dueAt])).toEqual([
      [b, t0 + 1000],
      [a, t0 + 2000],
    ]);
    expect(due[0]?.event).toEqual({ type: 'xstate.after.replyTimeout.booking.askService' });
    expect(await store.timers.nextDueAt()).toBe(t0 + 1000);

    const [first] = due;
    if (!first) throw new Error('no timer');
    expect(await store.timers.markFired(first.id)).toBe(true);
    expect(await store.timers.markFired(first.id)).toBe(false);
    expect((await store.timers.due(t0 + 5000)).map((t) => t.dialogueId)).toEqual([a]);
    expect(await store.timers.due(t0 + 5000, 0)).toEqual([]);
  });

  it('re-scheduling the same send id moves the deadline and re-arms a fired timer', async () => {
    const store = await open();
    const id = await startDialogue(store);
    await store.timers.schedule(id, timeout(1000));
    const [timer] = await store.timers.due(1000);
    if (!timer) throw new Error('no timer');
    await store.timers.markFired(timer.id, 1000);

    await store.timers.schedule(id, timeout(5000));
    expect((await store.timers.pendingForDialogue(id)).map((t) => t.dueAt)).toEqual([5000]);
    expect(await store.timers.due(4999)).toEqual([]);
  });

  it('cancels by send id, moves a pending one later, and drops them all', async () => {
    const store = await open();
    const id = await startDialogue(store);
    await store.timers.schedule(id, timeout(1000, 'x'));
    await store.timers.schedule(id, timeout(2000, 'y'));
    expect(await store.timers.cancel(id, 'x')).toBe(true);
    expect(await store.timers.cancel(id, 'x')).toBe(false);
    expect((await store.timers.pendingForDialogue(id)).map((t) => t.sendId)).toEqual(['y']);

    const [y] = await store.timers.pendingForDialogue(id);
    if (!y) throw new Error('no timer');
    expect(await store.timers.reschedule(y.id, 3000)).toBe(true);
    expect(await store.timers.due(2999)).toEqual([]);
    expect((await store.timers.due(3000)).map((t) => t.sendId)).toEqual(['y']);
    // A delivered one stays delivered.
    await store.timers.markFired(y.id, 3000);
    expect(await store.timers.reschedule(y.id, 4000)).toBe(false);
    expect(await store.timers.due(5000)).toEqual([]);
    expect(await store.timers.deleteForDialogue(id)).toBe(1);
    expect(await store.timers.nextDueAt()).toBeUndefined();
  });
});

// Reopening the same file and deleting through raw SQL are SQLite-specific ways to set these up.
describe('timers on sqlite only (restart from file, foreign key)', () => {
  const temp = useTempDatabases();

  it('survives a restart, so a deadline that passed while down is still delivered', () => {
    const clock = testClock();
    const store = temp.open(undefined, clock);
    const id = startSqliteDialogue(store);
    store.sync.timers.schedule(id, timeout(clock.now() + 60_000));
    store.close();

    const reopened = temp.open(undefined, clock);
    expect(reopened.sync.timers.due(clock.now() + 3_600_000).map((t) => t.dialogueId)).toEqual([id]);
  });

  it('dies with its dialogue (foreign key)', () => {
    const store = temp.open();
    const id = startSqliteDialogue(store);
    store.sync.timers.schedule(id, timeout(1000));
    store.sqlite.prepare('DELETE FROM dialogues WHERE id = ?').run(id);
    expect(store.sync.timers.due(10_000)).toEqual([]);
  });
});
