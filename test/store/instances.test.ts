/**
 * The registry of engine processes on one Postgres database: each test's "processes" are pools
 * of their own on one fresh database.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/pg/index.js';
import {
  InstanceConflictError,
  type InstanceRegistration,
  type RegisterInstanceOptions,
  registerInstance,
} from '../../src/store/pg/instances.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';

describe('engine processes on one Postgres database', () => {
  let server: TestPostgres;
  let database: TestDatabase | undefined;
  const stores: PostgresStore[] = [];
  const registrations: InstanceRegistration[] = [];
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const registration of registrations.splice(0)) await registration.stop();
    for (const store of stores.splice(0)) await store.close();
    await database?.drop();
    database = undefined;
  });

  /** A new process on the test's database, registering as `options` say. */
  async function start(options: Partial<RegisterInstanceOptions> & { longPolling: boolean }) {
    database ??= await server.createDatabase();
    const store = await openPostgresStore(database.url);
    stores.push(store);
    const registration = await registerInstance(store.pool, { logger, ...options });
    registrations.push(registration);
    return registration;
  }
  const refusal = async (options: Parameters<typeof start>[0]) => {
    const error = await start(options).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(error).toBeInstanceOf(InstanceConflictError);
    return (error as Error).message;
  };

  it('lets several webhook-mode processes share the database', async () => {
    const ids = [(await start({ longPolling: false })).id, (await start({ longPolling: false })).id];
    expect(new Set(ids).size).toBe(2);
  });

  it('refuses long polling while another process runs, and says to set TELEGRAM_WEBHOOK_URL', async () => {
    await start({ longPolling: false });
    const message = await refusal({ longPolling: true });
    expect(message).toContain('long polling');
    expect(message).toContain('Set TELEGRAM_WEBHOOK_URL');
    expect(message).toMatch(/process \d+ on /);
  });

  it('refuses any process while a long-polling one runs, and says to set TELEGRAM_WEBHOOK_URL', async () => {
    await start({ longPolling: true });
    expect(await refusal({ longPolling: false })).toContain('set TELEGRAM_WEBHOOK_URL on every one of them');
    expect(await refusal({ longPolling: true })).toContain('TELEGRAM_WEBHOOK_URL');
  });

  it('lets a long-polling process start once the others stopped cleanly', async () => {
    const first = await start({ longPolling: true });
    await refusal({ longPolling: true });
    await first.stop();
    await start({ longPolling: true });
  });

  it('does not count a killed process: its connection closed, its restart may long-poll at once', async () => {
    await start({ longPolling: true });
    database ??= await server.createDatabase();
    const admin = new pg.Pool({ connectionString: database.url, max: 1 });
    admin.on('error', () => {});
    try {
      // What the server sees of a SIGKILL: the registry's connection ends.
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2`,
      );
      await eventually(async () => {
        await start({ longPolling: true });
      }, 10_000);
    } finally {
      await admin.end();
    }
  });

  it('does not count a process that stopped refreshing its row', async () => {
    // Its heartbeat never comes within the test; the newcomer takes 50 ms of silence for gone.
    await start({ longPolling: true, heartbeatMs: 3_600_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await start({ longPolling: true, staleMs: 50 });
  });

  it('of two long-polling processes starting at once, one starts', async () => {
    database ??= await server.createDatabase();
    const results = await Promise.allSettled([start({ longPolling: true }), start({ longPolling: true })]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
  });
});
