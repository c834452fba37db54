/**
 * The dialogue store: everything the runtime reads and writes, and nothing more. The engine uses
 * SQLite (`store/dialogue-store.ts`); tests may use the in-memory one (`memory-store.ts`). Both
 * pass the same contract suite, which a Postgres implementation would pass as well.
 *
 * Every write that starts, changes or ends a dialogue is one {@link DialogueStore.commit}: the
 * snapshot, its deadlines, its replies and what the message revealed about the chat land
 * together or not at all.
 *
 * A step's other writes (`alongside`, the machine's intents) go through the async store ports
 * inside the commit's transaction: a step that has them is committed in a `Store.transaction` of
 * its own, the others may share one (SQLite's group commit).
 *
 * @module
 */
import type { OutboundMessage } from '../channels/channel.js';
import type { ChatChannel } from '../domain/channels.js';
import type { Conversation, Dialogue, DialogueStatus, OutboxPriority, TimerEvent } from '../store/schema.js';

/** A chat as a step begins it: its conversation and the dialogue it is in, if any. */
export interface ChatState {
  conversation: Conversation;
  active: Dialogue | undefined;
}

/** A deadline a dialogue waits for. */
export interface Deadline {
  id: number;
  /** XState's id of the delayed send; a later step cancels or replaces it by this id. */
  sendId: string;
  event: TimerEvent;
  /** Epoch ms. */
  dueAt: number;
}

/** A deadline due now, with the chat its dialogue talks in (the runtime queues it there). */
export interface DueDeadline extends Deadline {
  dialogueId: number;
  channel: ChatChannel;
  chatId: string;
}

/** A deadline a step set or set again: a `sendId` the dialogue has already is replaced. */
export interface NewDeadline {
  sendId: string;
  event: TimerEvent;
  dueAt: number;
}

/** What a step did to its dialogue. */
export interface DialogueChange {
  /** `actor.getPersistedSnapshot()` after the step. */
  snapshot: unknown;
  /** `active` while the machine waits; anything else ends it and drops its deadlines. */
  status: DialogueStatus;
  /** Send ids of deadlines the step dropped. */
  cancel: readonly string[];
  schedule: readonly NewDeadline[];
  /** The deadline this step delivered: no longer pending (unless `schedule` sets its id again). */
  fired?: number;
}

/**
 * A new dialogue (`start`) or a step of the one the chat is in (`id`), computed from the
 * dialogue as stored at `version` ({@link Dialogue.version}): the commit is refused with
 * {@link StaleDialogueError} if the stored one has moved on since.
 */
export type StepDialogue =
  | (DialogueChange & { id: number; version: number })
  | (DialogueChange & { start: { machineId: string; machineVersion: number; recordId?: number } });

/** The row a step that starts a dialogue creates, in either store. */
export function dialogueToCreate(
  conversationId: number,
  change: Extract<StepDialogue, { start: unknown }>,
): {
  conversationId: number;
  machineId: string;
  machineVersion: number;
  snapshot: unknown;
  status: DialogueChange['status'];
  recordId: number | null;
} {
  return {
    conversationId,
    machineId: change.start.machineId,
    machineVersion: change.start.machineVersion,
    snapshot: change.snapshot,
    status: change.status,
    recordId: change.start.recordId ?? null,
  };
}

/**
 * The version a committed step leaves its dialogue at: a new one starts at 0, and every write of
 * a dialogue makes its version one more.
 */
export function versionAfter(dialogue: StepDialogue): number {
  return 'start' in dialogue ? 0 : dialogue.version + 1;
}

/** Everything one step writes. */
export interface StepCommit {
  /** The chat's conversation as the step leaves it (a phone or language the message revealed). */
  conversation: Conversation;
  /**
   * The client's message this step handled: its phone and language are kept, and its update id
   * makes a redelivery a duplicate ({@link DialogueStore.isDuplicate}). Absent for a step the
   * engine started (a reminder).
   */
  inbound?: { updateId?: string };
  /** A dialogue this step ends first (replaced by a new one, or its machine version is gone). */
  end?: number;
  dialogue?: StepDialogue;
  /**
   * Rendered replies, in order. Each gets the idempotency key `<messageKey>:<index>`, and, when
   * the step has a dialogue, that dialogue's id as its menu id.
   */
  messages: ReadonlyArray<Omit<OutboundMessage, 'menuId'>>;
  messageKey: string;
  /** Of every message of the step. Default `interactive` (a reply); a notification is `bulk`. */
  priority?: OutboxPriority;
  /**
   * Other writes of the step (the machine's intents: a task, a message for the admin), given the
   * dialogue's id, through the store's ports. They run in the commit's transaction (their calls
   * join it); a rejection fails the whole commit. Only for a step with a dialogue. No I/O but the
   * store's: the connection is held meanwhile.
   */
  alongside?(dialogueId: number): Promise<void>;
}

