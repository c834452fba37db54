import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { stringify } from 'yaml';
import {
  DEFAULT_PARTNER_TOKEN,
  DEFAULT_USER_TOKEN,
  type Sandbox,
  startSandbox,
} from '../../src/altegio/sandbox/index.js';
import { createEngine, type Engine, type EngineInfo, type EngineOptions } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { FakeTelegramServer } from '../fakes/telegram-server.js';
import { FakeWhatsAppClient } from '../fakes/whatsapp-client.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

export const BOT_TOKEN = '123456:test-token';
export const WEBHOOK_SECRET = 'e2e-secret';

/**
 * A salon as a test sees it from outside: the Altegio sandbox over HTTP, a fake Telegram Bot API
 * over HTTP, and the engine between them configured only through env and a settings file.
 */
export interface World {
  sandbox: Sandbox;
  telegram: FakeTelegramServer;
  /** A logged-in fake WhatsApp client the engine drives (see `test/fakes/whatsapp-client.ts`). */
  whatsapp: FakeWhatsAppClient;
  dir: string;
  settingsFile: string;
  env: NodeJS.ProcessEnv;
  engine?: Engine;
  info?: EngineInfo;
  /**
   * `extra` adds engine options (an Altegio budget to watch, wait feedback timings, the reconcile
   * interval). `waitForSync` (default true): resolve only once the start-up reconcile is through.
   */
  startEngine(extra?: EngineOptions & { waitForSync?: boolean }): Promise<EngineInfo>;
  close(): Promise<void>;
}

/** The stores an end-to-end suite can run on: SQLite at `DATABASE_PATH`, or Postgres at `DATABASE_URL`. */
export const E2E_DIALECTS = ['sqlite', 'postgres'] as const;
export type E2eDialect = (typeof E2E_DIALECTS)[number];

/** One Postgres server per test file, started on first use and stopped after the file. */
let postgres: Promise<TestPostgres> | undefined;
afterAll(async () => {
  const started = postgres;
  postgres = undefined;
  if (started) await (await started).stop();
});

export async function createWorld(
  settings: Record<string, unknown>,
  options: { dialect?: E2eDialect } = {},
): Promise<World> {
  const dir = tempDir();
  let database: TestDatabase | undefined;
  if (options.dialect === 'postgres') {
    postgres ??= startTestPostgres();
    database = await (await postgres).createDatabase();
  }
  const sandbox = await startSandbox({ logger: createLogger({ level: 'silent' }) });
  const telegram = new FakeTelegramServer({ token: BOT_TOKEN, maxPollMs: 200 });
  const { apiRoot } = await telegram.start();
  const whatsapp = new FakeWhatsAppClient({ loggedIn: true });
  const settingsFile = join(dir.path, 'settings.yaml');
  writeFileSync(settingsFile, stringify(settings));
  const env: NodeJS.ProcessEnv = {
    ALTEGIO_API_URL: sandbox.url,
    ALTEGIO_PARTNER_TOKEN: DEFAULT_PARTNER_TOKEN,
    ALTEGIO_USER_TOKEN: DEFAULT_USER_TOKEN,
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_API_ROOT: apiRoot,
    WEBHOOK_SECRET,
    ADMIN_TOKEN: 'admin-token',
    DATABASE_PATH: join(dir.path, 'bot.sqlite'),
    ...(database ? { DATABASE_URL: database.url } : {}),
    SETTINGS_FILE: settingsFile,
    PORT: '0',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
  };
  const world: World = {
    sandbox,
    telegram,
    whatsapp,
    dir: dir.path,
    settingsFile,
    env,
    async startEngine({ waitForSync = true, ...extra }: EngineOptions & { waitForSync?: boolean } = {}) {
      const engine = createEngine({
        ...extra,
        env,
        logger: createLogger({ level: env.LOG_LEVEL ?? 'silent' }),
        // A person needs seconds per step anyway; tests need not wait Telegram's per-chat second.
        channelLimits: { telegram: { perChatIntervalMs: 0 }, whatsapp: { perChatIntervalMs: 0 } },
        whatsappClient: whatsapp,
      });
      world.engine = engine;
      world.info = await engine.start();
      sandbox.setWebhookUrl(`${world.info.url}/webhooks/altegio/${WEBHOOK_SECRET}`);
      // The start-up reconcile reads every future record; tests begin once it is through, so
      // its calls and its planned reminders do not mix with what a test measures.
      const url = world.info.url;
      if (waitForSync)
        await eventually(async () => {
          const health = (await (await fetch(`${url}/health`)).json()) as {
            sync?: { initialSyncDone?: boolean };
          };
          if (!health.sync?.initialSyncDone) throw new Error('start-up sync still running');
        }, 15_000);
      return world.info;
    },
    async close() {
      await world.engine?.stop();
      await telegram.stop();
      await sandbox.stop();
      await database?.drop();
      dir.cleanup();
    },
  };
  return world;
}

/** One branch, so no branch question: the shortest booking path. */
export const ONE_BRANCH = { branches: [{ id: 101, address: 'Tverskaya st. 12' }] };

/** A visit put straight into the sandbox, as the salon would, even over a busy slot. */
export function bookVisit(
  world: World,
  at: Date,
  client: { phone: string; name: string },
  options: { staffId?: number; serviceId?: number } = {},
): ReturnType<World['sandbox']['control']['createRecord']> {
  return world.sandbox.control.createRecord(101, {
    staff_id: options.staffId ?? 1001,
    services: [{ id: options.serviceId ?? 301 }],
    client,
    datetime: at.toISOString(),
    save_if_busy: 1,
  });
}

/** The sandbox records of a client, by the phone as the sandbox stores it (`+7916…`). */
export function recordsOf(world: World, phone: string, companyId = 101): Array<Record<string, unknown>> {
  return world.sandbox.control
    .listRecords(companyId)
    .filter((record) => (record.client as { phone?: unknown } | null)?.phone === phone);
}
