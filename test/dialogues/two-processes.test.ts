/**
 * Two engine processes on one Postgres database, each with its own pool, dialogue store and
 * runtime (its own live actors), as two instances behind a load balancer would run.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import type { UserEvent } from '../../machines/shared/events.js';
import type { InboundMessage } from '../../src/channels/channel.js';
import type { DialogueKind } from '../../src/dialogues/registry.js';
import { createDialogueRuntime, type DialogueRuntime } from '../../src/dialogues/runtime.js';
import type { DialogueStore } from '../../src/dialogues/store-port.js';
import { createLogger } from '../../src/log.js';
import { createPostgresDialogueStore } from '../../src/store/pg/dialogue-store.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/pg/index.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';

/** Answers every text with its own reply, and gives up after a minute of silence. */
const echo = setup({
  types: {
    events: {} as UserEvent,
    emitted: {} as { type: 'reply'; message: { text: { key: string } } },
  },
}).createMachine({
  id: 'echo',
  initial: 'listening',
  states: {
    listening: {
      entry: emit({ type: 'reply', message: { text: { key: 'hello' } } }),
      on: {
        'user.text': {
          actions: emit(({ event }) => ({
            type: 'reply' as const,
            message: { text: { key: `got ${event.text}` } },
          })),
        },
      },
      after: { 60000: 'timedOut' },
    },
    timedOut: { type: 'final', entry: emit({ type: 'reply', message: { text: { key: 'expired' } } }) },
  },
});

const kind: DialogueKind = {
  id: 'echo',
  version: 1,
  machine: echo,
  startCommands: ['start'],
  interruptible: false,
  input: () => ({}),
};

