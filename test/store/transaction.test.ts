import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { settledSoon } from '../helpers/eventually.js';
import { useTempDatabases } from './helpers.js';

async function startDialogue(store: Store): Promise<{ conversationId: number; dialogueId: number }> {
  const conversation = await store.conversations.upsert('telegram', '100');
  const dialogue = await store.dialogues.create({
    conversationId: conversation.id,
    machineId: 'booking',
    machineVersion: 1,
    snapshot: { value: 'start' },
  });
  return { conversationId: conversation.id, dialogueId: dialogue.id };
}

const reply = (key: string, text: string) => ({
  channel: 'telegram' as const,
  recipient: '100',
  payload: { text },
  idempotencyKey: key,
});

describe('store transaction', () => {
  const temp = useTempDatabases();

  it('rolls back everything written inside transaction() when the callback throws midway', async () => {
    const path = 'tx.sqlite';
    const store = temp.open(path);
    const { dialogueId } = await startDialogue(store);
    await expect(
      store.transaction(async () => {
        await store.dialogues.save(dialogueId, { value: 'half' }, 'active');
        await store.outbox.enqueue(reply('half', 'half'));
        await store.timers.schedule(dialogueId, { sendId: 'half', event: { type: 'half' }, dueAt: 1 });
        throw new Error('the process stumbled');
      }),
    ).rejects.toThrow('the process stumbled');
    await store.close();

    const reopened = temp.open(path);
    expect((await reopened.dialogues.get(dialogueId))?.snapshot).toEqual({ value: 'start' });
    expect(await reopened.outbox.list()).toEqual([]);
    expect(await reopened.timers.due(10)).toEqual([]);
  });

  it('makes a write from another async chain wait for the open transaction, and keeps it when that one rolls back', async () => {
    const store = temp.open();
    let release: () => void = () => {};
    const holding = new Promise<void>((resolve) => {
      release = resolve;
    });
    const open = store.transaction(async () => {
      await store.outbox.enqueue(reply('inside', 'inside'));
      await holding;
      throw new Error('rolled back');
    });
    // Let the transaction begin and write.
    await new Promise((resolve) => setImmediate(resolve));
    const outside = store.outbox.enqueue(reply('outside', 'outside'));
    expect(await settledSoon(outside)).toBe(false);
    release();
    await expect(open).rejects.toThrow('rolled back');
    expect(await outside).toBe(true);
    expect((await store.outbox.list()).map((row) => row.idempotencyKey)).toEqual(['outside']);
  });

  it('lets nested transactions join the outer one: all of it commits or none', async () => {
    const store = temp.open();
    await store.transaction(async () => {
      await store.outbox.enqueue(reply('outer', 'outer'));
      await store.transaction(async () => {
        await store.outbox.enqueue(reply('inner', 'inner'));
      });
    });
    expect((await store.outbox.list()).map((row) => row.idempotencyKey).sort()).toEqual(['inner', 'outer']);

    await expect(
      store.transaction(async () => {
        await store.transaction(async () => {
          await store.outbox.enqueue(reply('joined', 'joined'));
        });
        throw new Error('outer fails after the inner one ended');
      }),
    ).rejects.toThrow('outer fails');
    // Joined, not a savepoint: the inner writes go with the outer rollback.
    expect(await store.outbox.byIdempotencyKey('joined')).toBeUndefined();
  });

  it('runs transactions of different chains one after the other, each committing its own writes', async () => {
    const store = temp.open();
    await Promise.all(
      ['a', 'b', 'c'].map((key) =>
        store.transaction(async () => {
          await store.outbox.enqueue(reply(key, key));
          await new Promise((resolve) => setImmediate(resolve));
          await store.outbox.enqueue(reply(`${key}2`, key));
        }),
      ),
    );
    expect((await store.outbox.list()).map((row) => row.idempotencyKey).sort()).toEqual([
      'a',
      'a2',
      'b',
      'b2',
      'c',
      'c2',
    ]);
  });
});
