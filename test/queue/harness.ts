/**
 * Shared set-up of the queue tests: a fresh database per test and pg-boss queue hosts on it,
 * each with its own pool, as separate processes would have.
 */
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { z } from 'zod';
import { type PgBossQueues, type PgBossQueuesOptions, startPgBossQueues } from '../../src/queue/pg-boss.js';
import type { QueueDefinition } from '../../src/queue/port.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';

/** The data of every test job. */
export const testData = z.object({ n: z.number() });
export type TestData = z.infer<typeof testData>;
export const parseTestData = (raw: unknown): TestData => testData.parse(raw);

export const silent = pino({ level: 'silent' });

/** One "process": its own pool and pg-boss instance. */
export interface Host {
  pool: pg.Pool;
  queues: PgBossQueues;
  close(): Promise<void>;
}

export async function openHost(
  url: string,
  options: Partial<Omit<PgBossQueuesOptions, 'pool'>> = {},
): Promise<Host> {
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  // Dropping the test database terminates the pool's idle connections; node-postgres reports that
  // as an 'error' event, which without a listener would crash the test run.
  pool.on('error', () => {});
  const queues = await startPgBossQueues({
    pool,
    logger: silent,
    pollingIntervalSeconds: 0.5,
    ...options,
  });
  let closed = false;
  return {
    pool,
    queues,
    async close() {
      if (closed) return;
      closed = true;
      await queues.stop(2000);
      await pool.end();
    },
  };
}

export function definition(name: string, overrides: Partial<QueueDefinition> = {}): QueueDefinition {
  return { name, retry: { attempts: 3, delaySeconds: 1 }, runLimitSeconds: 60, ...overrides };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A fresh database per test and the hosts a test opened on it, closed afterwards: the setup every
 * queue suite shares. `open()` starts one "process"; `url()` is the current test's database.
 */
export function useHosts(): { open(options?: Parameters<typeof openHost>[1]): Promise<Host>; url(): string } {
  let server: TestPostgres;
  let database: TestDatabase;
  const hosts: Host[] = [];
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  beforeEach(async () => {
    database = await server.createDatabase();
  });
  afterEach(async () => {
    for (const host of hosts.splice(0)) await host.close();
    await database.drop();
  });
  afterAll(() => server.stop());
  return {
    async open(options = {}) {
      const host = await openHost(database.url, options);
      hosts.push(host);
      return host;
    },
    url: () => database.url,
  };
}
