import type pg from 'pg';
import type { Registry } from 'prom-client';
import { createPgRateLimiter } from './altegio/pg-budget.js';
import type { RateLimiter } from './altegio/rate-limiter.js';
import type { ConsoleChatOptions } from './channels/console.js';
import type { DispatcherOptions } from './channels/dispatcher.js';
import type { OutboxItem } from './channels/outbox-worker.js';
import { createUpdateJournal } from './channels/telegram-journal.js';
import type { WhatsAppClientLike } from './channels/whatsapp.js';
import { type Env, parseEnv } from './config/env.js';
import type { SettingsHolder } from './config/settings-holder.js';
import { createPlayground, type Playground, type PlaygroundOptions } from './console/playground/index.js';
import type { Language } from './dialogues/registry.js';
import type { WaitFeedbackOptions } from './dialogues/waiting.js';
import { type Clock, systemClock } from './domain/clock.js';
import { asLanguage } from './domain/settings.js';
import { createAltegioPart } from './engine/altegio.js';
import type { ChannelsPart } from './engine/channels.js';
import { createChannelsPart } from './engine/channels.js';
import { createDialoguesPart } from './engine/dialogues.js';
import {
  type EngineErrorContext,
  type EngineErrorHandler,
  guardErrorHandler,
  logEngineError,
} from './engine/errors.js';
import { createHttpPart, type HttpMount } from './engine/http.js';
import { createInstancesPart } from './engine/instances.js';
import { createLifecycle, type Lifecycle, part } from './engine/lifecycle.js';
import { createNotifications, type Notifications } from './engine/notifications.js';
import { createStorePart } from './engine/store.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { replayUnprocessedWebhooks } from './notify/ingest.js';
import { reportUnconfigured } from './startup-report.js';
import { migrateDatabase, openDatabase } from './store/index.js';
import { isPostgresStore, openPostgresStore } from './store/pg/index.js';
import type { InstanceRegistration } from './store/pg/instances.js';
import { redactDatabaseUrl } from './store/pg/url.js';
import type { Store } from './store/ports.js';
import { botT } from './templates/i18n.js';

export type { EngineErrorContext, EngineErrorHandler } from './engine/errors.js';

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
  /**
   * Every error no caller is left to handle (a worker's round, the deadline sweeper, a webhook
   * being processed, a chat message's step, a Telegram update or the polling loop), with the part
   * it came from, like grammY's
   * `bot.catch`. Default: one error line in the log, phones masked and secrets redacted.
   */
  onError?: EngineErrorHandler;
  /**
   * Set by a tenant host (`tenants/host.ts`) that runs many salons in one process: the engine's
   * tables live in their own Postgres schema, its settings in the tenants registry, and its routes
   * are served through the host's server. Absent, the engine is the whole deployment.
   */
  tenant?: TenantMount;
}

/** What a tenant host gives each salon's engine. */
export interface TenantMount {
  id: string;
  /** Postgres schema of the tenant's tables (`tenant_<id>`). */
  schema: string;
  /** The host's connections, which every salon's engine borrows (`store/pg/schema-pool.ts`). */
  pool: pg.Pool;
  settings: SettingsHolder;
  http: HttpMount;
  /** The host's row in the process registry: the salon's outbox leases are the host's. */
  instance?: InstanceRegistration;
  /** Given this engine's metrics (each series labelled `tenant`), for the host's own `/metrics`. */
  metrics?: (registry: Registry) => void;
}

