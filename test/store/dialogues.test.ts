import { describe, expect, it } from 'vitest';
import { ActiveDialogueExistsError } from '../../src/store/index.js';
import { storeDialects, useDialectStores } from './harness.js';
import { testClock } from './helpers.js';

const snapshot = { status: 'active', value: 'askService', context: { branchId: 1 } };

describe.each(storeDialects)('dialogues on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('stores and loads the snapshot as JSON', async () => {
    const { conversations, dialogues } = await open();
    const conversation = await conversations.upsert('telegram', '1');
    const created = await dialogues.create({
      conversationId: conversation.id,
      machineId: 'booking',
      machineVersion: 1,
      snapshot,
    });
    expect(await dialogues.getActive(conversation.id)).toEqual(created);
    expect(created.snapshot).toEqual(snapshot);
    expect(created.recordId).toBeNull();

    const next = { ...snapshot, value: 'askStaff' };
    expect(await dialogues.save(created.id, next, 'active')).toBe(true);
    expect((await dialogues.get(created.id))?.snapshot).toEqual(next);
    expect(await dialogues.save(9999, next, 'active')).toBe(false);
  });

  it('allows at most one active dialogue per conversation', async () => {
    const { conversations, dialogues } = await open();
    const conversation = await conversations.upsert('telegram', '1');
    const input = { conversationId: conversation.id, machineId: 'booking', machineVersion: 1, snapshot };
    const first = await dialogues.create(input);
    await expect(dialogues.create(input)).rejects.toThrow(ActiveDialogueExistsError);

    // Once the first one ends, a new one may start; the old one stays for the record.
    expect(await dialogues.setStatus(first.id, 'ended')).toBe(true);
    const second = await dialogues.create({ ...input, machineId: 'reminder', recordId: 42 });
    expect((await dialogues.getActive(conversation.id))?.id).toBe(second.id);
    expect((await dialogues.findByRecord(42)).map((d) => d.id)).toEqual([second.id]);

    // Another conversation is not affected.
    const other = await conversations.upsert('telegram', '2');
    await expect(dialogues.create({ ...input, conversationId: other.id })).resolves.toBeDefined();
    expect(await dialogues.list({ status: 'active' })).toHaveLength(2);

    expect(await dialogues.list()).toHaveLength(3);

    // A dialogue whose first step already finished it is stored finished, blocking nothing.
    const third = await conversations.upsert('telegram', '3');
    const finished = await dialogues.create({ ...input, conversationId: third.id, status: 'done' });
    expect(await dialogues.get(finished.id)).toEqual(finished);
    expect(await dialogues.getActive(third.id)).toBeUndefined();
    expect(await dialogues.list()).toHaveLength(4);
  });

  it('refuses to reactivate a dialogue while another is active', async () => {
    const clock = testClock();
    const { conversations, dialogues } = await open(clock);
    const conversation = await conversations.upsert('telegram', '1');
    const input = { conversationId: conversation.id, machineId: 'booking', machineVersion: 1, snapshot };
    const old = await dialogues.create(input);
    await dialogues.setStatus(old.id, 'expired');
    await dialogues.create(input);
    await expect(dialogues.save(old.id, snapshot, 'active')).rejects.toThrow();
    expect((await dialogues.get(old.id))?.status).toBe('expired');
  });
});
