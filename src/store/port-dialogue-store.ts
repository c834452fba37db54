/**
 * The dialogue store over the async store ports: the one Postgres uses, where several processes
 * share the database. Each step is one transaction; nothing about a chat is cached between steps,
 * because another process may have moved it on.
 *
 * Per-chat order across processes: the commit first takes `lockChat` for its conversation inside
 * its transaction (on Postgres a transaction-scoped advisory lock, released with the commit or
 * the connection, so a killed process never leaves one held).
 *
 * Duplicates are recognised by the update's own id, never by the chat's highest one: behind a
 * load balancer a chat's updates 101 and 102 may reach two processes at once, and 102 may commit
 * first; a watermark would then drop 101, a client's message. Each handled update leaves a row in
 * the inbound ledger, keyed (channel, chat and update id), written in its step's transaction, so
 * the row exists exactly when the step's writes do. The ledger is pruned after a retention.
 *
 * @module
 */
import {
  type ChatState,
  type DialogueStore,
  type DueDeadline,
  DuplicateUpdateError,
  dialogueToCreate,
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
  /**
   * How long a handled update stays in the inbound ledger, so that a redelivery is still
   * recognised. Default 30 days: far beyond Telegram's, which keeps an undelivered update 24 h.
   */
  ledgerRetentionMs?: number;
}

const HOUR = 3_600_000;
/** Ledger rows pruned per look, so one statement never runs long. */
const PRUNE_BATCH = 10_000;

/**
 * The ledger key of a chat's update: the chat is part of it, since only Telegram promises ids
 * unique across a bot's chats (`update_id`), and nothing else needs to assume it.
 */
const ledgerKey = (chatId: string, updateId: string): string => `${chatId}:${updateId}`;

export function createPortDialogueStore(store: Store, options: PortDialogueStoreOptions): DialogueStore {
  const { clock } = options;
  const retentionMs = options.ledgerRetentionMs ?? 30 * 24 * HOUR;
  let prunedAt = Number.NEGATIVE_INFINITY;

  /** Drops handled updates past the retention, at most hourly (several processes may each do it). */
  async function pruneLedger(): Promise<void> {
    const now = clock.now();
    if (now - prunedAt < HOUR) return;
    prunedAt = now;
    try {
      const pruned = await store.inbound.pruneProcessed(now - retentionMs, PRUNE_BATCH);
      // A full batch: more may be left, taken at the next look rather than an hour later.
      if (pruned >= PRUNE_BATCH) prunedAt = Number.NEGATIVE_INFINITY;
    } catch {
      // Housekeeping: the next look tries again.
      prunedAt = Number.NEGATIVE_INFINITY;
    }
  }

  /** In the transaction: the step's writes, in the order the runtime relies on. */
  async function write(step: StepCommit): Promise<number | undefined> {
    const { conversation } = step;
    await options.lockChat?.(conversation.id);
    const updateId = step.inbound?.updateId;
    if (updateId !== undefined) {
      // First, under the chat's lock: the same update handled by another process meanwhile
      // refuses this step before it writes anything.
      const key = ledgerKey(conversation.chatId, updateId);
      if (!(await store.inbound.recordIfNew(conversation.channel, key, undefined, clock.now())))
        throw new DuplicateUpdateError(updateId);
      await store.inbound.markProcessed(conversation.channel, key, clock.now());
    }
    if (step.end !== undefined) {
      await store.dialogues.setStatus(step.end, 'ended');
      await store.timers.deleteForDialogue(step.end);
    }
    let id: number | undefined;
    const change = step.dialogue;
    if (change && 'start' in change) {
      const created = await store.dialogues
        .create(dialogueToCreate(conversation.id, change))
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
      // The watermark is still kept (the column is shared with SQLite), but not used to dedupe.
      await store.conversations.touch(conversation.id, {
        phone: conversation.phone,
        language: conversation.language,
        lastUpdateId: numericUpdateId(updateId) ?? null,
      });
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
      const key = ledgerKey(conversation.chatId, id.update);
      return (await store.inbound.get(conversation.channel, key)) !== undefined;
    },

    commit(step) {
      return store.transaction(() => write(step));
    },

    async pendingDeadlines(dialogueId) {
      const pending = await store.timers.pendingForDialogue(dialogueId);
      return pending.map(({ id, sendId, event, dueAt }) => ({ id, sendId, event, dueAt }));
    },

    async dueDeadlines(now, limit = 100) {
      // The sweeper's periodic look is the ledger's housekeeping tick, as on SQLite.
      await pruneLedger();
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

    housekeeping: pruneLedger,
  };
}
