import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { createCachedAltegio } from './altegio/cache.js';
import { createAltegioClient } from './altegio/client.js';
import { createRateLimiter, type RateLimiter } from './altegio/rate-limiter.js';
import {
  DEFAULT_PARTNER_TOKEN,
  DEFAULT_USER_TOKEN,
  type Sandbox,
  startSandbox,
} from './altegio/sandbox/index.js';
import type { ChannelAdapter, InboundMessage } from './channels/channel.js';
import { type ConsoleChannel, type ConsoleChatOptions, createConsoleChannel } from './channels/console.js';
import { createDispatcher, type DispatcherOptions } from './channels/dispatcher.js';
import { createOutboxWorker, type OutboxItem } from './channels/outbox-worker.js';
import { telegramFromEnv } from './channels/telegram-setup.js';
import { createWhatsAppChannel, type WhatsAppChannel, type WhatsAppClientLike } from './channels/whatsapp.js';
import { type Env, parseEnv } from './config/env.js';
import { loadSettingsFile } from './config/settings-file.js';
import { createSettingsHolder } from './config/settings-holder.js';
import { registerConsole } from './console/index.js';
import {
  createPlayground,
  PLAYGROUND_NAV,
  type Playground,
  type PlaygroundOptions,
} from './console/playground/index.js';
import { createAltegioBookingPort, servedBranchIds } from './dialogues/booking-port.js';
import { createStoreFeedbackPort } from './dialogues/feedback-port.js';
import { startInspector } from './dialogues/inspector.js';
import {
  createDialogueKinds,
  FEEDBACK,
  type FeedbackData,
  REMINDER,
  type ReminderData,
} from './dialogues/machines.js';
import type { Language } from './dialogues/registry.js';
import { createAltegioReminderPort } from './dialogues/reminder-port.js';
import { createDialogueRuntime } from './dialogues/runtime.js';
import { createSweeper } from './dialogues/sweeper.js';
import { createWaitFeedback, inChat, type WaitFeedbackOptions } from './dialogues/waiting.js';
import type { ChatChannel } from './domain/channels.js';
import { type Clock, systemClock } from './domain/clock.js';
import { asLanguage, type Settings } from './domain/settings.js';
import { registerAdminApi } from './http/admin-api.js';
import { registerAltegioWebhook } from './http/altegio-webhook.js';
import { registerHealthRoutes } from './http/health.js';
import { createHttpServer } from './http/server.js';
import { registerTelegramWebhook } from './http/telegram-webhook.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { createAdminMessenger } from './notify/admin.js';
import { createIngest, replayUnprocessedWebhooks } from './notify/ingest.js';
import { createIntentHandler } from './notify/intents.js';
import { createPlanner } from './notify/planner.js';
import { createReconciler } from './notify/reconcile.js';
import { renderTemplate } from './notify/render.js';
import { createVisitWrites } from './notify/visit-writes.js';
import { createNotificationWorker } from './notify/worker.js';
import { reportUnconfigured } from './startup-report.js';
import { startCheckpointer } from './store/checkpointer.js';
import { createSqliteDialogueStore } from './store/dialogue-store.js';
import { createStore, migrateDatabase, openDatabase, type Store } from './store/index.js';
import { botT } from './templates/i18n.js';
import { renderReply } from './templates/render-reply.js';
import { VERSION } from './version.js';

/** Where `--inspect` serves the XState inspector (loopback), linked from the console. */
const INSPECTOR_PORT = 8080;