/** A promise and what opens it (Node 20 has no `Promise.withResolvers`). */
function gate(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

interface Process {
  store: PostgresStore;
  dialogues: DialogueStore;
  runtime: DialogueRuntime;
}

describe('two engine processes on one Postgres database', () => {
  let server: TestPostgres;
  let database: TestDatabase | undefined;
  const opened: PostgresStore[] = [];
  let now = 1_000_000;
  const clock = { now: () => now };

  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await database?.drop();
    database = undefined;
  });

  /** A process on the test's database; `wrap` stands between its runtime and its store. */
  async function startProcess(wrap: (store: DialogueStore) => DialogueStore = (s) => s): Promise<Process> {
    database ??= await server.createDatabase();
    const store = await openPostgresStore(database.url, { clock });
    opened.push(store);
    const dialogues = createPostgresDialogueStore(store, { clock });
    const runtime = createDialogueRuntime({
      store: wrap(dialogues),
      kinds: { echo: kind },
      clock,
      logger: createLogger({ level: 'silent' }),
      render: (message) => ({ text: message.text.key }),
      defaultLanguage: () => 'en',
    });
    return { store, dialogues, runtime };
  }

  const message = (updateId: number, event: UserEvent): InboundMessage => ({
    channel: 'telegram',
    chatId: '42',
    updateId: String(updateId),
    event,
  });
  /** What the chat was sent (queued in the outbox), oldest first. */
  const sent = async (store: PostgresStore) =>
    (await store.outbox.list({ recipient: '42' }))
      .reverse()
      .map((row) => (row.payload as { text: string }).text);

  /**
   * Holds the first commit of each of `count` wrapped stores until all of them have computed a
   * step from the same read, then lets them commit one after another in the order they were
   * wrapped: the later ones commit over a state that has moved on.
   */
  function commitsTogether(count: number): (store: DialogueStore) => DialogueStore {
    const arrived = gate();
    const settled = Array.from({ length: count }, gate);
    let waiting = 0;
    let wrapped = 0;
    return (store) => {
      const place = wrapped;
      wrapped += 1;
      let first = true;
      return {
        ...store,
        async commit(step) {
          if (!first) return store.commit(step);
          first = false;
          waiting += 1;
          if (waiting >= count) arrived.resolve();
          await arrived.promise;
          if (place > 0) await settled[place - 1]?.promise;
          try {
            return await store.commit(step);
          } finally {
            settled[place]?.resolve();
          }
        },
      };
    };
  }

  /** The statuses of the chat's dialogues, oldest first. */
  const statuses = async (store: PostgresStore) =>
    (await store.dialogues.list()).map((dialogue) => dialogue.status).reverse();

  it('a deadline both processes fire at once is delivered once', async () => {
    const together = commitsTogether(2);
    const a = await startProcess();
    await a.runtime.handleInbound(message(100, { type: 'user.command', name: 'start' }));
    // Both now read the chat afresh and hold their steps until both have computed one.
    const first = await startProcess(together);
    const second = await startProcess(together);
    now += 60_000;
    const fired = await Promise.all([first.runtime.fireDueTimers(), second.runtime.fireDueTimers()]);
    expect(fired).toEqual([1, 1]);
    expect(await sent(a.store)).toEqual(['hello', 'expired']);
    expect(await statuses(a.store)).toEqual(['expired']);
    expect(await a.store.timers.due(now, 10)).toEqual([]);
  });

  it('a message computed from the state a deadline then ended is redone, not written over it', async () => {
    const together = commitsTogether(2);
    const a = await startProcess();
    await a.runtime.handleInbound(message(100, { type: 'user.command', name: 'start' }));
    // The deadline's step commits first; the message's, read before it, commits second.
    const timer = await startProcess(together);
    const chat = await startProcess(together);
    now += 60_000;
    await Promise.all([
      timer.runtime.fireDueTimers(),
      chat.runtime.handleInbound(message(101, { type: 'user.text', text: 'hi' })),
    ]);
    // Written over, the dialogue would be listening again with no deadline left to end it.
    expect(await statuses(a.store)).toEqual(['expired']);
    expect(await sent(a.store)).toEqual(['hello', 'expired', 'common.noActiveDialogue']);
  });

  it("answers a chat's two updates that two processes handle out of order, and each redelivery once", async () => {
    const a = await startProcess();
    const b = await startProcess();
    await a.runtime.handleInbound(message(100, { type: 'user.command', name: 'start' }));
    // Update 102 reached b and was handled before a got to 101.
    await b.runtime.handleInbound(message(102, { type: 'user.text', text: 'second' }));
    await a.runtime.handleInbound(message(101, { type: 'user.text', text: 'first' }));
    expect(await sent(a.store)).toEqual(['hello', 'got second', 'got first']);
    // Telegram redelivers both, each to the other process.
    await a.runtime.handleInbound(message(102, { type: 'user.text', text: 'second' }));
    await b.runtime.handleInbound(message(101, { type: 'user.text', text: 'first' }));
    expect(await sent(b.store)).toEqual(['hello', 'got second', 'got first']);
  });

  it('an update that reaches two processes at once is answered once', async () => {
    const together = commitsTogether(2);
    const a = await startProcess();
    await a.runtime.handleInbound(message(100, { type: 'user.command', name: 'start' }));
    const first = await startProcess(together);
    const second = await startProcess(together);
    await Promise.all([
      first.runtime.handleInbound(message(101, { type: 'user.text', text: 'hi' })),
      second.runtime.handleInbound(message(101, { type: 'user.text', text: 'hi' })),
    ]);
    expect(await sent(a.store)).toEqual(['hello', 'got hi']);
  });

  it('a redelivered update outside any dialogue is answered once, even handled at once', async () => {
    const together = commitsTogether(2);
    const first = await startProcess(together);
    const second = await startProcess(together);
    await Promise.all([
      first.runtime.handleInbound(message(7, { type: 'user.text', text: 'hi' })),
      second.runtime.handleInbound(message(7, { type: 'user.text', text: 'hi' })),
    ]);
    expect(await sent(first.store)).toEqual(['common.noActiveDialogue']);
  });
});