export interface EngineInfo {
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:3000`. */
  url: string;
  mode: 'sandbox' | 'live';
  /** In sandbox mode, the base URL of the embedded fake Altegio (also its `/__sandbox` controls). */
  sandboxUrl?: string;
}

export interface Engine {
  /** Starts the parts in order: store, altegio, dialogues, http, channels, workers. */
  start(): Promise<EngineInfo>;
  /**
   * Stops the parts in reverse: workers and channels stop taking work, the steps in flight finish,
   * the database closes last. Safe to call twice.
   */
  stop(): Promise<void>;
  /** Replaces the error hook (see {@link EngineOptions.onError}); answers the engine. */
  catch(handler: EngineErrorHandler): Engine;
}

/**
 * The composition root: reads configuration and starts the engine's parts, each with one
 * start/stop lifecycle (`engine/lifecycle.ts`). Nothing happens until `start()`, so a caller can
 * create an engine, inject parts and decide when to run.
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
  let handler: EngineErrorHandler = options.onError ?? logEngineError(logger);
  const onError = guardErrorHandler((context: EngineErrorContext) => handler(context), logger);
  let running: Lifecycle | undefined;
  let starting = false;

  const engine: Engine = {
    async start() {
      if (running || starting) throw new Error('engine already started');
      starting = true;
      const lifecycle = createLifecycle(logger);
      try {
        const info = await startParts(lifecycle);
        running = lifecycle;
        return info;
      } catch (error) {
        // A part built but not yet started holds nothing; the started ones are stopped here.
        await lifecycle.stop();
        throw error;
      } finally {
        starting = false;
      }
    },
    async stop() {
      const lifecycle = running;
      if (!lifecycle) return;
      running = undefined;
      logger.info('stopping');
      await lifecycle.stop();
      logger.info('stopped');
    },
    catch(next) {
      handler = next;
      return engine;
    },
  };

  /** On Postgres, every process behind one egress IP shares one Altegio budget (`pg-budget.ts`). */
  function sharedBudget(store: Store): RateLimiter | undefined {
    if (!isPostgresStore(store)) return undefined;
    return createPgRateLimiter(store.pool, {
      egressKey: env.altegioEgressKey,
      onError: (error) =>
        logger.warn({ err: error }, 'the shared Altegio budget could not be read; retrying'),
    });
  }

  async function startParts(lifecycle: Lifecycle): Promise<EngineInfo> {
    const metrics = createMetrics(options.tenant ? { tenant: options.tenant.id } : {});
    options.tenant?.metrics?.(metrics.registry);
    const { store, dialogueStore, settings, jobTriggers, deadlineTriggers, outboxTriggers } =
      await lifecycle.start(
        createStorePart(
          env,
          clock,
          logger,
          options.tenant
            ? {
                settings: options.tenant.settings,
                schema: options.tenant.schema,
                shared: options.tenant.pool,
              }
            : {},
        ),
      );
    // Before anything talks to Telegram: long polling may not be shared with another process. A
    // tenant host registers once for all of its salons.
    const instance =
      isPostgresStore(store) && !options.tenant
        ? (await lifecycle.start(createInstancesPart(env, store, logger))).registration
        : options.tenant?.instance;
    const currentSettings = settings.get;
    const altegio = await lifecycle.start(
      createAltegioPart(env, { logger, metrics, limiter: options.altegioLimiter ?? sharedBudget(store) }),
    );
    const languageFor = (code: string | undefined): Language =>
      asLanguage(code) ?? currentSettings().variables.language;
    const channels: ChannelsPart = createChannelsPart({
      env,
      logger,
      languageFor,
      defaultLanguage: () => currentSettings().variables.language,
      whatsappClient: options.whatsappClient,
      consoleChat: options.consoleChat,
      telegramJournal: createUpdateJournal(store.inbound, logger),
      onError,
    });
    const serveAllBranches = altegio.sandbox !== undefined;
    let notifications: Notifications | undefined;
    const need = () => {
      if (!notifications) throw new Error('notifications are not built yet');
      return notifications;
    };
    // Sandbox mode: the playground page's chats are the `web` channel.
    const sandbox = altegio.sandbox;
    const playground: Playground | undefined = sandbox
      ? createPlayground({
          ...options.playground,
          control: sandbox.control,
          altegio: altegio.api,
          branchIds: () => need().branchIds(),
          settings: currentSettings,
          store,
          clock,
          logger,
          menuHint: (code) => botT(languageFor(code))('common.menuHint'),
          wakeNotifications: () => need().worker.wake(),
        })
      : undefined;
    if (playground) channels.channels.web = playground.channel;
    const dialogues = createDialoguesPart({
      store,
      dialogueStore,
      altegio: altegio.api,
      settings: currentSettings,
      channels,
      clock,
      logger,
      onError,
      languageFor,
      serveAllBranches,
      visitWrites: () => need().visitWrites,
      onRefused: (message) => need().worker.refused(message),
      onIntents: (intents, context) => need().onIntents(intents, context),
      inspectorPort: env.inspect ? INSPECTOR_PORT : undefined,
      waitFeedback: options.waitFeedback,
      channelLimits: options.channelLimits,
      leases: instance && { owner: instance.id, liveOwners: () => instance.liveIds() },
      deadlineTriggers,
      outboxTriggers,
    });
    notifications = createNotifications({
      store,
      altegio: altegio.api,
      settings: currentSettings,
      clock,
      logger,
      onError,
      isRunning: channels.isRunning,
      serveAllBranches,
      runtime: () => dialogues.runtime,
      onOutbox: () => dialogues.outbox.wake(),
      onPlanned: () => playground?.controls.onPlanned(),
      jobTriggers,
      jobClaims: instance && {
        owner: instance.id,
        liveOwners: () => instance.liveIds(),
        onGone: (listener) => instance.onGone(listener),
      },
      reconcileIntervalMs: options.reconcileIntervalMs,
    });
    await lifecycle.start(dialogues);
    const http = await lifecycle.start(
      createHttpPart({
        env,
        logger,
        metrics,
        clock,
        store,
        settings,
        altegio,
        channels,
        notifications,
        playground,
        inspectorUrl: dialogues.inspector ? `http://localhost:${INSPECTOR_PORT}` : undefined,
        ...(options.tenant ? { mount: options.tenant.http } : {}),
      }),
    );
    // Channels start after the server (webhooks and the playground come in through it), and
    // before the workers: a row for a channel not yet running would wait.
    channels.onInbound = dialogues.onInbound;
    await lifecycle.start(channels);
    const { worker } = notifications;
    const stopWorkers = async () => {
      await worker.stop();
      await dialogues.sweeper.stop();
      await dialogues.outbox.stop();
    };
    // The workers stop first (reverse order), so nothing is sent into a closed channel.
    await lifecycle.start(
      part('workers', {
        start: async () => {
          try {
            await dialogues.outbox.start();
            await dialogues.sweeper.start();
            await worker.start();
          } catch (error) {
            // Stopping one that never started is harmless; one left running would keep sending.
            await stopWorkers();
            throw error;
          }
        },
        stop: stopWorkers,
      }),
    );
    reportUnconfigured(env, currentSettings(), logger, options.whatsappClient !== undefined);
    const { ingest, reconciler } = notifications;
    await lifecycle.start(
      part('sync', {
        start: async () => {
          await replayUnprocessedWebhooks(store, ingest, logger);
          // After the replay: what the ledger already holds is not fetched again as news.
          reconciler.start();
        },
        stop: () => reconciler.stop(),
      }),
    );
    return {
      url: http.url,
      mode: env.sandboxMode ? 'sandbox' : 'live',
      ...(sandbox ? { sandboxUrl: sandbox.url } : {}),
    };
  }

  return engine;
}

/** `altegio-bot migrate`: apply pending migrations and say what was done. */
export async function runMigrations(rawEnv: NodeJS.ProcessEnv): Promise<void> {
  const env = parseEnv(rawEnv);
  const logger = createLogger({ level: env.logLevel });
  if (env.databaseUrl !== undefined) {
    // Opening the Postgres store applies its migrations (under an advisory lock, so a second process waits).
    const store = await openPostgresStore(env.databaseUrl);
    const applied = store.migrationsApplied;
    await store.close();
    logger.info(
      { database: redactDatabaseUrl(env.databaseUrl), applied },
      applied > 0 ? `applied ${applied} migration(s)` : 'database schema up to date',
    );
    return;
  }
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
