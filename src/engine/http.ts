/**
 * The `http` part: one server for webhooks, health and metrics, the admin API, the console and
 * (sandbox mode) the playground. Listening starts with the part; on stop it closes.
 *
 * @module
 */
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Env } from '../config/env.js';
import type { SettingsHolder } from '../config/settings-holder.js';
import { registerConsole } from '../console/index.js';
import { PLAYGROUND_NAV, type Playground } from '../console/playground/index.js';
import type { Clock } from '../domain/clock.js';
import { registerAdminApi } from '../http/admin-api.js';
import { registerAltegioWebhook } from '../http/altegio-webhook.js';
import { registerHealthRoutes } from '../http/health.js';
import { createHttpServer } from '../http/server.js';
import { registerTelegramWebhook } from '../http/telegram-webhook.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { createDatabaseProbe } from '../store/diagnostics.js';
import type { Store } from '../store/index.js';
import { VERSION } from '../version.js';
import type { AltegioPart } from './altegio.js';
import type { ChannelsPart } from './channels.js';
import type { Part } from './lifecycle.js';
import type { Notifications } from './notifications.js';

export interface HttpOptions {
  env: Env;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  store: Store;
  settings: SettingsHolder;
  altegio: AltegioPart;
  channels: ChannelsPart;
  notifications: Notifications;
  playground: Playground | undefined;
  inspectorUrl: string | undefined;
  /** Served through a host's server instead of listening on `HOST:PORT` (see `tenants/host.ts`). */
  mount?: HttpMount;
}

/** A place on someone else's HTTP server: its public base URL and how requests reach this engine. */
export interface HttpMount {
  /** This engine's base URL there, e.g. `https://bots.example.com/t/salon-1`. */
  url: string;
  attach(handler: RequestListener): void;
}

export interface HttpPart extends Part {
  /** Base URL once listening, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
}

export function createHttpPart(options: HttpOptions): HttpPart {
  const { env, logger, metrics, clock, store, settings, altegio, channels, playground } = options;
  const mode = env.sandboxMode ? 'sandbox' : 'live';
  const { mount } = options;
  const app = createHttpServer({ logger, metrics, ...(mount ? { attach: mount.attach } : {}) });
  let url: string | undefined;
  const database = createDatabaseProbe(store, { now: () => clock.now() });
  metrics.watchDatabase(database);
  registerHealthRoutes(
    app,
    {
      version: VERSION,
      mode,
      startedAt: clock.now(),
      now: () => clock.now(),
      channels: channels.channels,
      sync: options.notifications.reconciler.status,
      database,
      jobs: () => options.notifications.worker.figures(),
      budget: () => altegio.budgetStats(),
    },
    metrics,
  );
  registerAltegioWebhook(app, {
    secret: altegio.webhookSecret,
    inbound: store.inbound,
    metrics,
    onEvent: options.notifications.ingest,
  });
  const telegramCallback = channels.telegram?.webhookCallback;
  if (telegramCallback) registerTelegramWebhook(app, telegramCallback);
  registerAdminApi(app, { token: env.adminToken, store, settings, clock });
  const consoleAccess = registerConsole(app, {
    token: env.adminToken,
    settings,
    store,
    clock,
    altegio: { altegio: altegio.api, servedBranchIds: options.notifications.branchIds },
    inspectorUrl: options.inspectorUrl,
    // In sandbox mode `/` is the playground's, and the sidebar links to it.
    serveRoot: playground === undefined,
    extraNav: playground ? [PLAYGROUND_NAV] : [],
  });
  playground?.register(app, { adminToken: env.adminToken, isSignedIn: consoleAccess.isSignedIn });

  return {
    name: 'http',
    get url() {
      if (!url) throw new Error('the http part has not started');
      return url;
    },
    async start() {
      if (mount) {
        await app.ready();
        url = mount.url;
      } else {
        await app.listen({ host: env.host, port: env.port }).catch(async (error: unknown) => {
          // A part that fails to start releases what it holds itself; the earlier ones are stopped.
          await app.close();
          throw new Error(
            `cannot listen on ${env.host}:${env.port}: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
        url = `http://${env.host}:${(app.server.address() as AddressInfo).port}`;
      }
      logger.info({ url, mode, version: VERSION }, `altegio-bot ${VERSION} listening on ${url}`);
      if (env.adminToken)
        logger.info({ console: `${url}/` }, `web console: open ${url}/ and sign in with ADMIN_TOKEN`);
      const sandbox = altegio.sandbox;
      if (sandbox) {
        sandbox.setWebhookUrl(`${url}/webhooks/altegio/${altegio.webhookSecret}`);
        logger.info(
          { sandbox: sandbox.url },
          `sandbox Altegio at ${sandbox.url} (salon state: ${sandbox.url}/__sandbox/state); its webhooks come back to this engine`,
        );
      }
      if (playground) logger.info(`playground: open ${url}/playground in a browser`);
    },
    async stop() {
      await app.close();
    },
  };
}
