import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { eventually, until } from '../helpers/eventually.js';
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
    pool?: { total: number; idle: number; waiting: number; lost: { count: number } };
    queues?: Record<string, { pending: number; overdue: number; oldestOverdueSeconds: number | null }>;
  };
  sync?: { initialSyncDone: boolean };
  jobEngine: { engine: string; working: boolean; queued?: number; error?: string };
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
    expect(body.jobEngine).toMatchObject({
      engine: dialect === 'postgres' ? 'pg-boss' : 'table',
      working: true,
    });
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

/** The engine's command line, run as a real process: a crash would end it. */
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'altegio-bot.js');

describe('/health when Postgres terminates the connections', () => {
  it('says the database is down with 503 while the process keeps running, and ok once it is back', async () => {
    server ??= startTestPostgres();
    const postgres = await server;
    const database = await postgres.createDatabase();
    const name = new URL(database.url).pathname.slice(1);
    // Test servers trust every local login, so this password is never checked, only carried.
    const withPassword = new URL(database.url);
    withPassword.password = 'never-logged-7f3a';
    const admin = new pg.Pool({ connectionString: postgres.adminUrl, max: 1 });
    admin.on('error', () => {});
    const dir = tempDir();
    writeFileSync(join(dir.path, 'settings.yaml'), 'general:\n  timezone: Europe/Moscow\n');
    const child = spawn(process.execPath, [BIN, 'start'], {
      cwd: dir.path,
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'info',
        PORT: '0',
        DATABASE_URL: withPassword.toString(),
        SETTINGS_FILE: join(dir.path, 'settings.yaml'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += String(chunk)));
    child.stderr?.on('data', (chunk) => (output += String(chunk)));
    let exited: number | null | undefined;
    const exit = new Promise<void>((resolve) =>
      child.on('exit', (code) => {
        exited = code;
        resolve();
      }),
    );
    let url = '';
    const health = async (): Promise<{ code: number; body: Health }> => {
      // A process that died says why.
      expect(exited, output).toBeUndefined();
      const response = await fetch(`${url}/health`);
      return { code: response.status, body: (await response.json()) as Health };
    };
    try {
      await until(() => /listening on (http:\/\/[\d.:]+)/.test(output) || exited !== undefined, 60_000, 50);
      url = /listening on (http:\/\/[\d.:]+)/.exec(output)?.[1] ?? '';
      expect(url, output).not.toBe('');
      // The server listens before the workers start; the first reconcile comes last.
      const before = await eventually(async () => {
        const answer = await health();
        expect(answer.body.jobEngine).toMatchObject({ engine: 'pg-boss', working: true });
        expect(answer.body.sync?.initialSyncDone).toBe(true);
        return answer;
      }, 60_000);
      expect(before.code).toBe(200);
      expect(before.body.status).toBe('ok');
      expect(before.body.database.status).toBe('ok');

      // The server ends every connection of the database (57P01) and lets no new one in, as
      // while it is stopped: the engine's pooled, checked-out and locking connections all die.
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const down = await eventually(async () => {
        const answer = await health();
        expect(answer.code).toBe(503);
        return answer.body;
      }, 60_000);
      expect(down.status).toBe('down');
      expect(down.database).toMatchObject({ dialect: 'postgres', status: 'down' });
      expect(down.database.error).toEqual(expect.any(String));
      expect(down.database.error).not.toContain('postgres://');
      expect(down.problems.some((problem) => problem.startsWith('database:'))).toBe(true);
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^altegio_bot_database_up 0$/m);
      // Some seconds of an engine working against a database that refuses it: still running.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(exited, output).toBeUndefined();
      expect((await health()).code).toBe(503);

      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
      const back = await eventually(async () => {
        const answer = await health();
        expect(answer.code).toBe(200);
        expect(answer.body.status).toBe('ok');
        return answer.body;
      }, 60_000);
      expect(back.database.status).toBe('ok');
      expect(back.database.pool?.lost.count).toBeGreaterThan(0);
      expect(back.jobEngine).toMatchObject({ engine: 'pg-boss', working: true, queued: expect.any(Number) });
      expect(exited, output).toBeUndefined();
      expect(output).toContain('a database connection was lost');
      expect(output).not.toContain('never-logged-7f3a');
    } finally {
      if (exited === undefined) {
        child.kill('SIGINT');
        await exit;
      }
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`).catch(() => {});
      await admin.end();
      await database.drop();
      dir.cleanup();
    }
  }, 240_000);
});
