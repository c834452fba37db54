/**
 * The dialogue store on SQLite: the runtime's port (`dialogues/store-port.ts`) over the
 * repositories, with a bounded cache of the chats talking now and group commit.
 *
 * @module
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import {
  afterUpdate,
  type ChatState,
  type DialogueStore,
  type DueDeadline,
  dialogueToCreate,
  menuIdOf,
  numericUpdateId,
  StaleDialogueError,
  type StepCommit,
} from '../dialogues/store-port.js';
import type { Clock } from '../domain/clock.js';
import { LruMap } from '../lru.js';
import { transaction } from './db.js';
import { ActiveDialogueExistsError } from './dialogues.js';
import { createGroupCommit } from './group-commit.js';
import type { Dialogue } from './schema.js';
import { conversations, dialogues, timers } from './schema.js';
import type { SqliteStore } from './sqlite-store.js';

/** Options of {@link createSqliteDialogueStore}. */
export interface SqliteDialogueStoreOptions {
  clock: Clock;
  /** How many chats keep their conversation and active dialogue in memory. Default 10,000. */
  cachedChats?: number;
  /**
   * How long a handled entry stays in the inbound ledger (updates without increasing ids, Altegio
   * webhooks), so a redelivery is still recognised. Default 30 days: far beyond any retry window
   * the platforms document (Telegram keeps updates 24 h).
   */
  ledgerRetentionMs?: number;
}

const HOUR = 3_600_000;
/** Ledger rows pruned per look, so one commit never holds the write lock long. */
const PRUNE_BATCH = 10_000;

/**
 * The chats seen last are cached with their conversation and active dialogue as last committed: a
 * message in a chat that is talking now costs no read. Bounded, so dormant dialogues cost no
 * memory. The database stays the truth: the cache changes only after a commit succeeded, and a
 * chat whose state a commit does not fully describe (a reply outside a dialogue, a failed step,
 * a failed commit) is read afresh next time.
 *
 * Steps that finish in the same turn of the event loop share one transaction (`group-commit.ts`).
 * The inbound ledger is pruned at most hourly, on the sweeper's periodic look at due deadlines.
 */
