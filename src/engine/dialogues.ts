/**
 * The `dialogues` part: the dialogue runtime with its deadline sweeper, the outbox worker that
 * sends what the steps queue, and how a client sees a wait for the Altegio budget. On stop it
 * drains the steps in flight (the channels have already stopped taking messages).
 *
 * @module
 */
import type { CachedAltegioApi } from '../altegio/cache.js';
import type { InboundMessage } from '../channels/channel.js';
import { createDispatcher, type DispatcherOptions } from '../channels/dispatcher.js';
import {
  createOutboxWorker,
  type LeaseOwnership,
  type OutboxItem,
  type OutboxWorker,
  type OutboxWorkerOptions,
} from '../channels/outbox-worker.js';
import { storeBookingAttempts } from '../dialogues/booking-attempts.js';
import { createAltegioBookingPort } from '../dialogues/booking-port.js';
import { createBusyNotice } from '../dialogues/busy-notice.js';
import { createStoreFeedbackPort } from '../dialogues/feedback-port.js';
import { type RunningInspector, startInspector } from '../dialogues/inspector.js';
import { createDialogueKinds } from '../dialogues/machines.js';
import type { Language } from '../dialogues/registry.js';
import { createAltegioReminderPort } from '../dialogues/reminder-port.js';
import {
  createDialogueRuntime,
  type DialogueRuntime,
  type DialogueRuntimeOptions,
} from '../dialogues/runtime.js';
import type { DialogueStore } from '../dialogues/store-port.js';
import { createSweeper, type Sweeper } from '../dialogues/sweeper.js';
import { createWaitFeedback, inChat, type WaitFeedbackOptions } from '../dialogues/waiting.js';
import type { Clock } from '../domain/clock.js';
import type { Settings } from '../domain/settings.js';
import type { Logger } from '../log.js';
import type { VisitWrites } from '../notify/visit-writes.js';
import { createDeadlineWorker, type DeadlineTriggers } from '../queue/deadline-triggers.js';
import type { OutboxTriggers } from '../queue/outbox-triggers.js';
import type { Store } from '../store/index.js';
import { renderReply } from '../templates/render-reply.js';
import type { ChannelsPart } from './channels.js';
import type { EngineErrorHandler } from './errors.js';
import type { Part } from './lifecycle.js';

export interface DialoguesOptions {
  store: Store;
  /** The runtime's store, on the same database as `store`. */
  dialogueStore: DialogueStore;
  altegio: CachedAltegioApi;
  settings(): Settings;
  channels: ChannelsPart;
  clock: Clock;
  logger: Logger;
  onError: EngineErrorHandler;
  languageFor(code: string | undefined): Language;
  /** The branches this engine books in (all of the sandbox's in sandbox mode). */
  serveAllBranches: boolean;
  visitWrites(): VisitWrites;
  /** A message refused as unreachable: a notification it carried takes the next channel. */
  onRefused: NonNullable<OutboxWorkerOptions['onRefused']>;
  onIntents: NonNullable<DialogueRuntimeOptions['onIntents']>;
  /** `INSPECT=1`: the XState inspector's port on loopback. */
  inspectorPort: number | undefined;
  waitFeedback?: Pick<WaitFeedbackOptions, 'typingEveryMs' | 'longWaitMs'> | undefined;
  channelLimits?: DispatcherOptions<OutboxItem>['limits'] | undefined;
  /** Where processes share the database: whose outbox leases this process holds. */
  leases?: LeaseOwnership | undefined;
  /** On Postgres: pg-boss delivers the deadlines (`queue/deadline-triggers.ts`) instead of a sweeper. */
  deadlineTriggers?: DeadlineTriggers | undefined;
  /** On Postgres: pg-boss says when a chat has messages to send (`queue/outbox-triggers.ts`). */
  outboxTriggers?: OutboxTriggers | undefined;
}

export interface DialoguesPart extends Part {
  readonly outbox: OutboxWorker;
  /** Delivers due deadlines: the table's sweeper, or on Postgres the pg-boss worker. */
  readonly sweeper: Sweeper;
  /** Available once started. */
  readonly runtime: DialogueRuntime;
  readonly inspector: RunningInspector | undefined;
  /** Hands a client's message to its dialogue; settles once handled (a failure goes to the error hook). */
  onInbound(message: InboundMessage): Promise<void>;
}

