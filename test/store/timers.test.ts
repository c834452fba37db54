import { describe, expect, it } from 'vitest';
import type { SqliteStore as Store } from '../../src/store/index.js';
import { testClock, useTempDatabases } from './helpers.js';

function startDialogue(store: Store, chatId = '1'): number {
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

describe('timers', () => {
  const temp = useTempDatabases();

  it('returns unfired timers due by a time, soonest first, and each only until fired', () => {
    const clock = testClock();
    const store = temp.open(undefined, clock);
    const a = startDialogue(store, 'a');
    const b = startDialogue(store, 'b');
    const t0 = clock.now();
    store.sync.timers.schedule(a, timeout(t0 + 2000));
    store.sync.timers.schedule(b, timeout(t0 + 1000));
    store.sync.timers.schedule(b, timeout(t0 + 9000, 'other'));

    expect(store.sync.timers.due(t0 + 500)).toEqual([]);
    const due = store.sync.timers.due(t0 + 5000);
    expect(due.map((t) => [t.dialogueId, t.dueAt])).toEqual([
      [b, t0 + 1000],
      [a, t0 + 2000],
    ]);
    expect(due[0]?.event).toEqual({ type: 'xstate.after.replyTimeout.booking.askService' });
    expect(store.sync.timers.nextDueAt()).toBe(t0 + 1000);

    const [first] = due;
    if (!first) throw new Error('no timer');
    expect(store.sync.timers.markFired(first.id)).toBe(true);
    expect(store.sync.timers.markFired(first.id)).toBe(false);
    expect(store.sync.timers.due(t0 + 5000).map((t) => t.dialogueId)).toEqual([a]);
    expect(store.sync.timers.due(t0 + 5000, 0)).toEqual([]);
  });

  it('re-scheduling the same send id moves the deadline and re-arms a fired timer', () => {
    const store = temp.open();
    const id = startDialogue(store);
    store.sync.timers.schedule(id, timeout(1000));
    const [timer] = store.sync.timers.due(1000);
    if (!timer) throw new Error('no timer');
    store.sync.timers.markFired(timer.id, 1000);

    store.sync.timers.schedule(id, timeout(5000));
    expect(store.sync.timers.pendingForDialogue(id).map((t) => t.dueAt)).toEqual([5000]);
    expect(store.sync.timers.due(4999)).toEqual([]);
  });

  it('cancels by send id, moves a pending one later, and drops them all', () => {
    const store = temp.open();
    const id = startDialogue(store);
    store.sync.timers.schedule(id, timeout(1000, 'x'));
    store.sync.timers.schedule(id, timeout(2000, 'y'));
    expect(store.sync.timers.cancel(id, 'x')).toBe(true);
    expect(store.sync.timers.cancel(id, 'x')).toBe(false);
    expect(store.sync.timers.pendingForDialogue(id).map((t) => t.sendId)).toEqual(['y']);

    const [y] = store.sync.timers.pendingForDialogue(id);
    if (!y) throw new Error('no timer');
    expect(store.sync.timers.reschedule(y.id, 3000)).toBe(true);
    expect(store.sync.timers.due(2999)).toEqual([]);
    expect(store.sync.timers.due(3000).map((t) => t.sendId)).toEqual(['y']);
    // A delivered one stays delivered.
    store.sync.timers.markFired(y.id, 3000);
    expect(store.sync.timers.reschedule(y.id, 4000)).toBe(false);
    expect(store.sync.timers.due(5000)).toEqual([]);
    expect(store.sync.timers.deleteForDialogue(id)).toBe(1);
    expect(store.sync.timers.nextDueAt()).toBeUndefined();
  });

  it('survives a restart, so a deadline that passed while down is still delivered', () => {
    const clock = testClock();
    const store = temp.open(undefined, clock);
    const id = startDialogue(store);
    store.sync.timers.schedule(id, timeout(clock.now() + 60_000));
    store.close();

    const reopened = temp.open(undefined, clock);
    expect(reopened.sync.timers.due(clock.now() + 3_600_000).map((t) => t.dialogueId)).toEqual([id]);
  });

  it('dies with its dialogue (foreign key)', () => {
    const store = temp.open();
    const id = startDialogue(store);
    store.sync.timers.schedule(id, timeout(1000));
    store.sqlite.prepare('DELETE FROM dialogues WHERE id = ?').run(id);
    expect(store.sync.timers.due(10_000)).toEqual([]);
  });
});