export function createSqliteDialogueStore(
  store: SqliteStore,
  options: SqliteDialogueStoreOptions,
): DialogueStore {
  const { clock } = options;
  const { sync, connection: lock } = store;
  // The batch commits on its own, after any async transaction open on the connection.
  const group = createGroupCommit((write) => lock.runAlone(() => transaction(store.db, write)));
  const cache = new LruMap<string, ChatState>(options.cachedChats ?? 10_000);
  const retentionMs = options.ledgerRetentionMs ?? 30 * 24 * HOUR;
  let prunedAt = Number.NEGATIVE_INFINITY;
  const key = (channel: string, chatId: string) => `${channel}:${chatId}`;

  const dueStatement = store.db
    .select({
      id: timers.id,
      dialogueId: timers.dialogueId,
      sendId: timers.sendId,
      event: timers.event,
      dueAt: timers.dueAt,
      status: dialogues.status,
      channel: conversations.channel,
      chatId: conversations.chatId,
    })
    .from(timers)
    .innerJoin(dialogues, eq(dialogues.id, timers.dialogueId))
    .innerJoin(conversations, eq(conversations.id, dialogues.conversationId))
    .where(and(isNull(timers.firedAt), sql`${timers.dueAt} <= ${sql.placeholder('now')}`))
    .orderBy(asc(timers.dueAt), asc(timers.id))
    .limit(sql.placeholder('limit'))
    .prepare();

  /** In the transaction: the step's writes, in the order the runtime relies on. */
  function write(step: StepCommit): { id: number | undefined; created: Dialogue | undefined } {
    const { conversation } = step;
    if (step.end !== undefined) {
      sync.dialogues.setStatus(step.end, 'ended');
      sync.timers.deleteForDialogue(step.end);
    }
    let id: number | undefined;
    let created: Dialogue | undefined;
    const change = step.dialogue;
    if (change && 'start' in change) {
      try {
        created = sync.dialogues.create(dialogueToCreate(conversation.id, change));
      } catch (error) {
        // The step read a chat without a dialogue, and one was started meanwhile.
        if (error instanceof ActiveDialogueExistsError)
          throw new StaleDialogueError(undefined, { cause: error });
        throw error;
      }
      id = created.id;
    } else if (change) {
      id = change.id;
      // Compare-and-set: only over the version the step was computed from.
      if (!sync.dialogues.save(id, change.snapshot, change.status, change.version)) {
        if (sync.dialogues.get(id)) throw new StaleDialogueError(id);
        throw new Error(`dialogue ${id} does not exist`);
      }
    }
    if (change && id !== undefined) {
      if (change.status === 'active') {
        // Fired first: a step whose delivered deadline re-enters its own state schedules the
        // same id again, and that new deadline must stay pending.
        if (change.fired !== undefined) sync.timers.markFired(change.fired, clock.now());
        for (const sendId of change.cancel) sync.timers.cancel(id, sendId);
        for (const deadline of change.schedule) sync.timers.schedule(id, deadline);
      } else {
        // A finished dialogue has nothing left to wait for.
        sync.timers.deleteForDialogue(id);
      }
    }
    const menu = id === undefined ? {} : { menuId: menuIdOf(id) };
    for (const [index, message] of step.messages.entries()) {
      sync.outbox.enqueue({
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
      sync.conversations.touch(conversation.id, {
        phone: conversation.phone,
        language: conversation.language,
        lastUpdateId: numeric ?? null,
      });
      if (updateId !== undefined && numeric === undefined) {
        sync.inbound.recordIfNew(conversation.channel, updateId, undefined, clock.now());
        sync.inbound.markProcessed(conversation.channel, updateId, clock.now());
      }
    }
    return { id, created };
  }

  /** After the commit: what the chat's cache holds now, or nothing when the step does not say. */
  function remember(step: StepCommit, written: { id: number | undefined; created: Dialogue | undefined }) {
    const chatKey = key(step.conversation.channel, step.conversation.chatId);
    const change = step.dialogue;
    const previous = cache.get(chatKey);
    const base = written.created ?? (previous?.active?.id === written.id ? previous?.active : undefined);
    // A cached dialogue of another version than the step's says nothing sure about the stored one.
    const stepVersion = change && 'id' in change ? change.version : undefined;
    if (!change || !base || (!written.created && base.version !== stepVersion)) {
      cache.delete(chatKey);
      return;
    }
    const conversation = step.inbound
      ? afterUpdate(step.conversation, step.inbound.updateId)
      : step.conversation;
    cache.set(chatKey, {
      conversation,
      active:
        change.status === 'active'
          ? {
              ...base,
              snapshot: change.snapshot,
              status: 'active',
              // As the commit left it: a created row at its first version, a step one further.
              version: written.created ? base.version : base.version + 1,
              updatedAt: clock.now(),
            }
          : undefined,
    });
  }

  function pruneLedger(): void {
    const now = clock.now();
    if (now - prunedAt < HOUR) return;
    prunedAt = now;
    group
      .commit(() => sync.inbound.pruneProcessed(now - retentionMs, PRUNE_BATCH))
      .then(
        // A full batch: more may be left, taken at the next look rather than an hour later.
        (pruned) => {
          if (pruned >= PRUNE_BATCH) prunedAt = Number.NEGATIVE_INFINITY;
        },
        // Housekeeping: the next look tries again.
        () => {
          prunedAt = Number.NEGATIVE_INFINITY;
        },
      );
  }

  return {
    async loadChat(channel, chatId) {
      const chatKey = key(channel, chatId);
      const cached = cache.get(chatKey);
      if (cached) return cached;
      // Reads under the lock too: never from inside another chain's open transaction.
      const known = await lock.run(() => {
        const conversation = sync.conversations.byChat(channel, chatId);
        return conversation && { conversation, active: sync.dialogues.getActive(conversation.id) };
      });
      // A new chat's row joins the next group commit rather than costing a commit of its own; it
      // has no dialogue yet.
      const state: ChatState = known ?? {
        conversation: await group.commit(() => sync.conversations.upsert(channel, chatId)),
        active: undefined,
      };
      cache.set(chatKey, state);
      return state;
    },

    async isDuplicate(conversation, id) {
      if ('start' in id) return lock.run(() => sync.outbox.byIdempotencyKey(`${id.start}:0`) !== undefined);
      const numeric = numericUpdateId(id.update);
      if (numeric === undefined)
        return lock.run(() => sync.inbound.get(conversation.channel, id.update) !== undefined);
      return conversation.lastUpdateId != null && numeric <= conversation.lastUpdateId;
    },

    async commit(step) {
      let written: ReturnType<typeof write>;
      try {
        const { alongside } = step;
        written =
          alongside === undefined
            ? await group.commit(() => write(step))
            : // Rare (a step with the machine's intents): its own transaction, since `alongside` awaits.
              await store.transaction(async () => {
                const result = write(step);
                if (result.id !== undefined) await alongside(result.id);
                return result;
              });
      } catch (error) {
        cache.delete(key(step.conversation.channel, step.conversation.chatId));
        throw error;
      }
      remember(step, written);
      return written.id;
    },

    async pendingDeadlines(dialogueId) {
      const pending = await lock.run(() => sync.timers.pendingForDialogue(dialogueId));
      return pending.map(({ id, sendId, event, dueAt }) => ({ id, sendId, event, dueAt }));
    },

    async dueDeadlines(now, limit = 100) {
      pruneLedger();
      const due: DueDeadline[] = [];
      const ended = new Set<number>();
      const rows = await lock.run(() => dueStatement.all({ now, limit }));
      for (const { status, ...row } of rows) {
        if (status === 'active') due.push(row);
        else ended.add(row.dialogueId);
      }
      // Rows an ended dialogue left behind (written before every end dropped them) would be due forever.
      if (ended.size > 0)
        await group.commit(() => {
          for (const dialogueId of ended) sync.timers.deleteForDialogue(dialogueId);
        });
      return due;
    },

    async retryDeadline(conversation, deadlineId, dueAt) {
      cache.delete(key(conversation.channel, conversation.chatId));
      await group.commit(() => sync.timers.reschedule(deadlineId, dueAt));
    },
  };
}
