import { describe, expect, it } from 'vitest';
import { emit, fromPromise, setup } from 'xstate';
import type { ReplyMessage, UserEvent } from '../../machines/shared/events.js';
import type { InboundMessage } from '../../src/channels/channel.js';
import { createMemoryDialogueStore, type MemoryDialogueStore } from '../../src/dialogues/memory-store.js';
import type { DialogueKind } from '../../src/dialogues/registry.js';
import { createDialogueRuntime, type DialogueRuntimeOptions } from '../../src/dialogues/runtime.js';
import type { DialogueStore } from '../../src/dialogues/store-port.js';
import { createLogger } from '../../src/log.js';

/** A two-question machine: enough to exercise persistence, deadlines and versions. */
const quiz = setup({
  types: {
    context: {} as { replyTimeoutMs: number; answers: string[] },
    input: {} as { replyTimeoutMs: number },
    events: {} as UserEvent,
    emitted: {} as { type: 'reply'; message: ReplyMessage } | { type: 'note'; answers: string[] },
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
    done: {
      type: 'final',
      entry: [
        emit({ type: 'reply', message: { text: { key: 'thanks' } } }),
        emit(({ context }) => ({ type: 'note' as const, answers: context.answers })),
      ],
    },
    timedOut: { type: 'final', entry: emit({ type: 'reply', message: { text: { key: 'expired' } } }) },
  },
});

function kind(version = 1): DialogueKind {
  return {
    id: 'quiz',
    version,
    machine: quiz,
    startCommands: ['start', 'book'],
    interruptible: false,
    input: () => ({ replyTimeoutMs: 60_000 }),
  };
}

