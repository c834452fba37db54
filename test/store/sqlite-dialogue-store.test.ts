import { describe, expect, it } from 'vitest';
import { StaleDialogueError } from '../../src/dialogues/store-port.js';
import { createSqliteDialogueStore } from '../../src/store/dialogue-store.js';
import type { SqliteStore as Store } from '../../src/store/index.js';
import { dialogueStoreContract } from './dialogue-store.contract.js';
import { testClock, useTempDatabases } from './helpers.js';

describe('SQLite dialogue store', () => {
  const temp = useTempDatabases();

  describe('contract', () => {
    let files = 0;
    dialogueStoreContract(async (clock) => {
      // A file of its own per case: reopening reads it with a new connection, as a restart would.
      files += 1;
      const name = `contract-${files}.sqlite`;
      const store = temp.open(name, { ...clock, set: () => {} });
      return {
        store: createSqliteDialogueStore(store, { clock }),
        messages: async (chatId) =>
          store.sync.outbox
            .list({ recipient: chatId })
            .reverse()
            .map(({ payload, idempotencyKey }) => ({ payload, idempotencyKey })),
        reopen: async () =>
          createSqliteDialogueStore(temp.open(name, { ...clock, set: () => {} }), { clock }),
      };
    });
  });

  function opened() {
    const clock = testClock();
    const store = temp.open(undefined, clock);
    return {
      clock,
      store,
      dialogues: createSqliteDialogueStore(store, { clock, ledgerRetentionMs: 86_400_000 }),
    };
  }

  const handled = async (store: Store, source: string, eventId: string, at: number) => {
    store.sync.inbound.recordIfNew(source, eventId, null, at);
    store.sync.inbound.markProcessed(source, eventId, at);
  };

  it('prunes handled ledger entries older than the retention, at most hourly, on the periodic look at deadlines', async () => {
    const { clock, store, dialogues } = opened();
    await handled(store, 'altegio', 'old', clock.now());
    store.sync.inbound.recordIfNew('altegio', 'unhandled', null, clock.now());
    clock.advance(86_400_000 + 1);
    await handled(store, 'altegio', 'recent', clock.now());
    await dialogues.dueDeadlines(clock.now());
    await expect.poll(() => store.sync.inbound.get('altegio', 'old')).toBeUndefined();
    // Not handled yet: replayed at start-up, so never pruned.
    expect(store.sync.inbound.get('altegio', 'unhandled')).toBeDefined();
    expect(store.sync.inbound.get('altegio', 'recent')).toBeDefined();

    // Within the hour nothing more is pruned; after it, what has aged out is.
    clock.advance(86_400_000);
    await dialogues.dueDeadlines(clock.now());
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.sync.inbound.get('altegio', 'recent')).toBeDefined();
    clock.advance(3_600_000);
    await dialogues.dueDeadlines(clock.now());
    await expect.poll(() => store.sync.inbound.get('altegio', 'recent')).toBeUndefined();
  });

  it('drops deadlines an ended dialogue left behind instead of finding them due forever', async () => {
    const { clock, store, dialogues } = opened();
    const conversation = store.sync.conversations.upsert('telegram', '42');
    const dialogue = store.sync.dialogues.create({
      conversationId: conversation.id,
      machineId: 'quiz',
      machineVersion: 1,
      snapshot: {},
    });
    store.sync.timers.schedule(dialogue.id, { sendId: 'a', event: { type: 'a' }, dueAt: clock.now() });
    // Ended the way older versions did, without dropping its deadlines.
    store.sync.dialogues.setStatus(dialogue.id, 'ended');
    expect(await dialogues.dueDeadlines(clock.now())).toEqual([]);
    expect(store.sync.timers.nextDueAt()).toBeUndefined();
  });

  it('reads a chat afresh once it left the cache, and never answers another chat from it', async () => {
    const clock = testClock();
    const store = temp.open(undefined, clock);
    const dialogues = createSqliteDialogueStore(store, { clock, cachedChats: 1 });
    const step = (snapshot: unknown) => ({
      snapshot,
      status: 'active' as const,
      cancel: [],
      schedule: [],
    });
    const a = await dialogues.loadChat('telegram', 'a');
    const id = await dialogues.commit({
      conversation: a.conversation,
      inbound: { updateId: '1' },
      dialogue: { ...step({ value: 'a1' }), start: { machineId: 'quiz', machineVersion: 1 } },
      messages: [],
      messageKey: 'a1',
    });
    // Chat b pushes a out of a cache of one; a's next step commits without a cached entry.
    const b = await dialogues.loadChat('telegram', 'b');
    expect(b.active).toBeUndefined();
    await dialogues.commit({
      conversation: a.conversation,
      inbound: { updateId: '2' },
      dialogue: { ...step({ value: 'a2' }), id: id ?? 0, version: 0 },
      messages: [],
      messageKey: 'a2',
    });
    const again = await dialogues.loadChat('telegram', 'a');
    expect(again.active?.snapshot).toEqual({ value: 'a2' });
    expect(again.conversation.lastUpdateId).toBe(2);
    expect((await dialogues.loadChat('telegram', 'b')).active).toBeUndefined();
  });

  it('a chat cached by one process and moved on by another: the cached step is refused, the next read is fresh', async () => {
    const clock = testClock();
    const name = 'shared.sqlite';
    const here = createSqliteDialogueStore(temp.open(name, clock), { clock });
    const there = createSqliteDialogueStore(temp.open(name, clock), { clock });
    const step = (value: string) => ({
      snapshot: { value },
      status: 'active' as const,
      cancel: [],
      schedule: [],
    });
    const { conversation } = await here.loadChat('telegram', '42');
    const id = await here.commit({
      conversation,
      dialogue: { ...step('first'), start: { machineId: 'quiz', machineVersion: 1 } },
      messages: [],
      messageKey: 'k0',
    });
    const cached = (await here.loadChat('telegram', '42')).active;
    const read = (await there.loadChat('telegram', '42')).active;
    if (!cached || !read || id === undefined) throw new Error('no dialogue');
    await there.commit({
      conversation,
      dialogue: { ...step('there'), id, version: read.version },
      messages: [],
      messageKey: 'k1',
    });
    // `here` still answers from its cache; its step over that read cannot overwrite.
    expect((await here.loadChat('telegram', '42')).active?.snapshot).toEqual({ value: 'first' });
    await expect(
      here.commit({
        conversation,
        dialogue: { ...step('here'), id, version: cached.version },
        messages: [],
        messageKey: 'k2',
      }),
    ).rejects.toBeInstanceOf(StaleDialogueError);
    expect((await here.loadChat('telegram', '42')).active?.snapshot).toEqual({ value: 'there' });
  });
});