/** What can be injected when the engine is embedded or tested. Everything is optional. */
export interface EngineOptions {
  /** Environment variables to read instead of `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Overrides of single environment-derived values, for embedding without touching env. */
  databasePath?: string;
  settingsFile?: string;
  host?: string;
  /** 0 picks a free port; `start()` answers the real one. */
  port?: number;
  altegioApiUrl?: string;
  clock?: Clock;
  logger?: Logger;
  /**
   * A whatsapp-web.js-compatible client (events, `sendMessage`). Given, WhatsApp runs on it
   * whatever `WHATSAPP_ENABLED` says; tests pass a fake, embedders a client they manage.
   */
  whatsappClient?: WhatsAppClientLike;
  /**
   * The console chat (`altegio-bot chat`): one client typing on `input` and reading replies on
   * `output`, as channel `console`. Absent, there is no console channel.
   */
  consoleChat?: ConsoleChatOptions;
  /**
   * The Altegio call budget shared by everything the engine does. Default: Altegio's published
   * limits with a safety margin (`ALTEGIO_BUDGET`); tests and benchmarks pass their own to watch it.
   */
  altegioLimiter?: RateLimiter;
  /** How waiting for that budget is shown to a client (see `dialogues/waiting.ts`). */
  waitFeedback?: Pick<WaitFeedbackOptions, 'typingEveryMs' | 'longWaitMs'>;
  /** Pacing per channel (defaults keep to Telegram's and WhatsApp's limits); tests may loosen it. */
  channelLimits?: DispatcherOptions<OutboxItem>['limits'];
  /** The playground's waits (sandbox mode); tests shorten them. */
  playground?: PlaygroundOptions;
  /** Between reconcile syncs of the served branches' records (default 5 minutes). */
  reconcileIntervalMs?: number;
}