describe('dialogue runtime', () => {
  /**
   * A runtime on the in-memory store. `from` is an earlier runtime's store: the new
   * runtime starts as a restarted process would, with no actor in memory.
   */
  function setupRuntime(
    from?: { store: MemoryDialogueStore },
    version = 1,
    wrap: (store: DialogueStore) => DialogueStore = (store) => store,
    extra: Pick<DialogueRuntimeOptions, 'onIntents'> = {},
  ) {
    // Each process has its own clock; the store's only stamps rows.
    let now = 1_000_000;
    const clock = { now: () => now };
    const store = from?.store ?? createMemoryDialogueStore(clock);
    const runtime = createDialogueRuntime({
      store: wrap(store),
      kinds: { quiz: kind(version) },
      clock,
      logger: createLogger({ level: 'silent' }),
      render: (message) => ({ text: message.text.key }),
      defaultLanguage: () => 'en',
      ...extra,
    });
    return { runtime, store, advance: (ms: number) => (now += ms) };
  }

  let updateId = 0;
  function msg(event: UserEvent, extra: Partial<InboundMessage> = {}): InboundMessage {
    updateId += 1;
    return { channel: 'telegram', chatId: '42', updateId: String(updateId), event, ...extra };
  }
  const texts = (store: MemoryDialogueStore) =>
    store.messages('42').map((row) => (row.payload as { text: string }).text);
  const pending = async (store: MemoryDialogueStore, dialogueId: number) =>
    (await store.pendingDeadlines(dialogueId)).map((deadline) => deadline.dueAt);

  it('persists every step and its replies, and stores one deadline per waiting state', async () => {
    const { runtime, store } = setupRuntime();
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const dialogue = store.dialogues()[0];
    expect(dialogue?.status).toBe('active');
    expect(await pending(store, dialogue?.id ?? 0)).toEqual([1_060_000]);
    await runtime.handleInbound(msg({ type: 'user.choice', value: 'a' }, { menuId: String(dialogue?.id) }));
    await runtime.handleInbound(msg({ type: 'user.text', text: 'hello' }));
    expect(texts(store)).toEqual(['q1', 'q2', 'thanks']);
    expect(store.dialogue(dialogue?.id ?? 0)?.status).toBe('done');
    expect(await pending(store, dialogue?.id ?? 0)).toEqual([]);
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
    expect(store.dialogues()[0]?.status).toBe('expired');
  });

  it('keeps the original deadline across a restart, and delivers one that fell due while down', async () => {
    const first = setupRuntime();
    await first.runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    first.advance(30_000);
    const dialogueId = first.store.dialogues()[0]?.id ?? 0;
    await first.runtime.handleInbound(
      msg({ type: 'user.choice', value: 'a' }, { menuId: String(dialogueId) }),
    );

    const second = setupRuntime(first);
    second.advance(30_000 + 59_999); // the new process's clock: just before the deadline set in the first
    expect(await second.runtime.fireDueTimers()).toBe(0);
    second.advance(1);
    expect(await second.runtime.fireDueTimers()).toBe(1);
    expect(texts(second.store)).toEqual(['q1', 'q2', 'expired']);
  });

  it('leaves a deadline where it was when a message changes no state, also after a restart', async () => {
    const first = setupRuntime();
    await first.runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const dialogueId = first.store.dialogues()[0]?.id ?? 0;
    const deadlines = (store: MemoryDialogueStore) => pending(store, dialogueId);
    first.advance(20_000);
    // The first question waits for a choice; text there changes nothing.
    await first.runtime.handleInbound(msg({ type: 'user.text', text: 'hm' }));
    expect(await deadlines(first.store)).toEqual([1_060_000]);

    const second = setupRuntime(first);
    second.advance(20_000);
    await second.runtime.handleInbound(msg({ type: 'user.text', text: 'still here' }));
    expect(await deadlines(second.store)).toEqual([1_060_000]);
    // Answering moves on: the first deadline is gone, the second question's is set from now.
    await second.runtime.handleInbound(
      msg({ type: 'user.choice', value: 'a' }, { menuId: String(dialogueId) }),
    );
    expect(await deadlines(second.store)).toEqual([1_080_000]);
  });

  it('a step whose commit fails leaves the dialogue where the store has it', async () => {
    let diskFull = false;
    const { runtime, store } = setupRuntime(undefined, 1, (inner) => ({
      ...inner,
      commit: (step) => (diskFull ? Promise.reject(new Error('disk full')) : inner.commit(step)),
    }));
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const menuId = String(store.dialogues()[0]?.id);
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

  it('hands what a machine emits besides replies to the engine, written with the step or not at all', async () => {
    const seen: Array<{ intents: unknown; dialogueId: number; chatId: string }> = [];
    let refuse = true;
    const { runtime, store } = setupRuntime(undefined, 1, undefined, {
      async onIntents(intents, { dialogueId, conversation }) {
        if (refuse) throw new Error('no room for the task');
        seen.push({ intents, dialogueId, chatId: conversation.chatId });
      },
    });
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const dialogueId = store.dialogues()[0]?.id ?? 0;
    await runtime.handleInbound(msg({ type: 'user.choice', value: 'a' }, { menuId: String(dialogueId) }));
    const done = msg({ type: 'user.text', text: 'hello' });
    await expect(runtime.handleInbound(done)).rejects.toThrow('no room for the task');
    expect(texts(store)).toEqual(['q1', 'q2']);
    expect(store.dialogue(dialogueId)?.status).toBe('active');
    refuse = false;
    // The client sends it again (a new update).
    await runtime.handleInbound(msg({ type: 'user.text', text: 'hello' }));
    expect(texts(store)).toEqual(['q1', 'q2', 'thanks']);
    expect(seen).toEqual([{ intents: [{ type: 'note', answers: ['a'] }], dialogueId, chatId: '42' }]);
  });

  it('does not deliver a deadline that a message moved later while it waited in the queue', async () => {
    const { runtime, store, advance } = setupRuntime();
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const dialogueId = store.dialogues()[0]?.id ?? 0;
    advance(60_000);
    // The deadline is due; the client's message is already queued in the chat when the sweep runs.
    const message = runtime.handleInbound(msg({ type: 'user.command', name: 'back' }));
    const fired = runtime.fireDueTimers();
    await Promise.all([message, fired]);
    expect(texts(store)).toEqual(['q1', 'q1']);
    expect(store.dialogue(dialogueId)?.status).toBe('active');
    expect(await pending(store, dialogueId)).toEqual([1_120_000]);
  });

  it("a step another process overtook is redone on the state it left, and neither client's message is lost", async () => {
    // Before this process commits its step, another one commits the chat's next message.
    let overtake: (() => Promise<void>) | undefined;
    const here = setupRuntime(undefined, 1, (store) => ({
      ...store,
      async commit(step) {
        const other = overtake;
        overtake = undefined;
        await other?.();
        return store.commit(step);
      },
    }));
    const there = setupRuntime(here);
    await here.runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const id = here.store.dialogues()[0]?.id ?? 0;
    const text = msg({ type: 'user.text', text: 'hello' });
    const choice = msg({ type: 'user.choice', value: 'a' }, { menuId: String(id) });
    overtake = () => there.runtime.handleInbound(choice);
    // Computed on the first question (where text changes nothing), refused, redone on the second.
    await here.runtime.handleInbound(text);
    expect(texts(here.store)).toEqual(['q1', 'q2', 'thanks']);
    expect(here.store.dialogue(id)?.status).toBe('done');
  });

  it('a live actor another process moved the dialogue past is not used: the step hydrates the stored state', async () => {
    const here = setupRuntime();
    const there = setupRuntime(here);
    await here.runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const id = here.store.dialogues()[0]?.id ?? 0;
    // `here` keeps the actor at the first question; `there` answers it.
    await there.runtime.handleInbound(msg({ type: 'user.choice', value: 'a' }, { menuId: String(id) }));
    await here.runtime.handleInbound(msg({ type: 'user.text', text: 'hello' }));
    expect(texts(here.store)).toEqual(['q1', 'q2', 'thanks']);
  });

  it('ignores an update it has seen before', async () => {
    const { runtime, store } = setupRuntime();
    const start = msg({ type: 'user.command', name: 'start' });
    await runtime.handleInbound(start);
    await runtime.handleInbound(start);
    expect(texts(store)).toEqual(['q1']);
    expect(store.dialogues()).toHaveLength(1);
  });

  it('answers a press in an old menu without touching the current dialogue', async () => {
    const { runtime, store } = setupRuntime();
    await runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const old = store.dialogues()[0]?.id;
    await runtime.handleInbound(msg({ type: 'user.command', name: 'book' }));
    await runtime.handleInbound(msg({ type: 'user.choice', value: 'a' }, { menuId: String(old) }));
    expect(texts(store)).toEqual(['q1', 'q1', 'common.menuExpired']);
    expect(store.dialogue(old ?? 0)?.status).toBe('ended');
  });

  it('ends a dialogue of an older machine version politely', async () => {
    const first = setupRuntime(undefined, 1);
    await first.runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    const second = setupRuntime(first, 2);
    await second.runtime.handleInbound(msg({ type: 'user.text', text: 'hi' }));
    expect(texts(second.store)).toEqual(['q1', 'common.dialogueEndedByUpdate']);
    expect(second.store.dialogues()[0]?.status).toBe('ended');
  });

  it('hints at /book when a message arrives with no dialogue', async () => {
    const { runtime, store } = setupRuntime();
    await runtime.handleInbound(msg({ type: 'user.text', text: 'hello?' }));
    expect(texts(store)).toEqual(['common.noActiveDialogue']);
  });

  it('a step waiting on a slow call just waits: a warning in the log, never an error for the client', async () => {
    let answer: (value: string) => void = () => {};
    const slow = setup({
      types: { events: {} as UserEvent, emitted: {} as { type: 'reply'; message: ReplyMessage } },
      actors: { lookUp: fromPromise(() => new Promise<string>((resolve) => (answer = resolve))) },
    }).createMachine({
      initial: 'loading',
      states: {
        loading: {
          tags: 'busy',
          invoke: { src: 'lookUp', onDone: 'shown' },
        },
        shown: { entry: emit({ type: 'reply', message: { text: { key: 'slots' } } }) },
      },
    });
    const lines: string[] = [];
    const store = createMemoryDialogueStore({ now: () => 0 });
    const runtime = createDialogueRuntime({
      store,
      kinds: {
        slow: {
          id: 'slow',
          version: 1,
          machine: slow,
          startCommands: ['start'],
          interruptible: true,
          input: () => ({}),
        },
      },
      clock: { now: () => 0 },
      logger: createLogger({ level: 'warn', destination: { write: (line: string) => lines.push(line) } }),
      render: (message) => ({ text: message.text.key }),
      defaultLanguage: () => 'en',
      slowStepMs: 1,
    });
    const step = runtime.handleInbound(msg({ type: 'user.command', name: 'start' }));
    await expect
      .poll(() => lines.some((line) => line.includes('a dialogue step is still waiting')))
      .toBe(true);
    answer('free slots');
    await step;
    expect(texts(store)).toEqual(['slots']);
  });
});
