import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/store/group-commit.js';
import { useTempDatabases } from './helpers.js';

const message = (key: string) => ({
  channel: 'telegram' as const,
  recipient: '42',
  payload: { text: key },
  idempotencyKey: key,
});

describe('group commit', () => {
  const temp = useTempDatabases();

  it('commits the steps finishing together in one transaction', async () => {
    const store = temp.open();
    let transactions = 0;
    const group = createGroupCommit(async (write) => {
      transactions += 1;
      await store.transaction(async () => write());
    });
    // Each step gets its own write's result back ('b' twice: the second is a duplicate, not queued).
    const queued = await Promise.all(
      ['a', 'b', 'b', 'c'].map((key) => group.commit(() => store.sync.outbox.enqueue(message(key)))),
    );
    expect(queued).toEqual([true, true, false, true]);
    expect(transactions).toBe(1);
    expect(
      store.sync.outbox
        .list()
        .map((row) => row.idempotencyKey)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  it('a failing step loses only its own writes, not its neighbours', async () => {
    const store = temp.open();
    const group = createGroupCommit((write) => store.transaction(async () => write()));
    const outcomes = await Promise.allSettled([
      group.commit(() => store.sync.outbox.enqueue(message('first'))),
      group.commit(() => {
        // A step that wrote part of its rows before failing: none of them may stay.
        store.sync.outbox.enqueue(message('half-done'));
        // A deadline of a dialogue that does not exist: the foreign key refuses it.
        store.sync.timers.schedule(404, { sendId: 'x', event: { type: 'x' }, dueAt: 1 });
      }),
      group.commit(() => store.sync.outbox.enqueue(message('third'))),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(
      store.sync.outbox
        .list()
        .map((row) => row.idempotencyKey)
        .sort(),
    ).toEqual(['first', 'third']);
  });
});
