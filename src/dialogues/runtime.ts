import { randomUUID } from 'node:crypto';
import {
  type AnyActorRef,
  type AnyMachineSnapshot,
  createActor,
  type InspectionEvent,
  waitFor,
} from 'xstate';
import type { DialogueIntent, EmittedEvent, ReplyMessage, UserEvent } from '../../machines/shared/events.js';
import type { InboundMessage, OutboundMessage } from '../channels/channel.js';
import type { ChatChannel } from '../domain/channels.js';
import type { Clock } from '../domain/clock.js';
import { asLanguage } from '../domain/settings.js';
import type { Logger } from '../log.js';
import type { Conversation, Dialogue, DialogueStatus, OutboxPriority } from '../store/schema.js';
import { KeyedQueue } from './keyed-queue.js';
import { createLiveActors } from './live-actors.js';
import type { DialogueKind, DialogueKinds, Language } from './registry.js';
import {
  type Deadline,
  type DialogueChange,
  type DialogueStore,
  type DueDeadline,
  DuplicateUpdateError,
  menuIdOf,
  numericUpdateId,
  StaleDialogueError,
  type StepCommit,
  versionAfter,
} from './store-port.js';
import { inertClock, type PendingTimer, type TimerChanges, trackTimers } from './timer-recorder.js';

export interface DialogueRuntimeOptions {
  store: DialogueStore;
  /** Every kind of dialogue it runs (`machines.ts`). */
  kinds: DialogueKinds;
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
  /**
   * A step still waiting after this long (on Altegio calls queued behind the rate limit) is
   * logged; it goes on waiting, since waiting is never an error for the client. Default 60 s.
   */
  slowStepMs?: number;
  /**
   * Acts on what a machine emitted besides replies (a task, a message for the admin). Runs inside
   * the step's commit (its store calls join the commit's transaction), so it may only write to
   * the store.
   */
  onIntents?(intents: ReadonlyArray<DialogueIntent>, context: IntentContext): Promise<void>;
  /**
   * How many started actors stay in memory between steps (see `live-actors.ts`), and after how
   * long without a step one leaves. Default 1,000 and 60 s.
   */
  liveActors?: { capacity?: number; idleMs?: number };
  /** For the XState inspector (`INSPECT=1`), with client data already redacted by the caller. */
  inspect?(event: InspectionEvent): void;
}

