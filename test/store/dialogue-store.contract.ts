/**
 * What every dialogue store must do, whatever keeps the data: run by one test file per
 * implementation (SQLite, in memory; a Postgres one would add a third with its own harness).
 */
import { describe, expect, it } from 'vitest';
import {
  type DialogueChange,
  type DialogueStore,
  DuplicateUpdateError,
  StaleDialogueError,
  type StepCommit,
  type StepDialogue,
} from '../../src/dialogues/store-port.js';

/** A clock the suite moves by hand. */
export interface ContractClock {
  now(): number;
  advance(ms: number): void;
}

/** How the suite reaches one implementation. */
export interface DialogueStoreHarness {
  store: DialogueStore;
  /** Replies queued for a chat, oldest first. */
  messages(chatId: string): Promise<Array<{ payload: unknown; idempotencyKey: string }>>;
  /** The same data as a freshly started process sees it (no cache, no memory of earlier calls). */
  reopen(): Promise<DialogueStore>;
  /**
   * How the store knows a Telegram update it has seen: by the chat's highest update id (default;
   * one process handles a chat's updates in order), or by each update's own id (`each`: processes
   * sharing the database may commit a chat's updates out of order).
   */
  updates?: 'watermark' | 'each';
}

const change = (overrides: Partial<DialogueChange> = {}): DialogueChange => ({
  snapshot: { value: 'first' },
  status: 'active',
  cancel: [],
  schedule: [],
  ...overrides,
});

const start = (overrides: Partial<DialogueChange> = {}, recordId?: number): StepDialogue => ({
  ...change(overrides),
  start: { machineId: 'quiz', machineVersion: 3, ...(recordId === undefined ? {} : { recordId }) },
});

const deadline = (sendId: string, dueAt: number) => ({ sendId, event: { type: sendId }, dueAt });

/** A step of chat 42's dialogue `id` as the runtime computes one: over the version it read. */
async function at(store: DialogueStore, id: number): Promise<{ id: number; version: number }> {
  const { active } = await store.loadChat('telegram', '42');
  if (active?.id !== id) throw new Error(`dialogue ${id} is not the active one`);
  return { id, version: active.version };
}