export function createDialoguesPart(options: DialoguesOptions): DialoguesPart {
  const { store, altegio, clock, logger, channels, onError } = options;
  const outbox = createOutboxWorker({
    outbox: store.outbox,
    leases: options.leases,
    triggers: options.outboxTriggers,
    conversations: store.conversations,
    dispatcher: () =>
      createDispatcher<OutboxItem>({
        channels: channels.channels,
        logger,
        limits: {
          ...(channels.whatsapp ? { whatsapp: channels.whatsapp.limits } : {}),
          ...options.channelLimits,
        },
        onSent: (item) => outbox.sent(item),
        onFailed: (item, error) => outbox.failed(item, error),
      }),
    onRefused: options.onRefused,
    isRunning: channels.isRunning,
    clock,
    logger,
    onError: (error) => onError({ part: 'outbox', error, during: 'moving outbox rows to the dispatcher' }),
  });
  // A client whose step waits for the Altegio budget sees "typing…", and in words when it is long.
  const waiting = createWaitFeedback({
    ...options.waitFeedback,
    typing: (chat) => channels.channels[chat.channel]?.typing?.(chat.chatId),
    tellBusy: createBusyNotice({
      outbox: store.outbox,
      clock,
      languageFor: options.languageFor,
      onOutbox: () => outbox.wake(),
    }),
  });
  let runtime: DialogueRuntime | undefined;
  let inspector: RunningInspector | undefined;
  const onSweepError = (error: unknown) =>
    onError({ part: 'sweeper', error, during: 'delivering due deadlines' });
  const sweeper = options.deadlineTriggers
    ? createDeadlineWorker({
        triggers: options.deadlineTriggers,
        runtime: () => part.runtime,
        dialogueStore: options.dialogueStore,
        clock,
        logger,
        onError: onSweepError,
      })
    : createSweeper({
        timers: store.timers,
        fire: () => part.runtime.fireDueTimers(),
        clock,
        logger,
        onError: onSweepError,
      });

  const part: DialoguesPart = {
    name: 'dialogues',
    outbox,
    sweeper,
    get runtime() {
      if (!runtime) throw new Error('the dialogues part has not started');
      return runtime;
    },
    get inspector() {
      return inspector;
    },
    onInbound(message) {
      const chat = { channel: message.channel, chatId: message.chatId, languageCode: message.languageCode };
      return inChat(chat, () => part.runtime.handleInbound(message)).catch((error: unknown) => {
        onError({ part: 'dialogues', error, during: 'handling a message', chat });
      });
    },
    async start() {
      if (options.inspectorPort !== undefined)
        inspector = await startInspector(logger, options.inspectorPort);
      try {
        const onQueued = waiting.onQueued;
        const branchSource = {
          altegio,
          settings: options.settings,
          serveAllBranches: options.serveAllBranches,
        };
        runtime = createDialogueRuntime({
          store: options.dialogueStore,
          kinds: createDialogueKinds({
            settings: options.settings,
            booking: createAltegioBookingPort({
              ...branchSource,
              logger,
              onQueued,
              attempts: storeBookingAttempts(store, logger),
            }),
            reminder: createAltegioReminderPort(altegio, clock, options.visitWrites(), { onQueued }),
            feedback: createStoreFeedbackPort(store),
          }),
          clock,
          logger: logger.child({ component: 'dialogues' }),
          render: (message, language) => renderReply(message, language),
          defaultLanguage: () => options.settings().variables.language,
          onOutbox: () => outbox.wake(),
          onTimersChanged: () => sweeper.wake(),
          onIntents: options.onIntents,
          ...(inspector ? { inspect: inspector.inspect } : {}),
        });
      } catch (error) {
        // A part that fails to start releases what it holds; the lifecycle stops only started parts.
        await inspector?.stop();
        throw error;
      }
    },
    async stop() {
      await runtime?.drain();
      await inspector?.stop();
      waiting.stop();
    },
  };
  return part;
}