export interface EngineInfo {
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3000`. */
  url: string;
  mode: 'sandbox' | 'live';
  /** In sandbox mode, the base URL of the embedded fake Altegio (also its `/__sandbox` controls). */
  sandboxUrl?: string;
}

export interface Engine {
  start(): Promise<EngineInfo>;
  /** Stops taking work, finishes what is in flight, closes the database. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The composition root: reads configuration, opens the store and wires the adapters. Nothing
 * happens until `start()`, so a caller can create an engine, inject parts and decide when to run.
 */
export function createEngine(options: EngineOptions = {}): Engine {
  const env: Env = parseEnv({
    ...(options.env ?? process.env),
    ...(options.databasePath === undefined ? {} : { DATABASE_PATH: options.databasePath }),
    ...(options.settingsFile === undefined ? {} : { SETTINGS_FILE: options.settingsFile }),
    ...(options.host === undefined ? {} : { HOST: options.host }),
    ...(options.port === undefined ? {} : { PORT: String(options.port) }),
    ...(options.altegioApiUrl === undefined ? {} : { ALTEGIO_API_URL: options.altegioApiUrl }),
  });
  const logger = options.logger ?? createLogger({ level: env.logLevel });
  const clock = options.clock ?? systemClock;
  const mode = env.sandboxMode ? 'sandbox' : 'live';
  let stopAll: (() => Promise<void>) | undefined;

  async function start(): Promise<EngineInfo> {
    if (stopAll) throw new Error('engine already started');
    const loaded = await loadSettingsFile(env.settingsFile, { explicit: env.settingsFileExplicit });
    if (!loaded.ok) throw loaded.error;
    const settings: Settings = loaded.settings;
    logger.info(
      { settingsFile: env.settingsFile },
      loaded.source === 'defaults' ? 'no settings file found, using defaults' : 'settings loaded',
    );

    const store: Store = createStore(env.databasePath, { clock });
    logger.info(
      { database: env.databasePath, applied: store.migrationsApplied },
      store.migrationsApplied > 0
        ? `applied ${store.migrationsApplied} database migration(s)`
        : 'database schema up to date',
    );

    // Everything started is stopped in reverse order: inbound first, the database last.
    const cleanup: Array<() => Promise<void> | void> = [() => store.close()];
    const closeAll = async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    };
    try {
      if (!store.sqlite.memory) {
        const checkpointer = startCheckpointer(store.sqlite, {
          onProblem: (problem) => logger.warn(problem),
        });
        cleanup.push(() => checkpointer.stop());
      }
      const info = await wire(store, settings, cleanup);
      stopAll = closeAll;
      return info;
    } catch (error) {
      await closeAll();
      throw error;
    }
  }

  async function wire(
    store: Store,
    settings: Settings,
    cleanup: Array<() => Promise<void> | void>,
  ): Promise<EngineInfo> {
    const metrics = createMetrics();
    const holder = createSettingsHolder(settings, env.settingsFile);
    const currentSettings = holder.get;

    // Sandbox mode: a fake salon in this process answers every Altegio call.
    let sandbox: Sandbox | undefined;
    if (env.sandboxMode) {
      const started = await startSandbox({ logger: logger.child({ component: 'sandbox' }) });
      sandbox = started;
      cleanup.push(() => started.stop());
    }
    // One budget for every Altegio call of this process: Altegio counts per IP.
    const budget = options.altegioLimiter ?? createRateLimiter();
    metrics.watchBudget(() => budget.stats());
    const altegio = createCachedAltegio(
      createAltegioClient({
        baseUrl: sandbox?.url ?? env.altegioApiUrl,
        partnerToken: sandbox ? DEFAULT_PARTNER_TOKEN : (env.altegioPartnerToken ?? ''),
        userToken: sandbox ? DEFAULT_USER_TOKEN : env.altegioUserToken,
        logger: logger.child({ component: 'altegio' }),
        limiter: budget,
        onResponse: (info) =>
          metrics.altegioCalls.inc({
            endpoint: info.endpoint,
            method: info.method,
            status: String(info.status),
          }),
      }),
    );
    // In sandbox mode nobody configures the webhook secret, so the engine makes one.
    const webhookSecret = env.webhookSecret ?? (sandbox ? randomBytes(12).toString('hex') : undefined);

    // Channels.
    const channels: Partial<Record<ChatChannel, ChannelAdapter>> = {};
    const languageFor = (code: string | undefined): Language =>
      asLanguage(code) ?? currentSettings().variables.language;
    const telegram = telegramFromEnv(env, logger, languageFor);
    if (telegram) channels.telegram = telegram;
    let whatsapp: WhatsAppChannel | undefined;
    if (options.whatsappClient || env.whatsappEnabled) {
      whatsapp = createWhatsAppChannel({
        logger,
        dataPath: dirname(env.databasePath),
        ...(env.chromiumPath ? { chromiumPath: env.chromiumPath } : {}),
        ...(options.whatsappClient ? { client: options.whatsappClient } : {}),
        phrases: { menuHint: () => botT(currentSettings().variables.language)('common.menuHint') },
      });
      channels.whatsapp = whatsapp;
    }
    let consoleChannel: ConsoleChannel | undefined;
    if (options.consoleChat) {
      consoleChannel = createConsoleChannel({
        ...options.consoleChat,
        logger,
        phrases: {
          menuHint: (code) => botT(languageFor(code))('common.menuHint'),
          contactHint: (code) => botT(languageFor(code))('common.typePhoneHint'),
        },
      });
      channels.console = consoleChannel;
    }
    // Sandbox mode: the playground page's chats are the `web` channel.
    const playground: Playground | undefined = sandbox
      ? createPlayground({
          ...options.playground,
          control: sandbox.control,
          altegio,
          branchIds: () => servedBranchIds(branchSource),
          settings: currentSettings,
          store,
          clock,
          logger,
          menuHint: (code) => botT(languageFor(code))('common.menuHint'),
          wakeNotifications: () => notifications.wake(),
        })
      : undefined;
    if (playground) channels.web = playground.channel;
    const isRunning = (name: ChatChannel) => channels[name]?.isRunning() ?? false;

    // Dialogues, their deadlines and their outgoing messages.
    const outboxWorker = createOutboxWorker({
      outbox: store.outbox,
      conversations: store.conversations,
      dispatcher: () =>
        createDispatcher<OutboxItem>({
          channels,
          logger,
          limits: {
            ...(whatsapp ? { whatsapp: whatsapp.limits } : {}),
            ...options.channelLimits,
          },
          onSent: (item) => outboxWorker.sent(item),
          onFailed: (item, error) => outboxWorker.failed(item, error),
        }),
      isRunning,
      clock,
      logger,
    });
    // A client whose step waits for the Altegio budget sees "typing…", and in words when it is long.
    const waiting = createWaitFeedback({
      ...options.waitFeedback,
      typing: (chat) => channels[chat.channel]?.typing?.(chat.chatId),
      tellBusy: (chat) => {
        store.outbox.enqueue({
          channel: chat.channel,
          recipient: chat.chatId,
          payload: { text: botT(languageFor(chat.languageCode))('common.busyInLine') },
          idempotencyKey: `busy:${chat.channel}:${chat.chatId}:${clock.now()}`,
        });
        outboxWorker.wake();
      },
    });
    cleanup.push(() => waiting.stop());
    const onQueued = waiting.onQueued;
    const branchSource = { altegio, settings: currentSettings, serveAllBranches: sandbox !== undefined };
    const tellAdmin = createAdminMessenger({ store, settings: currentSettings, isRunning, logger });
    // Confirm/Cancel: acknowledged at once, written to Altegio from the jobs table.
    const visitWrites = createVisitWrites({
      store,
      // After a client's booking steps, before notifications, in the Altegio budget.
      altegio: altegio.withPriority('write'),
      settings: currentSettings,
      clock,
      logger: logger.child({ component: 'notify' }),
      isRunning,
      tellAdmin,
      onQueued: () => notifications.wake(),
      onOutbox: () => outboxWorker.wake(),
    });
    const inspector = env.inspect ? await startInspector(logger, INSPECTOR_PORT) : undefined;
    if (inspector) cleanup.push(() => inspector.stop());
    const runtime = createDialogueRuntime({
      store: createSqliteDialogueStore(store, { clock }),
      kinds: createDialogueKinds({
        settings: currentSettings,
        booking: createAltegioBookingPort({ ...branchSource, logger, onQueued }),
        reminder: createAltegioReminderPort(altegio, clock, visitWrites, { onQueued }),
        feedback: createStoreFeedbackPort(store),
      }),
      clock,
      logger: logger.child({ component: 'dialogues' }),
      render: (message, language) => renderReply(message, language),
      defaultLanguage: () => currentSettings().variables.language,
      onOutbox: () => outboxWorker.wake(),
      onTimersChanged: () => sweeper.wake(),
      onIntents: createIntentHandler({
        store,
        tellAdmin,
        language: () => currentSettings().variables.language,
      }),
      ...(inspector ? { inspect: inspector.inspect } : {}),
    });
    const sweeper = createSweeper({
      timers: store.timers,
      fire: () => runtime.fireDueTimers(),
      clock,
      logger,
    });

    // Notifications: webhooks plan jobs, due jobs send notices and start reminder dialogues.
    const notifications = createNotificationWorker({
      store,
      settings: currentSettings,
      altegio: altegio.withPriority('notify'),
      clock,
      logger: logger.child({ component: 'notify' }),
      isRunning,
      render: renderTemplate,
      startReminder: ({ channel, chatId, text, record, issuedAt, idempotencyKey }) =>
        runtime.startDialogue(channel, chatId, REMINDER, { text, record, issuedAt } satisfies ReminderData, {
          recordId: record.id,
          idempotencyKey,
          priority: 'bulk',
        }),
      startFeedback: ({ channel, chatId, text, record, idempotencyKey }) =>
        runtime.startDialogue(channel, chatId, FEEDBACK, { text, record } satisfies FeedbackData, {
          recordId: record.id,
          idempotencyKey,
          priority: 'bulk',
        }),
      branchIds: () => servedBranchIds(branchSource),
      onOutbox: () => outboxWorker.wake(),
      visitWrites,
    });
    const ingest = createIngest({
      store,
      altegio,
      logger: logger.child({ component: 'ingest' }),
      plan: createPlanner({ store, settings: currentSettings, clock, logger, tellAdmin }),
      onPlanned: () => {
        notifications.wake();
        playground?.controls.onPlanned();
      },
    });
    const reconciler = createReconciler({
      store,
      altegio,
      ingest,
      branchIds: () => servedBranchIds(branchSource),
      clock,
      logger: logger.child({ component: 'reconcile' }),
      ...(options.reconcileIntervalMs ? { intervalMs: options.reconcileIntervalMs } : {}),
    });

    // HTTP.
    const app = createHttpServer({ logger, metrics });
    cleanup.push(() => app.close());
    registerHealthRoutes(
      app,
      {
        version: VERSION,
        mode,
        startedAt: clock.now(),
        now: () => clock.now(),
        channels,
        sync: reconciler.status,
      },
      metrics,
    );
    registerAltegioWebhook(app, { secret: webhookSecret, inbound: store.inbound, metrics, onEvent: ingest });
    if (telegram?.webhookCallback) registerTelegramWebhook(app, telegram.webhookCallback);
    registerAdminApi(app, { token: env.adminToken, store, settings: holder, clock });
    const consoleAccess = registerConsole(app, {
      token: env.adminToken,
      settings: holder,
      store,
      clock,
      altegio: { altegio, servedBranchIds: () => servedBranchIds(branchSource) },
      inspectorUrl: inspector ? `http://localhost:${INSPECTOR_PORT}` : undefined,
      // In sandbox mode `/` is the playground's, and the sidebar links to it.
      serveRoot: playground === undefined,
      extraNav: playground ? [PLAYGROUND_NAV] : [],
    });
    playground?.register(app, { adminToken: env.adminToken, isSignedIn: consoleAccess.isSignedIn });
    await app.listen({ host: env.host, port: env.port }).catch((error: unknown) => {
      throw new Error(
        `cannot listen on ${env.host}:${env.port}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    const url = `http://${env.host}:${(app.server.address() as AddressInfo).port}`;
    logger.info({ url, mode, version: VERSION }, `altegio-bot ${VERSION} listening on ${url}`);
    if (env.adminToken)
      logger.info({ console: `${url}/` }, `web console: open ${url}/ and sign in with ADMIN_TOKEN`);
    if (sandbox) {
      sandbox.setWebhookUrl(`${url}/webhooks/altegio/${webhookSecret}`);
      logger.info(
        { sandbox: sandbox.url },
        `sandbox Altegio at ${sandbox.url} (salon state: ${sandbox.url}/__sandbox/state); its webhooks come back to this engine`,
      );
    }

    // Work starts last and stops first: channels before the outbox (a row for a channel not yet
    // running would wait), and on stop inbound ends before the steps in flight are drained.
    const onInbound = (message: InboundMessage) => {
      const chat = { channel: message.channel, chatId: message.chatId, languageCode: message.languageCode };
      inChat(chat, () => runtime.handleInbound(message)).catch((error: unknown) => {
        logger.error({ err: error, channel: message.channel }, 'handling a message failed');
      });
    };
    // Each part's stop is registered as soon as it has started, so a failed start still
    // releases what is running (in reverse order, inbound first).
    cleanup.push(() => runtime.drain());
    if (telegram) {
      const started = telegram;
      await started.start(onInbound);
      cleanup.push(() => started.stop());
      logger.info(env.telegramWebhookUrl ? 'Telegram: webhook mode' : 'Telegram: long polling');
    }
    // WhatsApp logs in in the background (a QR code on first start); until then it is skipped.
    if (whatsapp) {
      const started = whatsapp;
      await started.start(onInbound);
      cleanup.push(() => started.stop());
    }
    if (playground) {
      const started = playground.channel;
      await started.start(onInbound);
      cleanup.push(() => started.stop());
      logger.info(`playground: open ${url}/playground in a browser`);
    }
    if (consoleChannel) {
      const started = consoleChannel;
      await started.start(onInbound);
      cleanup.push(() => started.stop());
    }
    outboxWorker.start();
    await sweeper.start();
    notifications.start();
    // These stop before the channels (reverse order), so nothing is sent into a closed channel.
    cleanup.push(
      () => outboxWorker.stop(),
      () => sweeper.stop(),
      () => notifications.stop(),
    );
    reportUnconfigured(env, settings, logger, options.whatsappClient !== undefined);
    replayUnprocessedWebhooks(store, ingest, logger);
    // After the replay: what the ledger already holds is not fetched again as news.
    reconciler.start();
    cleanup.push(() => reconciler.stop());
    return { url, mode, ...(sandbox ? { sandboxUrl: sandbox.url } : {}) };
  }

  return {
    start,
    async stop() {
      const stop = stopAll;
      if (!stop) return;
      stopAll = undefined;
      logger.info('stopping');
      await stop();
      logger.info('stopped');
    },
  };
}

/** `altegio-bot migrate`: apply pending migrations and say what was done. */
export async function runMigrations(rawEnv: NodeJS.ProcessEnv): Promise<void> {
  const env = parseEnv(rawEnv);
  const logger = createLogger({ level: env.logLevel });
  const opened = openDatabase(env.databasePath);
  try {
    const applied = migrateDatabase(opened.db);
    logger.info(
      { database: env.databasePath, applied },
      applied > 0 ? `applied ${applied} migration(s)` : 'database schema up to date',
    );
  } finally {
    opened.close();
  }
}
