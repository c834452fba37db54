import { describe, expect, it } from 'vitest';
import { ActiveDialogueExistsError } from '../../src/store/index.js';
import { testClock, useTempDatabases } from './helpers.js';

const snapshot = { status: 'active', value: 'askService', context: { branchId: 1 } };

describe('dialogues', () => {
  const temp = useTempDatabases();

  it('stores and loads the snapshot as JSON', () => {
    const { conversations, dialogues } = temp.open().sync;
    const conversation = conversations.upsert('telegram', '1');
    const created = dialogues.create({
      conversationId: conversation.id,
      machineId: 'booking',
      machineVersion: 1,
      snapshot,
    });
    expect(dialogues.getActive(conversation.id)).toEqual(created);
    expect(created.snapshot).toEqual(snapshot);
    expect(created.recordId).toBeNull();

    const next = { ...snapshot, value: 'askStaff' };
    expect(dialogues.save(created.id, next, 'active')).toBe(true);
    expect(dialogues.get(created.id)?.snapshot).toEqual(next);
    expect(dialogues.save(9999, next, 'active')).toBe(false);
  });

  it('allows at most one active dialogue per conversation', () => {
    const { conversations, dialogues } = temp.open().sync;
    const conversation = conversations.upsert('telegram', '1');
    const input = { conversationId: conversation.id, machineId: 'booking', machineVersion: 1, snapshot };
    const first = dialogues.create(input);
    expect(() => dialogues.create(input)).toThrow(ActiveDialogueExistsError);

    // Once the first one ends, a new one may start; the old one stays for the record.
    expect(dialogues.setStatus(first.id, 'ended')).toBe(true);
    const second = dialogues.create({ ...input, machineId: 'reminder', recordId: 42 });
    expect(dialogues.getActive(conversation.id)?.id).toBe(second.id);
    expect(dialogues.findByRecord(42).map((d) => d.id)).toEqual([second.id]);

    // Another conversation is not affected.
    const other = conversations.upsert('telegram', '2');
    expect(() => dialogues.create({ ...input, conversationId: other.id })).not.toThrow();
    expect(dialogues.list({ status: 'active' })).toHaveLength(2);

    expect(dialogues.list()).toHaveLength(3);

    // A dialogue whose first step already finished it is stored finished, blocking nothing.
    const third = conversations.upsert('telegram', '3');
    const finished = dialogues.create({ ...input, conversationId: third.id, status: 'done' });
    expect(dialogues.get(finished.id)).toEqual(finished);
    expect(dialogues.getActive(third.id)).toBeUndefined();
    expect(dialogues.list()).toHaveLength(4);
  });

  it('refuses to reactivate a dialogue while another is active', () => {
    const clock = testClock();
    const { conversations, dialogues } = temp.open(undefined, clock).sync;
    const conversation = conversations.upsert('telegram', '1');
    const input = { conversationId: conversation.id, machineId: 'booking', machineVersion: 1, snapshot };
    const old = dialogues.create(input);
    dialogues.setStatus(old.id, 'expired');
    dialogues.create(input);
    expect(() => dialogues.save(old.id, snapshot, 'active')).toThrow();
    expect(dialogues.get(old.id)?.status).toBe('expired');
  });
});
