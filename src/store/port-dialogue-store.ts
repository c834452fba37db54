/**
 * The dialogue store over the async store ports: the one Postgres uses, where several processes
 * share the database. Each step is one transaction; nothing about a chat is cached between steps,
 * because another process may have moved it on.
 *
 * Per-chat order across processes: the commit first takes `lockChat` for its conversation inside
 * its transaction (on Postgres a transaction-scoped advisory lock, released with the commit or
 * the connection, so a killed process never leaves one held).
 *
 * @module
 */
import {
  type ChatState,
  type DialogueStore,
  type DueDeadline,
  menuIdOf,
  numericUpdateId,
  StaleDialogueError,
  type StepCommit,
} from '../dialogues/store-port.js';
import type { Clock } from '../domain/clock.js';
import { ActiveDialogueExistsError } from './dialogues.js';
import type { Store } from './ports.js';

/** Options of {@link createPortDialogueStore}. */
export interface PortDialogueStoreOptions {
  clock: Clock;
  /**
   * Called first inside each commit's transaction with the conversation's id; holds other
   * processes' commits of that chat until this transaction ends. Default: none (one process).
   */
  lockChat?(conversationId: number): Promise<void>;
}

export function createPortDialogueStore(store: Store, options: PortDialogueStoreOptions): DialogueStore {
  const { clock } = options;

  /** In the transaction: the step's writes, in the order the runtime relies on. */
  async function write(step: StepCommit): Promise<number | undefined> {
    const { conversation } = step;
    await options.lockChat?.(conversation.id);
    if (step.end !== undefined) {
      await store.dialogues.setStatus(step.end, 'ended');
      await store.timers.deleteForDialogue(step.end);
    }
    let id: number | undefined;
    const change = step.dialogue;
    if (change && 'start' in change) {
      const created = await store.dialogues
        .create({
          conversationId: conversation.id,
          machineId: change.start.machineId,
          machineVersion: change.start.machineVersion,
          snapshot: change.snapshot,
          status: change.status,
          recordId: change.start.recordId ?? null,
        })
        .catch((error: unknown) => {
          // The step read a chat without a dialogue, and one was started meanwhile.
          if (error instanceof ActiveDialogueExistsError)
            throw new StaleDialogueError(undefined, { cause: error });
          throw error;
        });
      id = created.id;
    } else if (change) {
      id = change.id;
      // Compare-and-set: only over the version the step was computed from, so a step of a stale
      // snapshot (another process committed one since) overwrites nothing.
      if (!(await store.dialogues.save(id, change.snapshot, change.status, change.version))) {
        if (await store.dialogues.get(id)) throw new StaleDialogueError(id);
        throw new Error(`dialogue ${id} does not exist`);
      }
    }
    if (change && id !== undefined) {
      await step.alongside?.(id);
      if (change.status === 'active') {
        // Fired first: a step whose delivered deadline re-enters its own state schedules the
        // same id again, and that new deadline must stay pending.
        if (change.fired !== undefined) await store.timers.markFired(change.fired, clock.now());
        for (const sendId of change.cancel) await store.timers.cancel(id, sendId);
        for (const deadline of change.schedule) await store.timers.schedule(id, deadline);
      } else {
        // A finished dialogue has nothing left to wait for.
        await store.timers.deleteForDialogue(id);
      }
    }
    const menu = id === undefined ? {} : { menuId: menuIdOf(id) };
    for (const [index, message] of step.messages.entries()) {
      await store.outbox.enqueue({
        channel: conversation.channel,
        recipient: conversation.chatId,
        payload: { ...message, ...menu },
        idempotencyKey: `${step.messageKey}:${index}`,
        priority: step.priority ?? 'interactive',
      });
    }
    if (step.inbound) {
      const { updateId } = step.inbound;
      const numeric = numericUpdateId(updateId);
      await store.conversations.touch(conversation.id, {
        phone: conversation.phone,
        language: conversation.language,
        lastUpdateId: numeric ?? null,
      });
      if (updateId !== undefined && numeric === undefined) {
        await store.inbound.recordIfNew(conversation.channel, updateId, undefined, clock.now());
        await store.inbound.markProcessed(conversation.channel, updateId, clock.now());
      }
    }
    return id;
  }

  return {
    async loadChat(channel, chatId): Promise<ChatState> {
      const conversation =
        (await store.conversations.byChat(channel, chatId)) ??
        (await store.conversations.upsert(channel, chatId));
      return { conversation, active: await store.dialogues.getActive(conversation.id) };
    },

    async isDuplicate(conversation, id) {
      if ('start' in id) return (await store.outbox.byIdempotencyKey(`${id.start}:0`)) !== undefined;
      const numeric = numericUpdateId(id.update);
      if (numeric === undefined)
        return (await store.inbound.get(conversation.channel, id.update)) !== undefined;
      // Read afresh: another process may have handled a later update of this chat.
      const current = await store.conversations.get(conversation.id);
      const last = current?.lastUpdateId ?? conversation.lastUpdateId;
      return last != null && numeric <= last;
    },

    commit(step) {
      return store.transaction(() => write(step));
    },

    async pendingDeadlines(dialogueId) {
      const pending = await store.timers.pendingForDialogue(dialogueId);
      return pending.map(({ id, sendId, event, dueAt }) => ({ id, sendId, event, dueAt }));
    },

    async dueDeadlines(now, limit = 100) {
      const due: DueDeadline[] = [];
      for (const timer of await store.timers.due(now, limit)) {
        const dialogue = await store.dialogues.get(timer.dialogueId);
        const conversation = dialogue && (await store.conversations.get(dialogue.conversationId));
        if (!dialogue || !conversation) continue;
        if (dialogue.status !== 'active') {
          // Rows an ended dialogue left behind would be due forever.
          await store.timers.deleteForDialogue(dialogue.id);
          continue;
        }
        const { id, sendId, event, dueAt } = timer;
        due.push({
          id,
          sendId,
          event,
          dueAt,
          dialogueId: dialogue.id,
          channel: conversation.channel,
          chatId: conversation.chatId,
        });
      }
      return due;
    },

    async retryDeadline(_conversation, deadlineId, dueAt) {
      await store.timers.reschedule(deadlineId, dueAt);
    },
  };
}
