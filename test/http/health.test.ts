import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

/** One Postgres server for the file, started on first use. */
let server: Promise<TestPostgres> | undefined;
afterAll(async () => {
  const started = server;
  server = undefined;
  if (started) await (await started).stop();
});

interface Health {
  status: string;
  problems: string[];
  channels: Record<string, unknown>;
  database: {
    dialect: string;
    status: string;
    latencyMs: number;
    error?: string;
    migrations?: { applied: number; known: number; upToDate: boolean };
    pool?: { total: number; idle: number; waiting: number };
    queues?: Record<string, { pending: number; overdue: number; oldestOverdueSeconds: number | null }>;
  };
  altegioBudget: {
    ledger: string;
    perSecond: { used: number; limit: number };
    perMinute: { used: number; limit: number };
    waiting: Record<string, number>;
    rateLimited: number;
    pausedUntil: string | null;
  };
}

describe.each(['sqlite', 'postgres'] as const)('/health and /metrics on %s', (dialect) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(): Promise<{ url: string; database: TestDatabase | undefined }> {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    let database: TestDatabase | undefined;
    if (dialect === 'postgres') {
      server ??= startTestPostgres();
      database = await (await server).createDatabase();
      const made = database;
      cleanups.push(() => made.drop());
    }
    writeFileSync(join(dir.path, 'settings.yaml'), 'general:\n  timezone: Europe/Moscow\n');
    const engine = createEngine({
      env: database ? { DATABASE_URL: database.url } : {},
      databasePath: join(dir.path, 'bot.sqlite'),
      settingsFile: join(dir.path, 'settings.yaml'),
      port: 0,
      logger: createLogger({ level: 'silent' }),
    });
    cleanups.push(() => engine.stop());
    const { url } = await engine.start();
    return { url, database };
  }

  it('reports the database, its queues and the Altegio budget', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Health;
    expect(body.status).toBe('ok');
    expect(body.problems).toEqual([]);
    expect(body.database).toMatchObject({ dialect, status: 'ok' });
    expect(body.database.migrations?.upToDate).toBe(true);
    expect(body.database.migrations?.applied).toBeGreaterThan(0);
    for (const queue of ['jobs', 'timers', 'outbox']) {
      expect(body.database.queues?.[queue]).toMatchObject({ pending: expect.any(Number) });
    }
    if (dialect === 'postgres') {
      expect(body.database.pool).toMatchObject({ total: expect.any(Number), waiting: 0 });
    } else {
      expect(body.database.pool).toBeUndefined();
    }
    expect(body.altegioBudget.ledger).toBe(dialect === 'postgres' ? 'postgres' : 'memory');
    expect(body.altegioBudget.perSecond.limit).toBe(5);
    expect(body.altegioBudget.perMinute.limit).toBe(200);
    expect(Object.keys(body.altegioBudget.waiting)).toEqual(['booking', 'write', 'notify', 'sync']);
  });

  it('exports the same figures as Prometheus gauges', async () => {
    const { url } = await start();
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^altegio_bot_database_up 1$/m);
    expect(text).toMatch(/^altegio_bot_queue_items\{queue="jobs",state="pending"\} \d+$/m);
    expect(text).toMatch(/^altegio_bot_queue_items\{queue="outbox",state="overdue"\} \d+$/m);
    expect(text).toMatch(/^altegio_bot_altegio_budget_used\{window="minute"\} \d+$/m);
    expect(text).toMatch(/^altegio_bot_altegio_budget_limit\{window="second"\} 5$/m);
    expect(text).toMatch(
      new RegExp(`^altegio_bot_altegio_budget_shared ${dialect === 'postgres' ? 1 : 0}$`, 'm'),
    );
    if (dialect === 'postgres') expect(text).toMatch(/^altegio_bot_database_pool_connections \d+$/m);
  });
});

describe('/health when Postgres goes away', () => {
  it('says the database is down, and the process keeps serving', async () => {
    server ??= startTestPostgres();
    const database = await (await server).createDatabase();
    const dir = tempDir();
    writeFileSync(join(dir.path, 'settings.yaml'), 'general:\n  timezone: Europe/Moscow\n');
    const engine = createEngine({
      env: { DATABASE_URL: database.url },
      settingsFile: join(dir.path, 'settings.yaml'),
      port: 0,
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const { url } = await engine.start();
      // The database disappears under the running engine: its connections are ended, new ones refused.
      await database.drop();
      const body = await eventually(async () => {
        const response = await fetch(`${url}/health`);
        expect(response.status).toBe(200);
        const health = (await response.json()) as Health;
        expect(health.status).toBe('down');
        return health;
      });
      expect(body.database).toMatchObject({ dialect: 'postgres', status: 'down' });
      expect(body.database.error).toEqual(expect.any(String));
      expect(body.database.error).not.toContain('postgres://');
      expect(body.problems.some((problem) => problem.startsWith('database:'))).toBe(true);
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^altegio_bot_database_up 0$/m);
      // Still serving after the failed probes.
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      await engine.stop();
      await database.drop();
      dir.cleanup();
    }
  });
});
