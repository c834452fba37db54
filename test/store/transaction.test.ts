import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { useTempDatabases } from './helpers.js';

function startDialogue(store: Store): { conversationId: number; dialogueId: number } {
  const conversation = store.conversations.upsert('telegram', '100');
  const dialogue = store.dialogues.create({
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

  it('rolls back everything written inside transaction() when the function throws midway', () => {
    const path = 'tx.sqlite';
    const store = temp.open(path);
    const { dialogueId } = startDialogue(store);
    expect(() =>
      store.transaction(() => {
        store.dialogues.save(dialogueId, { value: 'half' }, 'active');
        store.outbox.enqueue(reply('half', 'half'));
        store.timers.schedule(dialogueId, { sendId: 'half', event: { type: 'half' }, dueAt: 1 });
        throw new Error('the process stumbled');
      }),
    ).toThrow('the process stumbled');
    store.close();

    const reopened = temp.open(path);
    expect(reopened.dialogues.get(dialogueId)?.snapshot).toEqual({ value: 'start' });
    expect(reopened.outbox.list()).toEqual([]);
    expect(reopened.timers.due(10)).toEqual([]);
  });

  it('refuses an async function instead of committing before its awaits', () => {
    const store = temp.open();
    expect(() => store.transaction(async () => 1)).toThrow(TypeError);
  });
});
