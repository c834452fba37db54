import { randomUUID } from 'node:crypto';
import {
  type AnyActorRef,
  type AnyMachineSnapshot,
  createActor,
  type InspectionEvent,
  waitFor,
} from 'xstate';
import type { ReplyMessage, UserEvent } from '../../machines/shared/events.js';
import type { InboundMessage, OutboundMessage } from '../channels/channel.js';
import type { Clock } from '../domain/clock.js';
import { asLanguage } from '../domain/settings.js';
import type { Logger } from '../log.js';
import { LruMap } from '../lru.js';
import type {
  Conversation,
  Dialogue,
  DialogueStatus,
  NewOutboxMessage,
  OutboxPriority,
  Store,
} from '../store/index.js';
import { createGroupCommit } from './group-commit.js';
import { KeyedQueue } from './keyed-queue.js';
import { createLiveActors } from './live-actors.js';
import type { Language, MachineEntry, MachineRegistry } from './registry.js';
import { inertClock, type PendingTimer, type TimerChanges, trackTimers } from './timer-recorder.js';

export interface DialogueRuntimeOptions {
  store: Store;
  machines: MachineRegistry;
  /** Which machine `/start` and `/book` begin. */
  bookingMachineId: string;
  clock: Clock;
  logger: Logger;
  /** Turns a machine's reply into text in the conversation's language. */
  render(message: ReplyMessage, language: Language): Omit<OutboundMessage, 'menuId'>;
  /** Language of the bot's phrases when the messenger does not say (settings `variables.language`). */
  defaultLanguage(): Language;
  /** Called after a step queued messages, so the outbox worker sends them now. */
  onOutbox?(): void;
  /** Called when a step scheduled a deadline, so the sweeper can wake sooner. */
  onTimersChanged?(): void;
  /** The longest a step may wait on Altegio before the client is told to try later. */
  stepTimeoutMs?: number;
  /**
   * Acts on what a machine emitted besides replies (a task, a message for the admin). Runs inside
   * the step's transaction, so it may only write to the store.
   */
  onIntents?(intents: ReadonlyArray<{ type: string }>, context: IntentContext): void;
  /** How many chats keep their conversation and active dialogue in memory. Default 10,000. */
  liveDialogues?: number;
  /**
   * How many started actors stay in memory between steps (see `live-actors.ts`), and after how
   * long without a step one leaves. Default 1,000 and 60 s.
   */
  liveActors?: { capacity?: number; idleMs?: number };
  /** For the XState inspector (`INSPECT=1`), with client data already redacted by the caller. */
  inspect?(event: InspectionEvent): void;
}

/** The chat is in the middle of a booking; an engine-started dialogue waits for it to end. */
export class DialogueBusyError extends Error {
  override readonly name = 'DialogueBusyError';
  constructor(readonly dialogueId: number) {
    super(`the client is in the middle of a booking (dialogue ${dialogueId}); trying again later`);
  }
}

export interface StartOptions {
  /** The Altegio record the dialogue is about (reminders, feedback). */
  recordId?: number;
  /** Stable for one planned message: starting again with the same key does nothing. */
  idempotencyKey?: string;
  /** Of the dialogue's first messages; a notification is `bulk`, its later replies interactive. */
  priority?: OutboxPriority;
}

/** Context of a machine's intent, for the engine to act on it in the step's transaction. */
export interface IntentContext {
  conversation: Conversation;
  dialogueId: number;
}

export interface DialogueRuntime {
  /** Handles a message in its chat's queue; resolves when it is processed (callers need not wait). */
  handleInbound(message: InboundMessage): Promise<void>;
  /**
   * Starts a dialogue the engine initiates (a reminder, a feedback request) in a chat. An active
   * dialogue there is ended first.
   */
  startDialogue(
    channel: Conversation['channel'],
    chatId: string,
    machineId: string,
    input: unknown,
    options?: StartOptions,
  ): Promise<void>;
  /** Delivers every deadline due now; returns how many were delivered. */
  fireDueTimers(): Promise<number>;
  /** Waits for every queued step to finish. */
  drain(): Promise<void>;
}

