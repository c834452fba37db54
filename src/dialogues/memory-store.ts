/**
 * The dialogue store in memory: the same port as the SQLite one, for the runtime's unit tests and
 * for embedding without a database. Values are stored as JSON, as a database column would keep
 * them, so a snapshot that cannot be serialised fails its commit here too.
 *
 * @module
 */
import type { ChatChannel } from '../domain/channels.js';
import type { Clock } from '../domain/clock.js';
import { ActiveDialogueExistsError } from '../store/dialogues.js';
import type { Conversation, Dialogue, OutboxPriority } from '../store/schema.js';
import {
  afterUpdate,
  type Deadline,
  type DialogueStore,
  menuIdOf,
  numericUpdateId,
  StaleDialogueError,
  type StepCommit,
} from './store-port.js';

/** A reply the store holds for sending, as the outbox would. */
export interface MemoryMessage {
  channel: ChatChannel;
  recipient: string;
  payload: unknown;
  idempotencyKey: string;
  priority: OutboxPriority;
}

/** {@link DialogueStore} plus what a test needs to look at. */
export interface MemoryDialogueStore extends DialogueStore {
  /** Queued replies, oldest first. */
  messages(recipient?: string): MemoryMessage[];
  dialogue(id: number): Dialogue | undefined;
  /** Every dialogue, oldest first. */
  dialogues(): Dialogue[];
}

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function createMemoryDialogueStore(clock: Clock): MemoryDialogueStore {
  const conversations = new Map<string, Conversation>();
  const dialogues = new Map<number, Dialogue>();
  const deadlines = new Map<number, Deadline & { dialogueId: number; firedAt: number | null }>();
  const outbox = new Map<string, MemoryMessage>();
  const ledger = new Set<string>();
  let nextId = 1;
  const key = (channel: string, chatId: string) => `${channel}:${chatId}`;

  function deadlinesOf(dialogueId: number) {
    return [...deadlines.values()]
      .filter((row) => row.dialogueId === dialogueId && row.firedAt === null)
      .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
  }

  function dropDeadlines(dialogueId: number): void {
    for (const [id, row] of deadlines) if (row.dialogueId === dialogueId) deadlines.delete(id);
  }

  /** Commits one at a time, as a transaction would: `alongside` awaits between prepare and apply. */
  let committing: Promise<unknown> = Promise.resolve();

  /** All of a step's writes, prepared first; only `apply` changes anything, and it cannot throw. */
  function prepare(step: StepCommit): { id: number | undefined; apply(): void } {
    const conversation = conversations.get(key(step.conversation.channel, step.conversation.chatId));
    if (!conversation) throw new Error(`conversation ${step.conversation.id} does not exist`);
    const change = step.dialogue;
    const now = clock.now();
    let row: Dialogue | undefined;
    if (change && 'start' in change) {
      const busy = [...dialogues.values()].some(
        (d) => d.conversationId === conversation.id && d.status === 'active' && d.id !== step.end,
      );
      if (change.status === 'active' && busy)
        throw new StaleDialogueError(undefined, { cause: new ActiveDialogueExistsError(conversation.id) });
      row = {
        id: nextId,
        conversationId: conversation.id,
        machineId: change.start.machineId,
        machineVersion: change.start.machineVersion,
        snapshot: copy(change.snapshot),
        status: change.status,
        recordId: change.start.recordId ?? null,
        version: 0,
        createdAt: now,
        updatedAt: now,
      };
    } else if (change) {
      const stored = dialogues.get(change.id);
      if (!stored) throw new Error(`dialogue ${change.id} does not exist`);
      if (stored.version !== change.version) throw new StaleDialogueError(change.id);
      row = {
        ...stored,
        snapshot: copy(change.snapshot),
        status: change.status,
        version: stored.version + 1,
        updatedAt: now,
      };
    }
    const id = row?.id;
    const menu = id === undefined ? {} : { menuId: menuIdOf(id) };
    const messages = step.messages.map((message, index) => ({
      channel: conversation.channel,
      recipient: conversation.chatId,
      payload: copy({ ...message, ...menu }),
      idempotencyKey: `${step.messageKey}:${index}`,
      priority: step.priority ?? 'interactive',
    }));
    return {
      id,
      apply() {
        if (step.end !== undefined) {
          const ended = dialogues.get(step.end);
          if (ended)
            dialogues.set(ended.id, {
              ...ended,
              status: 'ended',
              version: ended.version + 1,
              updatedAt: now,
            });
          dropDeadlines(step.end);
        }
        if (row && change) {
          if (row.id === nextId) nextId += 1;
          dialogues.set(row.id, row);
          if (change.status !== 'active') dropDeadlines(row.id);
          else {
            const fired = change.fired === undefined ? undefined : deadlines.get(change.fired);
            if (fired && fired.firedAt === null) fired.firedAt = now;
            for (const sendId of change.cancel) {
              const pending = deadlinesOf(row.id).find((d) => d.sendId === sendId);
              if (pending) deadlines.delete(pending.id);
            }
            for (const next of change.schedule) {
              const existing = [...deadlines.values()].find(
                (d) => d.dialogueId === row.id && d.sendId === next.sendId,
              );
              const id = existing?.id ?? nextId++;
              deadlines.set(id, { ...copy(next), id, dialogueId: row.id, firedAt: null });
            }
          }
        }
        for (const message of messages)
          if (!outbox.has(message.idempotencyKey)) outbox.set(message.idempotencyKey, message);
        if (step.inbound) {
          const { updateId } = step.inbound;
          const touched = afterUpdate(
            {
              ...conversation,
              phone: step.conversation.phone ?? conversation.phone,
              language: step.conversation.language ?? conversation.language,
              updatedAt: now,
            },
            updateId,
          );
          conversations.set(key(conversation.channel, conversation.chatId), touched);
          if (updateId !== undefined && numericUpdateId(updateId) === undefined)
            ledger.add(key(conversation.channel, updateId));
        }
      },
    };
  }

  return {
    async loadChat(channel, chatId) {
      let conversation = conversations.get(key(channel, chatId));
      if (!conversation) {
        const now = clock.now();
        conversation = {
          id: nextId++,
          channel,
          chatId,
          phone: null,
          language: null,
          lastUpdateId: null,
          unreachableAt: null,
          unreachableReason: null,
          createdAt: now,
          updatedAt: now,
        };
        conversations.set(key(channel, chatId), conversation);
      }
      const id = conversation.id;
      const active = [...dialogues.values()].find((d) => d.conversationId === id && d.status === 'active');
      return { conversation: { ...conversation }, active: active && copy(active) };
    },

    async isDuplicate(conversation, id) {
      if ('start' in id) return outbox.has(`${id.start}:0`);
      const numeric = numericUpdateId(id.update);
      if (numeric === undefined) return ledger.has(key(conversation.channel, id.update));
      return conversation.lastUpdateId != null && numeric <= conversation.lastUpdateId;
    },

    commit(step) {
      const run = async () => {
        // Committed on a later turn, as a database would answer.
        await Promise.resolve();
        const prepared = prepare(step);
        if (prepared.id !== undefined) await step.alongside?.(prepared.id);
        prepared.apply();
        return prepared.id;
      };
      const result = committing.then(run, run);
      committing = result.catch(() => undefined);
      return result;
    },

    async pendingDeadlines(dialogueId) {
      return deadlinesOf(dialogueId).map(({ id, sendId, event, dueAt }) =>
        copy({ id, sendId, event, dueAt }),
      );
    },

    async dueDeadlines(now, limit = 100) {
      const chats = new Map([...conversations.values()].map((c) => [c.id, c]));
      return [...deadlines.values()]
        .filter((row) => row.firedAt === null && row.dueAt <= now)
        .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)
        .flatMap(({ id, dialogueId, sendId, event, dueAt }) => {
          const dialogue = dialogues.get(dialogueId);
          const chat = dialogue && chats.get(dialogue.conversationId);
          if (!chat || dialogue.status !== 'active') return [];
          return [
            { id, dialogueId, sendId, event: copy(event), dueAt, channel: chat.channel, chatId: chat.chatId },
          ];
        })
        .slice(0, limit);
    },

    async retryDeadline(_conversation, deadlineId, dueAt) {
      await Promise.resolve();
      const row = deadlines.get(deadlineId);
      if (row && row.firedAt === null) row.dueAt = dueAt;
    },

    messages(recipient) {
      return [...outbox.values()].filter((m) => recipient === undefined || m.recipient === recipient);
    },
    dialogue(id) {
      const row = dialogues.get(id);
      return row && copy(row);
    },
    dialogues() {
      return [...dialogues.values()].map(copy);
    },
  };
}
