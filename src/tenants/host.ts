/**
 * The tenant host: one process serving many salons. It reads the tenants registry, runs one
 * engine per tenant, and serves them all on one HTTP server:
 * - `/t/<id>/webhooks/…`, `/t/<id>/api/…`, `/t/<id>/health`, `/t/<id>/metrics` go to that
 *   tenant's engine with the prefix taken off, so its routes are the single-salon ones;
 * - any other `/t/<id>/…` (a salon's console or playground, opened in a browser) remembers the
 *   tenant in a cookie and redirects to the unprefixed page, which the cookie then routes. The
 *   cookie only chooses whose console answers: that console still asks for its own admin token;
 * - `/operator/…` is the operator API (`operator-api.ts`), `/health` the host's own state,
 *   `/metrics` the process figures and every salon's series labelled `tenant` (`host-metrics.ts`).
 *
 * Isolation is by construction: each engine opens only its tenant's schema (`tenant_<id>`),
 * whose connections search no other schema, and answers only its tenant's tokens and secrets.
 * Shared by all tenants: the process, the HTTP server and the Altegio call budget, which Altegio
 * counts per egress IP whichever salon calls.
 *
 * The registry is read again every `pollMs` and after each operator change in this process, so
 * every process of the deployment starts, stops and reconfigures its engines within one poll.
 *
 * @module
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { Registry } from 'prom-client';
import { createPgRateLimiter } from '../altegio/pg-budget.js';
import type { RateLimiter } from '../altegio/rate-limiter.js';
import { type Env, parseEnv } from '../config/env.js';
import { createSettingsHolder, type SettingsHolder } from '../config/settings-holder.js';
import { parseCookies } from '../console/session.js';
import { type Clock, systemClock } from '../domain/clock.js';
import { parseSettings } from '../domain/settings.js';
import { createEngine, type Engine, type EngineOptions } from '../engine.js';
import { createLogger, type Logger } from '../log.js';
import { guardConnections } from '../store/pg/connection-guard.js';
import { migratePostgres, openPostgres, type PgDb } from '../store/pg/db.js';
import { type InstanceRegistration, registerInstance } from '../store/pg/instances.js';
import { createHostMetrics } from './host-metrics.js';
import { createOperatorApi } from './operator-api.js';
import { createTenantsRegistry, type TenantRow, type TenantsRegistry, tenantSchema } from './registry.js';

/** Which salon a browser's console requests belong to (see the module comment). */
export const TENANT_COOKIE = 'altegio_tenant';

export interface TenantHostOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides `HOST`/`PORT`; port 0 picks a free one. */
  host?: string;
  port?: number;
  clock?: Clock;
  logger?: Logger;
  /** Between two reads of the registry. Default 5 s. */
  pollMs?: number;
  /** The Altegio budget of every tenant. Default: kept in Postgres, shared with the other processes. */
  altegioLimiter?: RateLimiter;
  /** Connections of the process, shared by all salons. Default 20. */
  maxConnections?: number;
  /** More options for one tenant's engine (tests and embedders: pacing, injected parts). */
  engineOptions?: (tenant: TenantRow) => Partial<EngineOptions>;
}

export interface TenantHost {
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
  /** Reads the registry now and starts, stops or reconfigures engines to match it. */
  refresh(): Promise<void>;
  /** The tenants whose engines run in this process. */
  running(): string[];
}

interface Hosted {
  engine: Engine;
  settings: SettingsHolder;
  settingsVersion: number;
  handler: RequestListener | undefined;
  /** The engine's metrics registry, for the host's `/metrics`. */
  metrics: Registry | undefined;
}

/** Paths a tenant's engine answers under its prefix; the rest are pages, routed by the cookie. */
const FORWARDED = /^\/(webhooks|api)(\/|$)|^\/(health|metrics)(\?|$)/;