/** Telegram's `update_id`s increase; other platforms' ids are opaque strings. */
function numericUpdateId(message: InboundMessage): number | undefined {
  return message.updateId !== undefined && /^\d{1,15}$/.test(message.updateId)
    ? Number(message.updateId)
    : undefined;
}

/**
 * The dialogue runtime: routes each message to its conversation's dialogue, one chat at a time,
 * and keeps every dialogue in SQLite between messages.
 *
 * A step is: take the dialogue's actor if it is live, else hydrate it from its snapshot → send
 * the event → wait until no `busy` state is left (Altegio calls settle before anything is
 * persisted) → save snapshot, replies and deadline changes in one transaction → keep the actor
 * for the chat's next message, or stop it when the dialogue ended. Only dialogues talking right
 * now keep an actor (`live-actors.ts`): idle ones leave memory, and a crash can lose at most the
 * step in flight, never a reply of a step that was saved. Deadlines: see `timer-recorder.ts`.
 */
export function createDialogueRuntime(options: DialogueRuntimeOptions): DialogueRuntime {
  const { store, machines, clock, logger } = options;
  const queue = new KeyedQueue();
  const group = createGroupCommit((write) => store.transaction(write));
  const actors = createLiveActors({
    capacity: options.liveActors?.capacity ?? 1000,
    idleMs: options.liveActors?.idleMs ?? 60_000,
  });
  /**
   * The chats seen last, with their conversation and active dialogue as last saved: a message in
   * a chat that is talking now costs no read. Bounded, so dormant dialogues cost no memory; the
   * database stays the truth (a miss reads it, a failed step forgets the entry).
   */
  const live = new LruMap<string, { conversation: Conversation; active: Dialogue | undefined }>(
    options.liveDialogues ?? 10_000,
  );
  const chatKey = (conversation: Pick<Conversation, 'channel' | 'chatId'>) =>
    `${conversation.channel}:${conversation.chatId}`;

  /** The conversation as this message leaves it (the same values `rememberUpdate` writes). */
  function afterMessage(conversation: Conversation, inbound: InboundMessage | undefined): Conversation {
    const numeric = inbound ? numericUpdateId(inbound) : undefined;
    if (numeric === undefined) return conversation;
    return { ...conversation, lastUpdateId: Math.max(numeric, conversation.lastUpdateId ?? numeric) };
  }
  const stepTimeoutMs = options.stepTimeoutMs ?? 60_000;

  function languageOf(conversation: Conversation): Language {
    return asLanguage(conversation.language) ?? options.defaultLanguage();
  }

  /**
   * In the step's transaction: marks the update handled (so a redelivery is ignored) and keeps
   * what the message revealed about the chat (language, a shared phone).
   */
  function rememberUpdate(conversation: Conversation, inbound: InboundMessage | undefined): void {
    if (!inbound) return;
    const numeric = numericUpdateId(inbound);
    store.conversations.touch(conversation.id, {
      phone: conversation.phone,
      language: conversation.language,
      lastUpdateId: numeric ?? null,
    });
    // Ids that are not increasing numbers (WhatsApp message ids) go to the inbound ledger instead.
    if (inbound.updateId !== undefined && numeric === undefined) {
      store.inbound.recordIfNew(inbound.channel, inbound.updateId, undefined, clock.now());
      store.inbound.markProcessed(inbound.channel, inbound.updateId, clock.now());
    }
  }

  function seenBefore(conversation: Conversation | undefined, inbound: InboundMessage): boolean {
    if (inbound.updateId === undefined) return false;
    const numeric = numericUpdateId(inbound);
    if (numeric === undefined) return store.inbound.get(inbound.channel, inbound.updateId) !== undefined;
    return conversation?.lastUpdateId != null && numeric <= conversation.lastUpdateId;
  }

  function phraseMessage(key: string): ReplyMessage {
    return { text: { key } };
  }

  function outboxRows(
    conversation: Conversation,
    replies: readonly ReplyMessage[],
    keyBase: string,
    menuId: string | undefined,
    priority: OutboxPriority = 'interactive',
  ): NewOutboxMessage[] {
    const language = languageOf(conversation);
    return replies.map((reply, index) => ({
      channel: conversation.channel,
      recipient: conversation.chatId,
      payload: { ...options.render(reply, language), ...(menuId === undefined ? {} : { menuId }) },
      idempotencyKey: `${keyBase}:${index}`,
      priority,
    }));
  }

  /** Replies outside any dialogue (hints, "menu expired"). */
  async function replyDirectly(
    conversation: Conversation,
    key: string,
    keyBase: string,
    inbound?: InboundMessage,
  ): Promise<void> {
    await group.commit(() => {
      for (const row of outboxRows(conversation, [phraseMessage(key)], keyBase, undefined))
        store.outbox.enqueue(row);
      rememberUpdate(conversation, inbound);
    });
    // Rare paths (hints, failures, ended dialogues): the next message reads the chat afresh.
    live.delete(chatKey(conversation));
    options.onOutbox?.();
  }

  function pendingTimers(rows: ReadonlyArray<{ sendId: string; event: { type: string } }>): PendingTimer[] {
    return rows.map(({ sendId, event }) => ({ sendId, event }));
  }

  interface StepResult {
    snapshot: unknown;
    status: DialogueStatus;
    replies: ReplyMessage[];
    /** Everything else the machine emitted (tasks, messages for the admin). */
    intents: Array<{ type: string }>;
    timers: TimerChanges;
    /** The actor, still running, while the dialogue goes on; keep it once the step committed. */
    actor: AnyActorRef | undefined;
  }

  /** Where a step starts: a new dialogue's input, or a stored one (live actor or snapshot). */
  type StepStart =
    | { input: unknown }
    | {
        dialogueId: number;
        snapshot: unknown;
        /** Its pending deadlines, without the one being delivered; read only to hydrate. */
        timers: () => readonly PendingTimer[];
        /** The deadline this step delivers, if any. */
        firedSendId?: string;
      };

  /** Runs one step of an actor; resolves with what to persist, or undefined when it failed. */
  async function runStep(
    entry: MachineEntry,
    start: StepStart,
    event?: unknown,
  ): Promise<StepResult | undefined> {
    const stored = 'dialogueId' in start ? start : undefined;
    const kept = stored ? actors.take(stored.dialogueId) : undefined;
    const actor: AnyActorRef =
      kept ??
      createActor(entry.machine, {
        ...('dialogueId' in start ? { snapshot: start.snapshot as never } : { input: start.input }),
        clock: inertClock,
        ...(options.inspect ? { inspect: options.inspect } : {}),
      });
    // A new actor's deadlines are all new, including those its start schedules; a hydrated one
    // gets its stored deadlines back once started; a live one still holds them, less the one
    // delivered now, which leaves as it would have had XState fired it (see `timer-recorder.ts`).
    let timers = stored ? undefined : trackTimers(actor, []);
    if (kept && stored?.firedSendId !== undefined) actor.system.scheduler.cancel(actor, stored.firedSendId);
    const replies: ReplyMessage[] = [];
    const intents: Array<{ type: string }> = [];
    const emitted = actor.on('*', (emitted: { type: string; message?: ReplyMessage }) => {
      if (emitted.type === 'reply' && emitted.message) replies.push(emitted.message);
      else intents.push(emitted);
    });
    let failure: unknown;
    const errors = actor.subscribe({ error: (error: unknown) => (failure = error) });
    try {
      if (!kept) actor.start();
      if (stored) timers = trackTimers(actor, kept ? [] : stored.timers());
      if (event !== undefined) actor.send(event as never);
      const settled = (snapshot: AnyMachineSnapshot) =>
        snapshot.status !== 'active' || !snapshot.hasTag('busy');
      // Most steps settle synchronously; only a step waiting on Altegio needs the watcher and its timer.
      if (!settled(actor.getSnapshot())) await waitFor(actor, settled, { timeout: stepTimeoutMs });
    } catch (error) {
      failure ??= error;
    }
    emitted.unsubscribe();
    errors.unsubscribe();
    const snapshot = actor.getSnapshot();
    if (failure !== undefined || snapshot.status === 'error') {
      actor.stop();
      logger.error({ err: failure ?? snapshot.error, machine: entry.id }, 'dialogue step failed');
      return undefined;
    }
    const persisted = actor.getPersistedSnapshot();
    // Read before stopping: stopping an actor drops its delays.
    const changes = timers?.changes(clock.now()) ?? { cancel: [], schedule: [] };
    const status: DialogueStatus =
      snapshot.status === 'done' ? (snapshot.value === 'timedOut' ? 'expired' : 'done') : 'active';
    // Kept only at rest: a child still running (an invoke outside a `busy` state) could move the
    // actor on between steps, with no one listening and nothing saved.
    const keep = status === 'active' && Object.keys(snapshot.children).length === 0;
    if (!keep) actor.stop();
    return {
      snapshot: persisted,
      status,
      replies,
      intents,
      timers: changes,
      actor: keep ? actor : undefined,
    };
  }

  /**
   * Commits a step's writes; then keeps its actor for the next message. If the commit fails, the
   * actor is ahead of the store and is stopped: the next message hydrates the saved snapshot.
   */
  async function commitStep<T>(
    result: StepResult,
    conversation: Conversation,
    write: () => T,
    dialogueId: (written: T) => number,
  ): Promise<T> {
    let written: T;
    try {
      written = await group.commit(write);
    } catch (error) {
      result.actor?.stop();
      // What the chat's cache holds may share objects with that actor: read the store afresh.
      live.delete(chatKey(conversation));
      throw error;
    }
    if (result.actor) actors.keep(dialogueId(written), result.actor);
    return written;
  }

  /** Persists a step of an existing dialogue with its replies and deadline changes. */
  async function saveStep(
    dialogue: Dialogue,
    conversation: Conversation,
    result: StepResult,
    keyBase: string,
    extra: { firedTimerId?: number; inbound?: InboundMessage },
  ): Promise<void> {
    const { schedule, cancel } = result.timers;
    await commitStep(
      result,
      conversation,
      () => {
        options.onIntents?.(result.intents, { conversation, dialogueId: dialogue.id });
        store.saveDialogueStep({
          dialogueId: dialogue.id,
          snapshot: result.snapshot,
          status: result.status,
          messages: outboxRows(conversation, result.replies, keyBase, String(dialogue.id)),
          timers: {
            cancel,
            schedule,
            ...(extra.firedTimerId === undefined ? {} : { fired: [extra.firedTimerId] }),
          },
        });
        rememberUpdate(conversation, extra.inbound);
      },
      () => dialogue.id,
    );
    live.set(chatKey(conversation), {
      conversation: afterMessage(conversation, extra.inbound),
      active:
        result.status === 'active'
          ? { ...dialogue, snapshot: result.snapshot, status: 'active', updatedAt: clock.now() }
          : undefined,
    });
    if (result.replies.length > 0) options.onOutbox?.();
    if (schedule.length > 0) options.onTimersChanged?.();
  }

  /** Ends the conversation's active dialogue (if any) and starts a new one of `entry`. */
  async function begin(
    conversation: Conversation,
    entry: MachineEntry,
    input: unknown,
    keyBase: string,
    context: {
      stale: Dialogue | undefined;
      inbound?: InboundMessage;
      recordId?: number;
      priority?: OutboxPriority;
    },
  ): Promise<void> {
    const { stale, inbound, recordId } = context;
    const result = await runStep(entry, { input });
    if (!result) {
      await replyDirectly(conversation, 'common.tryLater', keyBase, inbound);
      return;
    }
    const { schedule } = result.timers;
    if (stale) actors.drop(stale.id);
    const created = await commitStep(
      result,
      conversation,
      () => {
        // The chat's queue runs one task at a time, so the active dialogue read before the step is
        // still the active one here.
        if (stale) {
          store.dialogues.setStatus(stale.id, 'ended');
          store.timers.deleteForDialogue(stale.id);
        }
        const dialogue = store.dialogues.create({
          conversationId: conversation.id,
          machineId: entry.id,
          machineVersion: entry.version,
          snapshot: result.snapshot,
          status: result.status,
          recordId: recordId ?? null,
        });
        options.onIntents?.(result.intents, { conversation, dialogueId: dialogue.id });
        store.saveDialogueStep({
          dialogueId: dialogue.id,
          status: result.status,
          messages: outboxRows(conversation, result.replies, keyBase, String(dialogue.id), context.priority),
          timers: { schedule },
        });
        rememberUpdate(conversation, inbound);
        return dialogue;
      },
      (dialogue) => dialogue.id,
    );
    live.set(chatKey(conversation), {
      conversation: afterMessage(conversation, inbound),
      active:
        result.status === 'active' ? { ...created, snapshot: result.snapshot, status: 'active' } : undefined,
    });
    options.onOutbox?.();
    if (schedule.length > 0) options.onTimersChanged?.();
  }

  /** Sends an event to a stored dialogue; ends it politely when its machine version is gone. */
  async function advance(
    dialogue: Dialogue,
    conversation: Conversation,
    event: unknown,
    keyBase: string,
    extra: {
      firedTimer?: { id: number; sendId: string };
      inbound?: InboundMessage;
      timers?: readonly PendingTimer[];
    },
  ): Promise<void> {
    const entry = machines[dialogue.machineId];
    if (!entry || entry.version !== dialogue.machineVersion) {
      actors.drop(dialogue.id);
      store.transaction(() => {
        store.dialogues.setStatus(dialogue.id, 'ended');
        store.timers.deleteForDialogue(dialogue.id);
      });
      live.delete(chatKey(conversation));
      logger.info(
        { dialogue: dialogue.id, machine: dialogue.machineId, version: dialogue.machineVersion },
        'ended a dialogue of an older machine version',
      );
      await replyDirectly(conversation, 'common.dialogueEndedByUpdate', keyBase, extra.inbound);
      return;
    }
    const timers = () => extra.timers ?? pendingTimers(store.timers.pendingForDialogue(dialogue.id));
    const result = await runStep(
      entry,
      {
        dialogueId: dialogue.id,
        snapshot: dialogue.snapshot,
        timers,
        ...(extra.firedTimer ? { firedSendId: extra.firedTimer.sendId } : {}),
      },
      event,
    );
    if (!result) live.delete(chatKey(conversation));
    const firedTimerId = extra.firedTimer?.id;
    if (!result && firedTimerId !== undefined) {
      // A deadline whose step failed (Altegio down) is tried again a minute later, not at once.
      const timer = store.timers.pendingForDialogue(dialogue.id).find((row) => row.id === firedTimerId);
      if (timer) {
        store.timers.schedule(dialogue.id, {
          sendId: timer.sendId,
          event: timer.event,
          dueAt: clock.now() + 60_000,
        });
      }
      return;
    }
    if (!result) {
      await replyDirectly(conversation, 'common.tryLater', keyBase, extra.inbound);
      return;
    }
    await saveStep(dialogue, conversation, result, keyBase, {
      ...(firedTimerId === undefined ? {} : { firedTimerId }),
      ...(extra.inbound ? { inbound: extra.inbound } : {}),
    });
  }

  async function processInbound(message: InboundMessage): Promise<void> {
    const cached = live.get(chatKey(message));
    const stored = cached?.conversation ?? store.conversations.byChat(message.channel, message.chatId);
    if (seenBefore(stored, message)) {
      logger.debug({ channel: message.channel, updateId: message.updateId }, 'duplicate update ignored');
      return;
    }
    const language = asLanguage(message.languageCode);
    const event = message.event;
    const phone = event.type === 'user.contact' ? event.phone : undefined;
    // What this message tells about the chat is written with the step (`rememberUpdate`).
    // A new chat's row joins the next group commit rather than costing a commit of its own.
    const known =
      stored ?? (await group.commit(() => store.conversations.upsert(message.channel, message.chatId)));
    const conversation: Conversation = {
      ...known,
      language: language ?? known.language,
      phone: phone ?? known.phone,
    };
    const keyBase = `${message.channel}:${message.chatId}:${message.updateId ?? randomUUID()}`;
    // A chat seen for the first time has no dialogue yet (its queue runs one task at a time).
    const active = cached ? cached.active : stored ? store.dialogues.getActive(conversation.id) : undefined;

    if (event.type === 'user.command' && (event.name === 'start' || event.name === 'book')) {
      const entry = machines[options.bookingMachineId];
      if (!entry?.input) throw new Error(`no machine registered as "${options.bookingMachineId}"`);
      const input = entry.input({
        conversation,
        language: languageOf(conversation),
        dialogueKey: randomUUID(),
        ...(message.displayName ? { displayName: message.displayName } : {}),
      });
      await begin(conversation, entry, input, keyBase, { stale: active, inbound: message });
      return;
    }
    if (!active) {
      const key = event.type === 'user.choice' ? 'common.menuExpired' : 'common.noActiveDialogue';
      await replyDirectly(conversation, key, keyBase, message);
      return;
    }
    if (
      event.type === 'user.choice' &&
      message.menuId !== undefined &&
      message.menuId !== String(active.id)
    ) {
      await replyDirectly(conversation, 'common.menuExpired', keyBase, message);
      return;
    }
    await advance(active, conversation, event satisfies UserEvent, keyBase, {
      inbound: message,
    });
  }

  async function fireTimer(timerId: number, dialogueId: number, event: unknown): Promise<void> {
    const dialogue = store.dialogues.get(dialogueId);
    const conversation = dialogue ? store.conversations.get(dialogue.conversationId) : undefined;
    if (!dialogue || !conversation || dialogue.status !== 'active') {
      store.timers.markFired(timerId, clock.now());
      return;
    }
    // Re-read under the chat's queue: a message handled meanwhile may have cancelled it, or moved
    // it later (re-entering a state keeps the row and its id).
    const rows = store.timers.pendingForDialogue(dialogueId);
    const timer = rows.find((row) => row.id === timerId && row.dueAt <= clock.now());
    if (!timer) return;
    await advance(dialogue, conversation, event, `timer:${timerId}`, {
      firedTimer: { id: timerId, sendId: timer.sendId },
      // The deadline being delivered is no longer pending: the step marks it fired.
      timers: pendingTimers(rows.filter((row) => row.id !== timerId)),
    });
  }

  return {
    handleInbound(message) {
      return queue.run(`${message.channel}:${message.chatId}`, () => processInbound(message));
    },
    startDialogue(channel, chatId, machineId, input, start = {}) {
      return queue.run(`${channel}:${chatId}`, async () => {
        const entry = machines[machineId];
        if (!entry) throw new Error(`no machine registered as "${machineId}"`);
        const conversation = store.conversations.upsert(channel, chatId);
        const active = store.dialogues.getActive(conversation.id);
        // A reminder must not cut a client's booking short: the job tries again later.
        if (active && active.machineId === options.bookingMachineId) throw new DialogueBusyError(active.id);
        const keyBase = start.idempotencyKey ?? `start:${machineId}:${channel}:${chatId}:${randomUUID()}`;
        // A job repeated after a crash must not send the same reminder twice.
        if (start.idempotencyKey && store.outbox.byIdempotencyKey(`${keyBase}:0`)) return;
        await begin(conversation, entry, input, keyBase, {
          stale: active,
          ...(start.recordId === undefined ? {} : { recordId: start.recordId }),
          ...(start.priority === undefined ? {} : { priority: start.priority }),
        });
      });
    },
    async fireDueTimers() {
      const due = store.timers.due(clock.now());
      await Promise.all(
        due.map((timer) => {
          const dialogue = store.dialogues.get(timer.dialogueId);
          const conversation = dialogue ? store.conversations.get(dialogue.conversationId) : undefined;
          const key = conversation
            ? `${conversation.channel}:${conversation.chatId}`
            : `dialogue:${timer.dialogueId}`;
          return queue.run(key, () => fireTimer(timer.id, timer.dialogueId, timer.event));
        }),
      );
      return due.length;
    },
    drain: () => queue.drain(),
  };
}