/** The chat is in a dialogue that may not be interrupted; an engine-started one waits for it to end. */
export class DialogueBusyError extends Error {
  override readonly name = 'DialogueBusyError';
  constructor(readonly dialogueId: number) {
    super(`the client is in the middle of a dialogue (${dialogueId}); trying again later`);
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

/** Context of a machine's intent, for the engine to act on it in the step's commit. */
export interface IntentContext {
  conversation: Conversation;
  dialogueId: number;
}

export interface DialogueRuntime {
  /** Handles a message in its chat's queue; resolves when it is processed (callers need not wait). */
  handleInbound(message: InboundMessage): Promise<void>;
  /**
   * Starts a dialogue the engine initiates (a reminder, a feedback request) in a chat, its input
   * built by its kind from `data`. An active dialogue there is ended first, if it may be
   * interrupted; otherwise this rejects with {@link DialogueBusyError}.
   */
  startDialogue(
    channel: ChatChannel,
    chatId: string,
    kindId: string,
    data: unknown,
    options?: StartOptions,
  ): Promise<void>;
  /** Delivers every deadline due now; returns how many were delivered. */
  fireDueTimers(): Promise<number>;
  /**
   * Delivers one deadline found due elsewhere (a pg-boss job, on Postgres), in its chat's queue,
   * exactly as {@link fireDueTimers} delivers each: the chat is read afresh, and a deadline no
   * longer pending, not yet due or of a dialogue no longer active is left alone.
   */
  fireDeadline(due: DueDeadline): Promise<void>;
  /** Waits for every queued step to finish. */
  drain(): Promise<void>;
}

/**
 * How many times a task whose commit was refused as stale ({@link StaleDialogueError}) is redone
 * from a fresh read of its chat. Each refusal means another step of the chat committed, so more
 * than a few in a row would take a chat busier than any client makes it.
 */
const STALE_REDOS = 5;

/** What a step did, ready to commit. */
interface StepResult {
  snapshot: unknown;
  status: DialogueStatus;
  replies: ReplyMessage[];
  /** Everything else the machine emitted (tasks, messages for the admin). */
  intents: DialogueIntent[];
  timers: TimerChanges;
  /** The actor, still running, while the dialogue goes on; keep it once the step committed. */
  actor: AnyActorRef | undefined;
}

/** Where a step starts: a new dialogue's input, or a stored one (live actor, or its snapshot). */
type StepStart =
  | { input: unknown }
  | {
      snapshot: unknown;
      /** The actor kept from the dialogue's last step, if still in memory. */
      kept: AnyActorRef | undefined;
      /** Its pending deadlines, without the one being delivered; read only to hydrate. */
      timers: readonly PendingTimer[];
      /** The deadline this step delivers, if any. */
      firedSendId?: string;
    };

/** The chat a step runs in, the key of its replies, and the client's message it handles (if any). */
interface Turn {
  conversation: Conversation;
  messageKey: string;
  inbound?: InboundMessage;
  priority?: OutboxPriority;
}

/**
 * The dialogue runtime: routes each message to its conversation's dialogue, one chat at a time,
 * and keeps every dialogue in the store between messages. It knows kinds of dialogue only by
 * their declarations (`registry.ts`).
 *
 * A step is: take the dialogue's actor if it is live, else hydrate it from its snapshot → send
 * the event → wait until no `busy` state is left (Altegio calls settle before anything is
 * persisted, however long they queue) → render the replies → commit snapshot, replies and
 * deadline changes at once → keep the actor for the chat's next message, or stop it when the
 * dialogue ended. Only dialogues talking right now keep an actor (`live-actors.ts`): idle ones
 * leave memory, and a crash can lose at most the step in flight, never a reply of a step that
 * was saved. Deadlines: see `timer-recorder.ts`.
 */
export function createDialogueRuntime(options: DialogueRuntimeOptions): DialogueRuntime {
  const { store, kinds, clock, logger } = options;
  const queue = new KeyedQueue();
  const actors = createLiveActors({
    capacity: options.liveActors?.capacity ?? 1000,
    idleMs: options.liveActors?.idleMs ?? 60_000,
  });
  const slowStepMs = options.slowStepMs ?? 60_000;
  const startedBy = new Map<string, DialogueKind>();
  for (const kind of Object.values(kinds))
    for (const command of kind.startCommands) startedBy.set(command, kind);

  const languageOf = (conversation: Conversation): Language =>
    asLanguage(conversation.language) ?? options.defaultLanguage();
  const render = (conversation: Conversation, replies: readonly ReplyMessage[]) => {
    const language = languageOf(conversation);
    return replies.map((reply) => options.render(reply, language));
  };

  /** Commits a step and tells the workers; the commit's rejection is the caller's. */
  async function commit(step: StepCommit): Promise<number | undefined> {
    const id = await store.commit(step);
    if (step.messages.length > 0) options.onOutbox?.();
    if (step.dialogue && step.dialogue.schedule.length > 0) options.onTimersChanged?.();
    return id;
  }

  /** Replies outside any dialogue (hints, "menu expired", "try later"); `end` ends one first. */
  function replyDirectly(turn: Turn, key: string, end?: number): Promise<unknown> {
    const messages = render(turn.conversation, [{ text: { key } }]);
    return commit({ ...turn, ...(end === undefined ? {} : { end }), messages });
  }

  /** Runs one step of an actor; resolves with what to persist, or undefined when it failed. */
  async function runStep(
    kind: DialogueKind,
    start: StepStart,
    event?: unknown,
  ): Promise<StepResult | undefined> {
    const stored = 'snapshot' in start ? start : undefined;
    const kept = stored?.kept;
    const actor: AnyActorRef =
      kept ??
      createActor(kind.machine, {
        ...(stored ? { snapshot: stored.snapshot as never } : { input: (start as { input: unknown }).input }),
        clock: inertClock,
        ...(options.inspect ? { inspect: options.inspect } : {}),
      });
    // A new actor's deadlines are all new, including those its start schedules; a hydrated one
    // gets its stored deadlines back once started; a live one still holds them, less the one
    // delivered now, which leaves as it would have had XState fired it (see `timer-recorder.ts`).
    let timers = stored ? undefined : trackTimers(actor, []);
    if (kept && stored?.firedSendId !== undefined) actor.system.scheduler.cancel(actor, stored.firedSendId);
    const replies: ReplyMessage[] = [];
    const intents: DialogueIntent[] = [];
    // Every registered machine emits `EmittedEvent` (machines/shared/events.ts).
    const emitted = actor.on('*', (emitted: EmittedEvent) => {
      if (emitted.type === 'reply') replies.push(emitted.message);
      else intents.push(emitted);
    });
    let failure: unknown;
    const errors = actor.subscribe({ error: (error: unknown) => (failure = error) });
    try {
      if (!kept) actor.start();
      if (stored) timers = trackTimers(actor, kept ? [] : stored.timers);
      if (event !== undefined) actor.send(event as never);
      const settled = (snapshot: AnyMachineSnapshot) =>
        snapshot.status !== 'active' || !snapshot.hasTag('busy');
      // Most steps settle synchronously; only a step waiting on Altegio needs the watcher. It
      // waits as long as its calls queue: no deadline here turns waiting into an error.
      if (!settled(actor.getSnapshot())) {
        const slow = setTimeout(
          () => logger.warn({ machine: kind.id, waitedMs: slowStepMs }, 'a dialogue step is still waiting'),
          slowStepMs,
        );
        slow.unref();
        await waitFor(actor, settled).finally(() => clearTimeout(slow));
      }
    } catch (error) {
      failure ??= error;
    }
    emitted.unsubscribe();
    errors.unsubscribe();
    const snapshot = actor.getSnapshot();
    if (failure !== undefined || snapshot.status === 'error') {
      actor.stop();
      logger.error({ err: failure ?? snapshot.error, machine: kind.id }, 'dialogue step failed');
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
   * Commits a step of a dialogue (a new one when `dialogue` has `start`); then keeps its actor for
   * the next message. If the commit fails, the actor is ahead of the store and is stopped: the
   * next message hydrates the saved snapshot.
   */
  async function saveStep(
    turn: Turn,
    result: StepResult,
    dialogue: StepCommit['dialogue'] & object,
    end?: number,
  ): Promise<void> {
    const { conversation } = turn;
    const { intents } = result;
    let id: number | undefined;
    try {
      id = await commit({
        ...turn,
        ...(end === undefined ? {} : { end }),
        dialogue,
        // Rendered before the write: the commit holds only writes.
        messages: render(conversation, result.replies),
        ...(options.onIntents && intents.length > 0
          ? {
              alongside: async (dialogueId: number) =>
                options.onIntents?.(intents, { conversation, dialogueId }),
            }
          : {}),
      });
    } catch (error) {
      result.actor?.stop();
      throw error;
    }
    if (result.actor && id !== undefined) actors.keep(id, result.actor, versionAfter(dialogue));
  }

  const changeOf = (result: StepResult, fired?: number): DialogueChange => ({
    snapshot: result.snapshot,
    status: result.status,
    cancel: result.timers.cancel,
    schedule: result.timers.schedule,
    ...(fired === undefined ? {} : { fired }),
  });

  /** Ends the chat's active dialogue (`stale`, if any) and starts a new one of `kind`. */
  async function begin(turn: Turn, kind: DialogueKind, input: unknown, stale?: Dialogue, recordId?: number) {
    const result = await runStep(kind, { input });
    if (!result) {
      await replyDirectly(turn, 'common.tryLater');
      return;
    }
    if (stale) actors.drop(stale.id);
    const start = {
      machineId: kind.id,
      machineVersion: kind.version,
      ...(recordId === undefined ? {} : { recordId }),
    };
    // The chat's queue runs one task at a time, so the active dialogue read before the step is
    // still the active one when it commits.
    await saveStep(turn, result, { ...changeOf(result), start }, stale?.id);
  }

  /** Sends an event to a stored dialogue; ends it politely when its machine version is gone. */
  async function advance(
    turn: Turn,
    dialogue: Dialogue,
    event: unknown,
    delivering?: { fired: Deadline; timers: readonly PendingTimer[] },
  ): Promise<void> {
    const kind = kinds[dialogue.machineId];
    if (!kind || kind.version !== dialogue.machineVersion) {
      actors.drop(dialogue.id);
      await replyDirectly(turn, 'common.dialogueEndedByUpdate', dialogue.id);
      const { machineId: machine, machineVersion: version } = dialogue;
      logger.info(
        { dialogue: dialogue.id, machine, version },
        'ended a dialogue of an older machine version',
      );
      return;
    }
    const kept = actors.take(dialogue.id, dialogue.version);
    const timers = kept ? [] : (delivering?.timers ?? (await store.pendingDeadlines(dialogue.id)));
    const fired = delivering?.fired;
    const result = await runStep(
      kind,
      { snapshot: dialogue.snapshot, kept, timers, ...(fired ? { firedSendId: fired.sendId } : {}) },
      event,
    );
    if (!result && fired) {
      // A deadline whose step failed (Altegio down) is tried again a minute later, not at once.
      await store.retryDeadline(turn.conversation, fired.id, clock.now() + 60_000);
    } else if (!result) {
      await replyDirectly(turn, 'common.tryLater');
    } else {
      const step = { ...changeOf(result, fired?.id), id: dialogue.id, version: dialogue.version };
      await saveStep(turn, result, step);
    }
  }

  /**
   * Runs a chat's task, and again from a fresh read of the chat while its commit is refused as
   * stale: another process committed a step of the chat meanwhile, so the step is recomputed on
   * the state it left rather than overwriting it (the refused commit wrote nothing).
   */
  async function redoWhileStale(task: (redo: boolean) => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await task(attempt > 0);
      } catch (error) {
        if (!(error instanceof StaleDialogueError) || attempt >= STALE_REDOS) throw error;
        logger.info(
          { dialogue: error.dialogueId, attempt: attempt + 1 },
          'the chat moved on; redoing the step',
        );
      }
    }
  }

  /** Whether this message was handled already; `redo`: it was not when first checked. */
  async function handledAlready(
    conversation: Conversation,
    message: InboundMessage,
    messageKey: string,
    redo: boolean,
  ): Promise<boolean> {
    const { updateId } = message;
    if (updateId === undefined) return false;
    // Redoing: the chat's watermark may have passed this update because another process handled
    // a later one meanwhile, so only a reply queued under this update's key says it was handled.
    if (redo && numericUpdateId(updateId) !== undefined)
      return store.isDuplicate(conversation, { start: messageKey });
    return store.isDuplicate(conversation, { update: updateId });
  }

  async function processInbound(message: InboundMessage, redo = false): Promise<void> {
    const chat = await store.loadChat(message.channel, message.chatId);
    const { updateId, event } = message;
    const messageKey = `${message.channel}:${message.chatId}:${updateId ?? randomUUID()}`;
    const duplicate = await handledAlready(chat.conversation, message, messageKey, redo);
    if (duplicate) {
      logger.debug({ channel: message.channel, updateId }, 'duplicate update ignored');
      return;
    }
    // What this message tells about the chat is written with the step.
    const conversation: Conversation = {
      ...chat.conversation,
      language: asLanguage(message.languageCode) ?? chat.conversation.language,
      phone: (event.type === 'user.contact' ? event.phone : undefined) ?? chat.conversation.phone,
    };
    const turn: Turn = { conversation, messageKey, inbound: message };
    const { active } = chat;
    const kind = event.type === 'user.command' ? startedBy.get(event.name) : undefined;
    if (kind) {
      const input = kind.input({
        conversation,
        language: languageOf(conversation),
        dialogueKey: randomUUID(),
        data: undefined,
        ...(message.displayName ? { displayName: message.displayName } : {}),
      });
      await begin(turn, kind, input, active);
    } else if (!active) {
      await replyDirectly(
        turn,
        event.type === 'user.choice' ? 'common.menuExpired' : 'common.noActiveDialogue',
      );
    } else if (
      event.type === 'user.choice' &&
      message.menuId !== undefined &&
      message.menuId !== menuIdOf(active.id)
    ) {
      await replyDirectly(turn, 'common.menuExpired');
    } else {
      await advance(turn, active, event satisfies UserEvent);
    }
  }

  async function fireDeadline(due: DueDeadline): Promise<void> {
    // Re-read under the chat's queue: a message handled meanwhile may have ended the dialogue,
    // cancelled the deadline, or moved it later (re-entering a state keeps its row and id).
    const { conversation, active } = await store.loadChat(due.channel, due.chatId);
    if (active?.id !== due.dialogueId) return;
    const rows = await store.pendingDeadlines(due.dialogueId);
    const fired = rows.find((row) => row.id === due.id && row.dueAt <= clock.now());
    if (!fired) return;
    // The deadline being delivered is no longer pending: the step marks it fired.
    const timers = rows.filter((row) => row.id !== fired.id);
    await advance({ conversation, messageKey: `timer:${fired.id}` }, active, fired.event, { fired, timers });
  }

  function deliverInQueue(due: DueDeadline): Promise<void> {
    return queue.run(`${due.channel}:${due.chatId}`, () => redoWhileStale(() => fireDeadline(due)));
  }

  return {
    handleInbound(message) {
      return queue.run(`${message.channel}:${message.chatId}`, () =>
        redoWhileStale((redo) => processInbound(message, redo)).catch((error: unknown) => {
          // The same update reached another process too, and its step committed first.
          if (!(error instanceof DuplicateUpdateError)) throw error;
          logger.debug({ channel: message.channel, updateId: message.updateId }, 'duplicate update ignored');
        }),
      );
    },
    startDialogue(channel, chatId, kindId, data, start = {}) {
      return queue.run(`${channel}:${chatId}`, () =>
        redoWhileStale(async () => {
          const kind = kinds[kindId];
          if (!kind) throw new Error(`no dialogue kind "${kindId}"`);
          const { conversation, active } = await store.loadChat(channel, chatId);
          if (active && kinds[active.machineId]?.interruptible === false)
            throw new DialogueBusyError(active.id);
          const messageKey = start.idempotencyKey ?? `start:${kindId}:${channel}:${chatId}:${randomUUID()}`;
          // A job repeated after a crash must not send the same reminder twice.
          if (start.idempotencyKey && (await store.isDuplicate(conversation, { start: messageKey }))) return;
          const language = languageOf(conversation);
          const input = kind.input({ conversation, language, dialogueKey: randomUUID(), data });
          const priority = start.priority === undefined ? {} : { priority: start.priority };
          await begin({ conversation, messageKey, ...priority }, kind, input, active, start.recordId);
        }),
      );
    },
    async fireDueTimers() {
      const due = await store.dueDeadlines(clock.now());
      await Promise.all(due.map(deliverInQueue));
      return due.length;
    },
    fireDeadline: deliverInQueue,
    drain: () => queue.drain(),
  };
}