export function createTenantHost(options: TenantHostOptions = {}): TenantHost {
  const env: Env = parseEnv({
    ...(options.env ?? process.env),
    ...(options.host === undefined ? {} : { HOST: options.host }),
    ...(options.port === undefined ? {} : { PORT: String(options.port) }),
  });
  const rawEnv = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ level: env.logLevel });
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollMs ?? 5_000;
  const databaseUrl = env.databaseUrl;
  const operatorToken = env.operatorToken;
  if (databaseUrl === undefined || operatorToken === undefined) {
    throw new Error(
      'hosting many salons needs DATABASE_URL (a Postgres database) and OPERATOR_TOKEN (the operator API token)',
    );
  }
  const hosted = new Map<string, Hosted>();
  /** Why a tenant's engine last failed to start, so that the log says it once, not every poll. */
  const failures = new Map<string, string>();
  const metrics = createHostMetrics(() => ({ running: hosted.size, failed: failures.size }), logger);
  /** Every connection of this process: the host's and all of its salons' (`store/pg/schema-pool.ts`). */
  const shared = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 20 });
  // A connection that loses its server, idle or lent to a salon, would otherwise end the process.
  guardConnections(shared, (reason) => logger.warn({ reason }, 'a database connection was lost'));
  let db: PgDb | undefined;
  let registration: InstanceRegistration | undefined;
  let registry: TenantsRegistry | undefined;
  let limiter: RateLimiter | undefined;
  let localUrl = '';
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> = Promise.resolve();
  let stopping = false;
  let operatorHandler: RequestListener | undefined;
  const operatorApi = createOperatorApi({
    token: operatorToken,
    pool: () => {
      if (!db) throw new Error('the tenant host has not started');
      return db.$client;
    },
    logger,
    clock,
    registry: () => {
      if (!registry) throw new Error('the tenant host has not started');
      return registry;
    },
    publicUrl: () => env.telegramWebhookUrl ?? localUrl,
    refresh: () => host.refresh(),
    isRunning: (id) => hosted.has(id),
    attach: (handler) => {
      operatorHandler = handler;
    },
  });

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'a request to the tenant host failed');
      if (!response.headersSent) send(response, 500, { error: 'internal error' });
      else response.destroy();
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (path === '/operator' || path.startsWith('/operator/')) {
      if (!operatorHandler) return send(response, 503, { error: 'starting' });
      return operatorHandler(request, response);
    }
    if (path === '/health') return send(response, 200, health());
    if (path === '/metrics') {
      const registries = new Map<string, Registry>();
      for (const [id, entry] of hosted) if (entry.metrics) registries.set(id, entry.metrics);
      const text = await metrics.text(registries);
      response.writeHead(200, { 'content-type': metrics.contentType });
      response.end(text);
      return;
    }
    const prefixed = /^\/t\/([^/?#]+)(.*)$/.exec(url);
    if (prefixed) {
      const id = decodeURIComponent(prefixed[1] ?? '');
      const rest =
        prefixed[2] === '' || prefixed[2]?.startsWith('?') ? `/${prefixed[2] ?? ''}` : (prefixed[2] ?? '/');
      const tenant = hosted.get(id);
      if (!tenant?.handler) return send(response, 404, { error: `no salon "${id}" is served here` });
      if (FORWARDED.test(rest)) {
        request.url = rest;
        return tenant.handler(request, response);
      }
      response.writeHead(303, {
        location: rest,
        'set-cookie': `${TENANT_COOKIE}=${encodeURIComponent(id)}; Path=/; HttpOnly; SameSite=Lax${
          localUrl.startsWith('https:') || env.telegramWebhookUrl ? '; Secure' : ''
        }`,
      });
      response.end();
      return;
    }
    const chosen = parseCookies(request.headers.cookie)[TENANT_COOKIE];
    const tenant = chosen === undefined ? undefined : hosted.get(chosen);
    if (tenant?.handler) return tenant.handler(request, response);
    return send(response, 404, {
      error: 'no salon chosen: open /t/<salon id>/ to reach a salon',
    });
  }

  function health() {
    return {
      status: failures.size === 0 ? 'ok' : 'degraded',
      tenants: [...hosted.keys()].sort(),
      failed: Object.fromEntries(failures),
    };
  }

  function tenantEnv(row: TenantRow): NodeJS.ProcessEnv {
    const own: NodeJS.ProcessEnv = { ...rawEnv };
    // The host's own credentials are never a tenant's.
    for (const name of [
      'ALTEGIO_PARTNER_TOKEN',
      'ALTEGIO_USER_TOKEN',
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_WEBHOOK_URL',
      'WEBHOOK_SECRET',
      'ADMIN_TOKEN',
      'OPERATOR_TOKEN',
      'SETTINGS_FILE',
    ]) {
      delete own[name];
    }
    return {
      ...own,
      ...(row.altegioPartnerToken ? { ALTEGIO_PARTNER_TOKEN: row.altegioPartnerToken } : {}),
      ...(row.altegioUserToken ? { ALTEGIO_USER_TOKEN: row.altegioUserToken } : {}),
      ...(row.altegioApiUrl ? { ALTEGIO_API_URL: row.altegioApiUrl } : {}),
      ...(row.telegramBotToken ? { TELEGRAM_BOT_TOKEN: row.telegramBotToken } : {}),
      // The engine appends `/webhooks/telegram`: Telegram posts to this tenant's prefix.
      ...(env.telegramWebhookUrl ? { TELEGRAM_WEBHOOK_URL: `${env.telegramWebhookUrl}/t/${row.id}` } : {}),
      WEBHOOK_SECRET: row.webhookSecret,
      ADMIN_TOKEN: row.adminToken,
    };
  }

  async function startTenant(row: TenantRow): Promise<void> {
    const parsed = parseSettings(row.settings);
    if (!parsed.ok) {
      throw new Error(
        `its settings are invalid: ${parsed.problems.map((p) => p.path || '(root)').join(', ')}`,
      );
    }
    const reg = registry;
    if (!reg) throw new Error('the tenant host has not started');
    const settings = createSettingsHolder(parsed.settings, (next) => reg.saveSettings(row.id, next));
    let handler: RequestListener | undefined;
    let ownMetrics: Registry | undefined;
    const engine = createEngine({
      ...options.engineOptions?.(row),
      env: tenantEnv(row),
      clock,
      logger: logger.child({ tenant: row.id }),
      ...(limiter ? { altegioLimiter: limiter } : {}),
      tenant: {
        id: row.id,
        schema: tenantSchema(row.id),
        pool: shared,
        settings,
        ...(registration ? { instance: registration } : {}),
        metrics: (engineMetrics) => {
          ownMetrics = engineMetrics;
        },
        http: {
          url: `${localUrl}/t/${row.id}`,
          attach: (listener) => {
            handler = listener;
          },
        },
      },
    });
    await engine.start();
    // Routed only once started: before that its routes are not ready.
    hosted.set(row.id, {
      engine,
      settings,
      settingsVersion: row.settingsVersion,
      handler,
      metrics: ownMetrics,
    });
  }

  async function reconcile(): Promise<void> {
    await startAndStop();
    // A salon being removed is dropped once no live process lists it.
    await registration?.setTenants([...hosted.keys()]);
  }

  async function startAndStop(): Promise<void> {
    if (!registry || stopping) return;
    const rows = await registry.list();
    const wanted = new Map(rows.filter((row) => row.removingSince === null).map((row) => [row.id, row]));
    for (const [id, entry] of hosted) {
      if (wanted.has(id)) continue;
      hosted.delete(id);
      failures.delete(id);
      await entry.engine.stop();
      logger.info({ tenant: id }, 'salon removed: its engine stopped');
    }
    for (const [id, row] of wanted) {
      if (stopping) return;
      const entry = hosted.get(id);
      if (entry) {
        if (row.settingsVersion !== entry.settingsVersion) {
          const parsed = parseSettings(row.settings);
          if (parsed.ok && entry.settings.reload(parsed.settings))
            logger.info({ tenant: id }, 'settings changed by another process: reloaded');
          entry.settingsVersion = row.settingsVersion;
        }
        continue;
      }
      try {
        await startTenant(row);
        failures.delete(id);
        logger.info({ tenant: id }, 'salon engine started');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (failures.get(id) !== reason)
          logger.warn(
            { tenant: id, reason },
            'a salon engine could not start; trying again at the next poll',
          );
        failures.set(id, reason);
      }
    }
  }

  const host: TenantHost = {
    async start() {
      db = openPostgres(databaseUrl, { shared });
      try {
        const applied = await migratePostgres(db);
        if (applied > 0) logger.info({ applied }, `applied ${applied} database migration(s)`);
        // Once for all salons: long polling (no TELEGRAM_WEBHOOK_URL) is one process's only.
        registration = await registerInstance(db.$client, {
          longPolling: env.telegramWebhookUrl === undefined,
          logger,
        });
        registry = createTenantsRegistry(db);
        limiter =
          options.altegioLimiter ??
          createPgRateLimiter(db.$client, {
            egressKey: env.altegioEgressKey,
            onError: (error) =>
              logger.warn({ err: error }, 'the shared Altegio budget could not be read; retrying'),
          });
        await operatorApi.ready();
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(env.port, env.host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        await registration?.stop();
        await shared.end().catch(() => undefined);
        throw error;
      }
      localUrl = `http://${env.host}:${(server.address() as AddressInfo).port}`;
      logger.info(
        { url: localUrl },
        `serving many salons on ${localUrl} (operator API at /operator/tenants)`,
      );
      await host.refresh();
      timer = setInterval(() => {
        host.refresh().catch(() => undefined);
      }, pollMs);
      timer.unref();
      return { url: localUrl };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      await refreshing.catch(() => undefined);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const [id, entry] of hosted) {
        hosted.delete(id);
        await entry.engine.stop().catch((error: unknown) => {
          logger.error({ err: error, tenant: id }, 'stopping a salon engine failed');
        });
      }
      await operatorApi.close();
      await registration?.stop();
      await shared.end().catch(() => undefined);
    },
    refresh() {
      const run = refreshing.catch(() => undefined).then(reconcile);
      refreshing = run.catch((error: unknown) => {
        logger.warn({ err: error }, 'the tenants registry could not be read; trying again at the next poll');
      });
      return refreshing;
    },
    running: () => [...hosted.keys()].sort(),
  };
  return host;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
