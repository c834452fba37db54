import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import type { ReplyMessage, UserEvent } from '../../machines/shared/events.js';
import type { InboundMessage } from '../../src/channels/channel.js';
import type { MachineEntry } from '../../src/dialogues/registry.js';
import { createDialogueRuntime } from '../../src/dialogues/runtime.js';
import { createLogger } from '../../src/log.js';
import { createStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/tmp.js';

/** A two-question machine: enough to exercise persistence, deadlines and versions. */
const quiz = setup({
  types: {
    context: {} as { replyTimeoutMs: number; answers: string[] },
    input: {} as { replyTimeoutMs: number },
    events: {} as UserEvent,
    emitted: {} as { type: 'reply'; message: ReplyMessage },
  },
  delays: { replyTimeout: ({ context }) => context.replyTimeoutMs },
}).createMachine({
  id: 'quiz',
  context: ({ input }) => ({ replyTimeoutMs: input.replyTimeoutMs, answers: [] }),
  initial: 'first',
  states: {
    first: {
      entry: emit({ type: 'reply', message: { text: { key: 'q1' }, options: [{ value: 'a', label: 'A' }] } }),
      on: {
        'user.choice': {
          target: 'second',
          actions: ({ context, event }) => context.answers.push(event.value),
        },
        // Asking again restarts the question, and its deadline.
        'user.command': { target: 'first', reenter: true },
      },
      after: { replyTimeout: 'timedOut' },
    },
    second: {
      entry: emit({ type: 'reply', message: { text: { key: 'q2' } } }),
      on: { 'user.text': 'done' },
      after: { replyTimeout: 'timedOut' },
    },
    done: { type: 'final', entry: emit({ type: 'reply', message: { text: { key: 'thanks' } } }) },
    timedOut: { type: 'final', entry: emit({ type: 'reply', message: { text: { key: 'expired' } } }) },
  },
});

function entry(version = 1): MachineEntry {
  return { id: 'quiz', version, machine: quiz, input: () => ({ replyTimeoutMs: 60_000 }) };
}

describe('dialogue runtime', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  function setupRuntime(path?: string, version = 1, onIntents?: () => void) {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const dbPath = path ?? join(dir.path, 'bot.sqlite');
    let now = 1_000_000;
    const clock = { now: () => now };
    const store = createStore(dbPath, { clock });
    cleanups.push(() => store.close());
    const runtime = createDialogueRuntime({
      store,
      machines: { quiz: entry(version) },
      bookingMachineId: 'quiz',
      clock,
      logger: createLogger({ level: 'silent' }),
      render: (message) => ({ text: message.text.key }),
      defaultLanguage: () => 'en',
      ...(onIntents ? { onIntents } : {}),
    });
    return { runtime, store, dbPath, advance: (ms: number) => (now += ms) };
  }

  let updateId = 0;
  function msg(event: UserEvent, extra: Partial<InboundMessage> = {}): InboundMessage {
    updateId += 1;
    return { channel: 'telegram', chatId: '42', updateId: String(updateId), event, ...extra };
  }
  const texts = (store: Store) =>
    store.outbox
      .list({ recipient: '42' })
      .reverse()
      .map((row) => (row.payload as { text: string }).text);

  it('persists every step and its replies, and stores one deadline per waiting state', async () => {
    const { runtime, store } = setupRuntime();
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const dialogue = store.dialogues.list()[0];
    expect(dialogue?.status).toBe('active');
    expect(store.timers.pendingForDialogue(dialogue?.id ?? 0).map((timer) => timer.dueAt)).toEqual([
      1_060_000,
    ]);
    await runtime.handleInbound(msg({ type: 'user.choice', value: 'a' }, { menuId: String(dialogue?.id) }));
    await runtime.handleInbound(msg({ type: 'user.text', text: 'hello' }));
    expect(texts(store)).toEqual(['q1', 'q2', 'thanks']);
    expect(store.dialogues.get(dialogue?.id ?? 0)?.status).toBe('done');
    expect(store.timers.pendingForDialogue(dialogue?.id ?? 0)).toEqual([]);
  });

  it('tells the client about a timeout without any message from them, once', async () => {
    const { runtime, store, advance } = setupRuntime();
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    advance(59_999);
    expect(await runtime.fireDueTimers()).toBe(0);
    advance(1);
    expect(await runtime.fireDueTimers()).toBe(1);
    expect(await runtime.fireDueTimers()).toBe(0);
    expect(texts(store)).toEqual(['q1', 'expired']);
    expect(store.dialogues.list()[0]?.status).toBe('expired');
  });

  it('keeps the original deadline across a restart, and delivers one that fell due while down', async () => {
    const first = setupRuntime();
    await first.runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    first.advance(30_000);
    const dialogueId = first.store.dialogues.list()[0]?.id ?? 0;
    await first.runtime.handleInbound(
      msg({ type: 'user.choice', value: 'a' }, { menuId: String(dialogueId) }),
    );
    first.store.close();

    const second = setupRuntime(first.dbPath);
    second.advance(30_000 + 59_999); // the new process's clock: just before the deadline set in the first
    expect(await second.runtime.fireDueTimers()).toBe(0);
    second.advance(1);
    expect(await second.runtime.fireDueTimers()).toBe(1);
    expect(texts(second.store)).toEqual(['q1', 'q2', 'expired']);
  });

  it('leaves a deadline where it was when a message changes no state, also after a restart', async () => {
    const first = setupRuntime();
    await first.runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const dialogueId = first.store.dialogues.list()[0]?.id ?? 0;
    const deadlines = (store: Store) =>
      store.timers.pendingForDialogue(dialogueId).map((timer) => timer.dueAt);
    first.advance(20_000);
    // The first question waits for a choice; text there changes nothing.
    await first.runtime.handleInbound(msg({ type: 'user.text', text: 'hm' }));
    expect(deadlines(first.store)).toEqual([1_060_000]);
    first.store.close();

    const second = setupRuntime(first.dbPath);
    second.advance(20_000);
    await second.runtime.handleInbound(msg({ type: 'user.text', text: 'still here' }));
    expect(deadlines(second.store)).toEqual([1_060_000]);
    // Answering moves on: the first deadline is gone, the second question's is set from now.
    await second.runtime.handleInbound(
      msg({ type: 'user.choice', value: 'a' }, { menuId: String(dialogueId) }),
    );
    expect(deadlines(second.store)).toEqual([1_080_000]);
  });

  it('a step whose commit fails leaves the dialogue where the store has it', async () => {
    let diskFull = false;
    const { runtime, store } = setupRuntime(undefined, 1, () => {
      if (diskFull) throw new Error('disk full');
    });
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const menuId = String(store.dialogues.list()[0]?.id);
    diskFull = true;
    await expect(runtime.handleInbound(msg({ type: 'user.choice', value: 'a' }, { menuId }))).rejects.toThrow(
      /disk full/,
    );
    expect(texts(store)).toEqual(['q1']);
    diskFull = false;
    // The actor that ran the failed step went ahead of the store; it must not answer the retry.
    await runtime.handleInbound(msg({ type: 'user.choice', value: 'a' }, { menuId }));
    expect(texts(store)).toEqual(['q1', 'q2']);
  });

  it('does not deliver a deadline that a message moved later while it waited in the queue', async () => {
    const { runtime, store, advance } = setupRuntime();
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const dialogueId = store.dialogues.list()[0]?.id ?? 0;
    advance(60_000);
    // The deadline is due; the client's message is already queued in the chat when the sweep runs.
    const message = runtime.handleInbound(msg({ type: 'user.command', name: 'back' }));
    const fired = runtime.fireDueTimers();
    await Promise.all([message, fired]);
    expect(texts(store)).toEqual(['q1', 'q1']);
    expect(store.dialogues.get(dialogueId)?.status).toBe('active');
    expect(store.timers.pendingForDialogue(dialogueId).map((timer) => timer.dueAt)).toEqual([1_120_000]);
  });

  it('ignores an update it has seen before', async () => {
    const { runtime, store } = setupRuntime();
    const start = msg({ type: 'user.command', name: 'start' });
    await runtime.handleInbound(start);
    await runtime.handleInbound(start);
    expect(texts(store)).toEqual(['q1']);
    expect(store.dialogues.list()).toHaveLength(1);
  });

  it('answers a press in an old menu without touching the current dialogue', async () => {
    const { runtime, store } = setupRuntime();
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const old = store.dialogues.list()[0]?.id;
    await runtime.handleInbound(msg({ type: 'user.command', name: 'book' }));
    await runtime.handleInbound(msg({ type: 'user.choice', value: 'a' }, { menuId: String(old) }));
    expect(texts(store)).toEqual(['q1', 'q1', 'common.menuExpired']);
    expect(store.dialogues.get(old ?? 0)?.status).toBe('ended');
  });

  it('ends a dialogue of an older machine version politely', async () => {
    const first = setupRuntime(undefined, 1);
    await first.runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    first.store.close();
    const second = setupRuntime(first.dbPath, 2);
    await second.runtime.handleInbound(msg({ type: 'user.text', text: 'hi' }));
    expect(texts(second.store)).toEqual(['q1', 'common.dialogueEndedByUpdate']);
    expect(second.store.dialogues.list()[0]?.status).toBe('ended');
  });

  it('hints at /book when a message arrives with no dialogue', async () => {
    const { runtime, store } = setupRuntime();
    await runtime.handleInbound(msg({ type: 'user.text', text: 'hello?' }));
    expect(texts(store)).toEqual(['common.noActiveDialogue']);
  });
});