export function dialogueStoreContract(open: (clock: ContractClock) => Promise<DialogueStoreHarness>): void {
  async function setup() {
    let now = 1_000_000;
    const clock = { now: () => now, advance: (ms: number) => (now += ms) };
    const harness = await open(clock);
    const { store } = harness;
    const chat = async (chatId = '42') => store.loadChat('telegram', chatId);
    /** Starts a dialogue in chat 42; answers its id and the conversation. */
    const begin = async (step: Partial<StepCommit> = {}) => {
      const { conversation } = await chat();
      const id = await store.commit({
        conversation,
        dialogue: start(),
        messages: [],
        messageKey: 'k0',
        ...step,
      });
      if (id === undefined) throw new Error('no dialogue id');
      return { id, conversation };
    };
    const texts = async (chatId = '42') =>
      (await harness.messages(chatId)).map((message) => (message.payload as { text: string }).text);
    return { harness, store, clock, chat, begin, texts };
  }

  describe('chats', () => {
    it('creates a chat on first contact, once', async () => {
      const { chat } = await setup();
      const first = await chat();
      expect(first.active).toBeUndefined();
      expect(first.conversation).toMatchObject({ channel: 'telegram', chatId: '42', phone: null });
      expect((await chat()).conversation.id).toBe(first.conversation.id);
      expect((await chat('43')).conversation.id).not.toBe(first.conversation.id);
    });

    it("keeps what a client's message revealed (phone, language), and a later message keeps it", async () => {
      const { harness, store, chat } = await setup();
      const { conversation } = await chat();
      const inbound = { updateId: '1' };
      await store.commit({
        conversation: { ...conversation, phone: '79161234567', language: 'ru' },
        inbound,
        dialogue: start(),
        messages: [{ text: 'q1' }],
        messageKey: 'm1',
      });
      const later = (await chat()).conversation;
      expect(later).toMatchObject({ phone: '79161234567', language: 'ru' });
      await store.commit({ conversation: later, inbound: { updateId: '2' }, messages: [], messageKey: 'm2' });
      const reopened = await harness.reopen();
      expect((await reopened.loadChat('telegram', '42')).conversation).toMatchObject({
        phone: '79161234567',
        language: 'ru',
      });
    });
  });

  describe('duplicates', () => {
    it('recognises a redelivered update with increasing ids, also after a restart', async () => {
      const { harness, store, chat } = await setup();
      const { conversation } = await chat();
      await store.commit({ conversation, inbound: { updateId: '7' }, messages: [], messageKey: 'u7' });
      const seen = (await chat()).conversation;
      expect(await store.isDuplicate(seen, { update: '7' })).toBe(true);
      // An older id never handled: below the watermark, or still to be handled when ids are kept.
      expect(await store.isDuplicate(seen, { update: '5' })).toBe(harness.updates !== 'each');
      expect(await store.isDuplicate(seen, { update: '8' })).toBe(false);
      const reopened = await harness.reopen();
      const fresh = (await reopened.loadChat('telegram', '42')).conversation;
      expect(await reopened.isDuplicate(fresh, { update: '7' })).toBe(true);
    });

    it('recognises an update redelivered after a step of a dialogue, in the chat as loaded next', async () => {
      const { store, chat } = await setup();
      const { conversation } = await chat();
      const id = await store.commit({
        conversation,
        inbound: { updateId: '7' },
        dialogue: start(),
        messages: [{ text: 'q1' }],
        messageKey: 'u7',
      });
      expect(await store.isDuplicate((await chat()).conversation, { update: '7' })).toBe(true);
      await store.commit({
        conversation: (await chat()).conversation,
        inbound: { updateId: '8' },
        dialogue: { ...(await at(store, id ?? 0)), ...change({ snapshot: { value: 'second' } }) },
        messages: [],
        messageKey: 'u8',
      });
      const seen = (await chat()).conversation;
      expect(await store.isDuplicate(seen, { update: '8' })).toBe(true);
      expect(await store.isDuplicate(seen, { update: '9' })).toBe(false);
    });

    it("keeps each of a chat's updates handled out of order, and refuses a second commit of one", async () => {
      const { harness, store, chat, texts } = await setup();
      if (harness.updates !== 'each') return;
      const { conversation } = await chat();
      await store.commit({
        conversation,
        inbound: { updateId: '102' },
        messages: [{ text: 'b' }],
        messageKey: 'b',
      });
      // Update 101 was handled by another process, which commits after 102's.
      const seen = (await chat()).conversation;
      expect(await store.isDuplicate(seen, { update: '101' })).toBe(false);
      await store.commit({
        conversation: seen,
        inbound: { updateId: '101' },
        messages: [{ text: 'a' }],
        messageKey: 'a',
      });
      const now = (await chat()).conversation;
      expect(await store.isDuplicate(now, { update: '101' })).toBe(true);
      expect(await store.isDuplicate(now, { update: '102' })).toBe(true);
      // The same update computed twice (it reached two processes): the later commit writes nothing.
      await expect(
        store.commit({
          conversation: now,
          inbound: { updateId: '101' },
          messages: [{ text: 'again' }],
          messageKey: 'x',
        }),
      ).rejects.toBeInstanceOf(DuplicateUpdateError);
      expect(await texts()).toEqual(['b', 'a']);
    });

    it('recognises a redelivered update with opaque ids (WhatsApp message ids)', async () => {
      const { store, chat } = await setup();
      const { conversation } = await chat();
      expect(await store.isDuplicate(conversation, { update: 'wamid.A' })).toBe(false);
      await store.commit({ conversation, inbound: { updateId: 'wamid.A' }, messages: [], messageKey: 'a' });
      const seen = (await chat()).conversation;
      expect(await store.isDuplicate(seen, { update: 'wamid.A' })).toBe(true);
      expect(await store.isDuplicate(seen, { update: 'wamid.B' })).toBe(false);
    });

    it('recognises an engine start repeated after a crash, and queues its replies once', async () => {
      const { store, chat, texts } = await setup();
      const { conversation } = await chat();
      expect(await store.isDuplicate(conversation, { start: 'job:1' })).toBe(false);
      const step = { conversation, messages: [{ text: 'reminder' }], messageKey: 'job:1' };
      await store.commit(step);
      expect(await store.isDuplicate(conversation, { start: 'job:1' })).toBe(true);
      await store.commit(step);
      expect(await texts()).toEqual(['reminder']);
    });
  });

  describe('steps', () => {
    it('starts a dialogue: snapshot, replies carrying its menu id, deadlines, together', async () => {
      const { harness, store, chat, clock } = await setup();
      const { conversation } = await chat();
      const id = await store.commit({
        conversation,
        dialogue: start({ schedule: [deadline('nudge', clock.now() + 60_000)] }, 77),
        messages: [{ text: 'q1', options: [{ value: 'a', label: 'A' }] }, { text: 'or /cancel' }],
        messageKey: 'start:1',
      });
      if (id === undefined) throw new Error('no id');
      for (const opened of [store, await harness.reopen()]) {
        const { active } = await opened.loadChat('telegram', '42');
        expect(active).toMatchObject({
          id,
          machineId: 'quiz',
          machineVersion: 3,
          recordId: 77,
          status: 'active',
          snapshot: { value: 'first' },
        });
        expect((await opened.pendingDeadlines(id)).map((row) => [row.sendId, row.dueAt])).toEqual([
          ['nudge', clock.now() + 60_000],
        ]);
      }
      expect(await harness.messages('42')).toEqual([
        {
          payload: { text: 'q1', options: [{ value: 'a', label: 'A' }], menuId: String(id) },
          idempotencyKey: 'start:1:0',
        },
        { payload: { text: 'or /cancel', menuId: String(id) }, idempotencyKey: 'start:1:1' },
      ]);
    });

    it('a step moves the dialogue on: new snapshot, deadlines cancelled, set and set again', async () => {
      const { harness, store, begin, clock } = await setup();
      const { id, conversation } = await begin({
        dialogue: start({ schedule: [deadline('a', 10), deadline('b', 20)] }),
      });
      await store.commit({
        conversation,
        dialogue: {
          ...(await at(store, id)),
          ...change({ snapshot: { value: 'second' }, cancel: ['a'], schedule: [deadline('b', 30)] }),
        },
        messages: [],
        messageKey: 'k1',
      });
      for (const opened of [store, await harness.reopen()]) {
        expect((await opened.loadChat('telegram', '42')).active?.snapshot).toEqual({ value: 'second' });
        expect((await opened.pendingDeadlines(id)).map((row) => [row.sendId, row.dueAt])).toEqual([
          ['b', 30],
        ]);
      }
      expect(clock.now()).toBeGreaterThan(30);
    });

    it('a delivered deadline is no longer pending, unless the step that delivered it set it again', async () => {
      const { store, begin } = await setup();
      const { id, conversation } = await begin({
        dialogue: start({ schedule: [deadline('a', 10), deadline('b', 20)] }),
      });
      const [a, b] = await store.pendingDeadlines(id);
      if (!a || !b) throw new Error('no deadlines');
      await store.commit({
        conversation,
        dialogue: { ...(await at(store, id)), ...change({ fired: a.id }) },
        messages: [],
        messageKey: 'k1',
      });
      expect((await store.pendingDeadlines(id)).map((row) => row.sendId)).toEqual(['b']);
      await store.commit({
        conversation,
        dialogue: { ...(await at(store, id)), ...change({ fired: b.id, schedule: [deadline('b', 40)] }) },
        messages: [],
        messageKey: 'k2',
      });
      expect((await store.pendingDeadlines(id)).map((row) => [row.sendId, row.dueAt])).toEqual([['b', 40]]);
    });

    it('a dialogue that finished leaves the chat free and has nothing left to wait for', async () => {
      const { harness, store, begin, clock } = await setup();
      const { id, conversation } = await begin({ dialogue: start({ schedule: [deadline('a', 10)] }) });
      await store.commit({
        conversation,
        dialogue: { ...(await at(store, id)), ...change({ status: 'done', snapshot: { value: 'done' } }) },
        messages: [{ text: 'thanks' }],
        messageKey: 'k1',
      });
      for (const opened of [store, await harness.reopen()]) {
        expect((await opened.loadChat('telegram', '42')).active).toBeUndefined();
        expect(await opened.pendingDeadlines(id)).toEqual([]);
        expect(await opened.dueDeadlines(clock.now())).toEqual([]);
      }
    });

    it('a new dialogue ends the one it replaces, in the same commit', async () => {
      const { store, begin, clock } = await setup();
      const old = await begin({ dialogue: start({ schedule: [deadline('a', 10)] }) });
      const id = await store.commit({
        conversation: old.conversation,
        end: old.id,
        dialogue: start({ snapshot: { value: 'again' } }),
        messages: [],
        messageKey: 'k1',
      });
      expect(id).not.toBe(old.id);
      expect((await store.loadChat('telegram', '42')).active).toMatchObject({
        id,
        snapshot: { value: 'again' },
      });
      expect(await store.pendingDeadlines(old.id)).toEqual([]);
      expect(await store.dueDeadlines(clock.now())).toEqual([]);
    });

    it('ends a dialogue with a reply outside any dialogue (its machine version is gone)', async () => {
      const { store, begin, harness } = await setup();
      const { id, conversation } = await begin({ dialogue: start({ schedule: [deadline('a', 10)] }) });
      expect(
        await store.commit({
          conversation,
          end: id,
          messages: [{ text: 'ended by an update' }],
          messageKey: 'k1',
        }),
      ).toBeUndefined();
      expect((await store.loadChat('telegram', '42')).active).toBeUndefined();
      expect(await store.pendingDeadlines(id)).toEqual([]);
      expect((await harness.messages('42')).map((message) => message.payload)).toEqual([
        { text: 'ended by an update' },
      ]);
    });

    it('never holds two active dialogues in one chat', async () => {
      const { store, begin } = await setup();
      const { id, conversation } = await begin();
      await expect(
        store.commit({ conversation, dialogue: start(), messages: [], messageKey: 'k1' }),
      ).rejects.toThrow();
      expect((await store.loadChat('telegram', '42')).active?.id).toBe(id);
    });
  });

  describe('atomicity', () => {
    it('writes nothing of a step whose other writes fail', async () => {
      const { store, chat, texts, harness } = await setup();
      const { conversation } = await chat();
      await expect(
        store.commit({
          conversation,
          inbound: { updateId: '9' },
          dialogue: start({ schedule: [deadline('a', 10)] }),
          messages: [{ text: 'q1' }],
          messageKey: 'k0',
          alongside: async () => {
            throw new Error('disk full');
          },
        }),
      ).rejects.toThrow('disk full');
      for (const opened of [store, await harness.reopen()]) {
        const after = await opened.loadChat('telegram', '42');
        expect(after.active).toBeUndefined();
        expect(await opened.isDuplicate(after.conversation, { update: '9' })).toBe(false);
      }
      expect(await texts()).toEqual([]);
    });

    it('keeps the last committed state when a step cannot be stored', async () => {
      const { store, begin, texts } = await setup();
      const { id, conversation } = await begin({ dialogue: start({ schedule: [deadline('a', 10)] }) });
      await expect(
        store.commit({
          conversation,
          dialogue: {
            ...(await at(store, id)),
            ...change({ snapshot: { n: 1n }, cancel: ['a'], schedule: [deadline('b', 20)] }),
          },
          messages: [{ text: 'q2' }],
          messageKey: 'k1',
        }),
      ).rejects.toThrow();
      expect((await store.loadChat('telegram', '42')).active?.snapshot).toEqual({ value: 'first' });
      expect((await store.pendingDeadlines(id)).map((row) => row.sendId)).toEqual(['a']);
      expect(await texts()).toEqual([]);
    });

    it("runs the step's other writes with its dialogue's id", async () => {
      const { store, chat } = await setup();
      const { conversation } = await chat();
      const seen: number[] = [];
      const id = await store.commit({
        conversation,
        dialogue: start(),
        messages: [],
        messageKey: 'k0',
        alongside: async (dialogueId) => {
          seen.push(dialogueId);
        },
      });
      expect(seen).toEqual([id]);
    });

    it('commits of different chats at once each succeed or fail on their own', async () => {
      const { store } = await setup();
      const chats = await Promise.all(['1', '2', '3'].map((chatId) => store.loadChat('telegram', chatId)));
      const outcomes = await Promise.allSettled(
        chats.map(({ conversation }, index) =>
          store.commit({
            conversation,
            dialogue: start({ snapshot: index === 1 ? { n: 1n } : { value: index } }),
            messages: [],
            messageKey: `k${index}`,
          }),
        ),
      );
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const actives = await Promise.all(['1', '2', '3'].map((chatId) => store.loadChat('telegram', chatId)));
      expect(actives.map((state) => state.active?.snapshot)).toEqual([{ value: 0 }, undefined, { value: 2 }]);
    });
  });

  describe('deadlines', () => {
    it('answers due deadlines soonest first with their chat, only for dialogues still active', async () => {
      const { store, clock } = await setup();
      const steps: Array<[string, number]> = [
        ['1', 30],
        ['2', 10],
        ['3', 20],
      ];
      const ids: number[] = [];
      for (const [chatId, dueAt] of steps) {
        const { conversation } = await store.loadChat('telegram', chatId);
        const id = await store.commit({
          conversation,
          dialogue: start({ schedule: [deadline('t', dueAt), deadline('later', clock.now() + 1)] }),
          messages: [],
          messageKey: `k${chatId}`,
        });
        ids.push(id ?? 0);
      }
      const due = await store.dueDeadlines(clock.now());
      expect(due.map((row) => [row.chatId, row.dueAt, row.sendId, row.event])).toEqual([
        ['2', 10, 't', { type: 't' }],
        ['3', 20, 't', { type: 't' }],
        ['1', 30, 't', { type: 't' }],
      ]);
      expect(due.map((row) => row.dialogueId)).toEqual([ids[1], ids[2], ids[0]]);
      expect(due.every((row) => row.channel === 'telegram')).toBe(true);
      expect((await store.dueDeadlines(clock.now(), 2)).map((row) => row.chatId)).toEqual(['2', '3']);
      expect(await store.dueDeadlines(9)).toEqual([]);
    });

    it('tries a deadline whose step failed again later, and never one already delivered', async () => {
      const { store, begin } = await setup();
      const { id, conversation } = await begin({
        dialogue: start({ schedule: [deadline('a', 10), deadline('b', 20)] }),
      });
      const [a, b] = await store.pendingDeadlines(id);
      if (!a || !b) throw new Error('no deadlines');
      await store.retryDeadline(conversation, a.id, 5_000);
      expect((await store.dueDeadlines(4_999)).map((row) => row.sendId)).toEqual(['b']);
      expect((await store.dueDeadlines(5_000)).map((row) => row.sendId)).toEqual(['b', 'a']);
      await store.commit({
        conversation,
        dialogue: { ...(await at(store, id)), ...change({ fired: b.id }) },
        messages: [],
        messageKey: 'k1',
      });
      await store.retryDeadline(conversation, b.id, 6_000);
      expect((await store.dueDeadlines(10_000)).map((row) => row.sendId)).toEqual(['a']);
    });
  });

  describe('what a step reads', () => {
    it('a chat read after a failed commit is the committed one', async () => {
      const { store, begin } = await setup();
      const { id, conversation } = await begin();
      await store.commit({
        conversation,
        dialogue: { ...(await at(store, id)), ...change({ snapshot: { value: 'second' } }) },
        messages: [],
        messageKey: 'k1',
      });
      await expect(
        store.commit({
          conversation,
          dialogue: { ...(await at(store, id)), ...change({ snapshot: { n: 1n } }) },
          messages: [],
          messageKey: 'k2',
        }),
      ).rejects.toThrow();
      expect((await store.loadChat('telegram', '42')).active?.snapshot).toEqual({ value: 'second' });
    });

    it('a snapshot read is not changed by mutating what was committed', async () => {
      const { store, chat } = await setup();
      const { conversation } = await chat();
      const snapshot = { value: 'first', context: { answers: ['a'] } };
      const id = await store.commit({
        conversation,
        dialogue: start({ snapshot }),
        messages: [],
        messageKey: 'k0',
      });
      // A reply outside the dialogue says nothing of it; the next read is still the committed state.
      snapshot.context.answers.push('b');
      await store.commit({
        conversation: (await chat()).conversation,
        messages: [{ text: 'hint' }],
        messageKey: 'k1',
      });
      expect((await chat()).active).toMatchObject({
        id,
        snapshot: { value: 'first', context: { answers: ['a'] } },
      });
    });
  });

  describe('two processes on one chat', () => {
    it('of two steps computed from the same snapshot, the second is refused and overwrites nothing', async () => {
      const { harness, store, begin, texts, clock } = await setup();
      const { id, conversation } = await begin();
      // Another process, its own connection and no memory of this one's.
      const other = await harness.reopen();
      const read = await at(store, id);
      expect(await at(other, id)).toEqual(read);
      await store.commit({
        conversation,
        dialogue: { ...read, ...change({ snapshot: { value: 'here' } }) },
        messages: [{ text: 'from here' }],
        messageKey: 'here',
      });
      const refused = other.commit({
        conversation,
        dialogue: {
          ...read,
          ...change({ snapshot: { value: 'there' }, schedule: [deadline('late', clock.now() + 60_000)] }),
        },
        messages: [{ text: 'from there' }],
        messageKey: 'there',
      });
      await expect(refused).rejects.toBeInstanceOf(StaleDialogueError);
      for (const opened of [store, other, await harness.reopen()]) {
        expect((await opened.loadChat('telegram', '42')).active?.snapshot).toEqual({ value: 'here' });
        expect(await opened.pendingDeadlines(id)).toEqual([]);
      }
      expect(await texts()).toEqual(['from here']);
      // Redone over what it reads now, the other process's step goes through.
      const again = await at(other, id);
      expect(again.version).not.toBe(read.version);
      await other.commit({
        conversation,
        dialogue: { ...again, ...change({ snapshot: { value: 'there, redone' } }) },
        messages: [{ text: 'from there' }],
        messageKey: 'there',
      });
      const fresh = await harness.reopen();
      expect((await fresh.loadChat('telegram', '42')).active?.snapshot).toEqual({ value: 'there, redone' });
      expect(await texts()).toEqual(['from here', 'from there']);
    });

    it('a step of a dialogue another process ended meanwhile is refused', async () => {
      const { harness, store, begin } = await setup();
      const { id, conversation } = await begin();
      const other = await harness.reopen();
      const read = await at(other, id);
      await store.commit({ conversation, end: id, messages: [{ text: 'ended' }], messageKey: 'end' });
      await expect(
        other.commit({ conversation, dialogue: { ...read, ...change() }, messages: [], messageKey: 'late' }),
      ).rejects.toBeInstanceOf(StaleDialogueError);
      expect((await other.loadChat('telegram', '42')).active).toBeUndefined();
    });

    it('of two dialogues started in a chat from the same read, the second is refused', async () => {
      const { harness, store, chat } = await setup();
      const other = await harness.reopen();
      const { conversation } = await chat();
      expect((await other.loadChat('telegram', '42')).active).toBeUndefined();
      const id = await store.commit({ conversation, dialogue: start(), messages: [], messageKey: 'a' });
      await expect(
        other.commit({ conversation, dialogue: start(), messages: [{ text: 'b' }], messageKey: 'b' }),
      ).rejects.toBeInstanceOf(StaleDialogueError);
      expect((await other.loadChat('telegram', '42')).active?.id).toBe(id);
    });
  });
}
