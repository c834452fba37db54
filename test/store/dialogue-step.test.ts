import { describe, expect, it } from 'vitest';
import type { DialogueStep, Store } from '../../src/store/index.js';
import { testClock, useTempDatabases } from './helpers.js';

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

describe('saveDialogueStep', () => {
  const temp = useTempDatabases();

  it('writes snapshot, replies and timers together, and they survive re-opening the file', () => {
    const clock = testClock();
    const store = temp.open(undefined, clock);
    const { conversationId, dialogueId } = startDialogue(store);
    const queued = store.saveDialogueStep({
      dialogueId,
      snapshot: { value: 'askService' },
      status: 'active',
      messages: [reply('d1:1:0', 'Choose a service'), reply('d1:1:1', 'or /cancel')],
      timers: { schedule: [{ sendId: 'timeout', event: { type: 'timeout' }, dueAt: clock.now() + 900_000 }] },
    });
    expect(queued).toBe(2);
    store.close();

    const reopened = temp.open(undefined, clock);
    expect(reopened.dialogues.getActive(conversationId)?.snapshot).toEqual({ value: 'askService' });
    expect(
      reopened.outbox
        .list()
        .map((m) => m.payload)
        .reverse(),
    ).toEqual([{ text: 'Choose a service' }, { text: 'or /cancel' }]);
    expect(reopened.timers.pendingForDialogue(dialogueId).map((t) => t.dueAt)).toEqual([
      clock.now() + 900_000,
    ]);
  });

  it('writes nothing when any part fails', () => {
    const store = temp.open();
    const { dialogueId } = startDialogue(store);
    store.saveDialogueStep({
      dialogueId,
      snapshot: { value: 'askService' },
      status: 'active',
      timers: { schedule: [{ sendId: 'timeout', event: { type: 'timeout' }, dueAt: 1000 }] },
    });

    const broken: DialogueStep = {
      dialogueId,
      snapshot: { value: 'askStaff' },
      status: 'active',
      timers: { cancel: ['timeout'], schedule: [{ sendId: 'staff', event: { type: 'staff' }, dueAt: 2000 }] },
      // The last reply cannot be serialised: it fails after the snapshot, the timers and the
      // first reply were written.
      messages: [reply('d1:2:0', 'Choose a master'), { ...reply('d1:2:1', ''), payload: { n: 1n } }],
    };
    expect(() => store.saveDialogueStep(broken)).toThrow(/BigInt/);

    expect(store.dialogues.get(dialogueId)?.snapshot).toEqual({ value: 'askService' });
    expect(store.outbox.list()).toEqual([]);
    expect(store.timers.pendingForDialogue(dialogueId).map((t) => t.sendId)).toEqual(['timeout']);
  });

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

  it('drops the timers of a dialogue that ended, marks delivered timers fired, and skips known replies', () => {
    const store = temp.open();
    const { conversationId, dialogueId } = startDialogue(store);
    store.saveDialogueStep({
      dialogueId,
      snapshot: {},
      status: 'active',
      messages: [reply('menu', 'menu')],
      timers: {
        replace: [
          { sendId: 'a', event: { type: 'a' }, dueAt: 10 },
          { sendId: 'b', event: { type: 'b' }, dueAt: 20 },
        ],
      },
    });
    const [a] = store.timers.due(10);
    if (!a) throw new Error('no timer');
    // The timeout was delivered: the step that handled it marks it in the same transaction.
    expect(
      store.saveDialogueStep({
        dialogueId,
        snapshot: { value: 'stillWaiting' },
        status: 'active',
        messages: [reply('menu', 'menu'), reply('expired-a', 'a expired')],
        timers: { fired: [a.id] },
      }),
    ).toBe(1);
    expect(store.timers.due(100).map((t) => t.sendId)).toEqual(['b']);

    store.saveDialogueStep({ dialogueId, snapshot: { value: 'done' }, status: 'done' });
    expect(store.timers.due(100)).toEqual([]);
    expect(store.dialogues.getActive(conversationId)).toBeUndefined();
  });

  it('keeps a deadline that the step delivering it set again (a state re-entering itself)', () => {
    const store = temp.open();
    const { dialogueId } = startDialogue(store);
    store.saveDialogueStep({
      dialogueId,
      snapshot: {},
      status: 'active',
      timers: { schedule: [{ sendId: 'nudge', event: { type: 'nudge' }, dueAt: 10 }] },
    });
    const [due] = store.timers.due(10);
    if (!due) throw new Error('no timer');
    store.saveDialogueStep({
      dialogueId,
      snapshot: {},
      status: 'active',
      timers: { fired: [due.id], schedule: [{ sendId: 'nudge', event: { type: 'nudge' }, dueAt: 20 }] },
    });
    expect(store.timers.pendingForDialogue(dialogueId).map((timer) => timer.dueAt)).toEqual([20]);
  });

  it('throws for an unknown dialogue', () => {
    const store = temp.open();
    expect(() => store.saveDialogueStep({ dialogueId: 404, snapshot: {}, status: 'active' })).toThrow(/404/);
  });
});