/**
 * A commit refused, having written nothing, because the chat's state moved on since the step read
 * it: another process (or an earlier step) committed a newer version of the dialogue, or started
 * one in the chat. Not a failure of the step: the runtime reads the chat again and redoes it.
 */
export class StaleDialogueError extends Error {
  override readonly name = 'StaleDialogueError';
  constructor(
    readonly dialogueId: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      dialogueId === undefined
        ? 'the chat started a dialogue meanwhile; reload and redo the step'
        : `dialogue ${dialogueId} moved on since the step read it; reload and redo the step`,
      options,
    );
  }
}

/**
 * A commit refused, having written nothing, because its inbound update was handled meanwhile: the
 * same update reached another process too (a redelivery), and that one's step committed first.
 * Not a failure: the update is a duplicate, and the runtime drops it.
 */
export class DuplicateUpdateError extends Error {
  override readonly name = 'DuplicateUpdateError';
  constructor(readonly updateId: string) {
    super(`update ${updateId} was handled meanwhile`);
  }
}

/** What the dialogue runtime needs of storage. */
export interface DialogueStore {
  /** The chat's conversation (created on first contact) and its active dialogue. */
  loadChat(channel: ChatChannel, chatId: string): Promise<ChatState>;
  /**
   * Whether this was handled already: a client's update redelivered, or an engine start
   * (`start`: its idempotency key) repeated after a crash.
   */
  isDuplicate(conversation: Conversation, key: { update: string } | { start: string }): Promise<boolean>;
  /**
   * Writes a step atomically; resolves with the id of the step's dialogue (a new one's, too) once
   * durable. Rejects, having written nothing, when any part fails, including `alongside`; with
   * {@link StaleDialogueError} when the step was computed from a state that has moved on; with
   * {@link DuplicateUpdateError} when a store that keeps a ledger of updates finds the step's
   * inbound update handled meanwhile.
   */
  commit(step: StepCommit): Promise<number | undefined>;
  /** A dialogue's pending deadlines, soonest first: what a hydrated actor gets back. */
  pendingDeadlines(dialogueId: number): Promise<Deadline[]>;
  /** Pending deadlines of active dialogues due at or before `now`, soonest first. */
  dueDeadlines(now: number, limit?: number): Promise<DueDeadline[]>;
  /**
   * A delivered deadline whose step failed (Altegio down) is due again at `dueAt`; the chat's
   * dialogue is read afresh by its next step. Does nothing if the deadline is no longer pending.
   */
  retryDeadline(conversation: Conversation, deadlineId: number, dueAt: number): Promise<void>;
  /**
   * Periodic tidying the store does on the sweeper's looks (pruning the inbound ledger), for a
   * mode without a sweeper to call it (deadlines on pg-boss). Cheap when there is nothing to do.
   */
  housekeeping?(): Promise<void>;
}

/** Telegram's `update_id`s increase (compared with the chat's last); other ids go to a ledger. */
export function numericUpdateId(updateId: string | undefined): number | undefined {
  return updateId !== undefined && /^\d{1,15}$/.test(updateId) ? Number(updateId) : undefined;
}

/** The conversation as a handled update leaves it: its highest update id. */
export function afterUpdate(conversation: Conversation, updateId: string | undefined): Conversation {
  const numeric = numericUpdateId(updateId);
  if (numeric === undefined) return conversation;
  return { ...conversation, lastUpdateId: Math.max(numeric, conversation.lastUpdateId ?? numeric) };
}

/** The menu id a dialogue's replies carry. */
export const menuIdOf = (dialogueId: number): string => String(dialogueId);
