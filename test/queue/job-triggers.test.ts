import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  afterRun,
  type JobTriggers,
  NOTIFICATION_QUEUE,
  parseTriggerData,
  withJobTriggers,
} from '../../src/queue/job-triggers.js';
import { type PgBossQueues, startPgBossQueues } from '../../src/queue/pg-boss.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/pg/index.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { silent } from './harness.js';

/** One engine process as far as jobs go: its own pool, its own pg-boss, the store with triggers. */
interface Engine {
  store: PostgresStore;
  triggers: JobTriggers;
  queues: PgBossQueues;
}

let server: TestPostgres;
let database: TestDatabase;
const engines: Engine[] = [];

async function openEngine(): Promise<Engine> {
  const opened = await openPostgresStore(database.url);
  const queues = await startPgBossQueues({ pool: opened.pool, logger: silent, pollingIntervalSeconds: 0.5 });
  const queue = await queues.queue(NOTIFICATION_QUEUE, parseTriggerData);
  const { store, triggers } = withJobTriggers(opened, queue, silent);
  const engine = { store, triggers, queues };
  engines.push(engine);
  return engine;
}

async function triggerCount(store: PostgresStore): Promise<number> {
  const { rows } = await store.executeSql('SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1', [
    NOTIFICATION_QUEUE.name,
  ]);
  return (rows[0] as { n: number }).n;
}

const job = (n: number, dueAt = Date.now()) => ({
  kind: 'notice',
  dueAt,
  dedupeKey: `test:${n}`,
  payload: { n },
});

beforeAll(async () => {
  server = await startTestPostgres();
});
beforeEach(async () => {
  database = await server.createDatabase();
});
afterEach(async () => {
  for (const engine of engines.splice(0)) {
    await engine.queues.stop(2000);
    await engine.store.close();
  }
  await database.drop();
});
afterAll(() => server.stop());

describe('notification jobs on pg-boss (Postgres mode)', () => {
  it('enqueues a job and its trigger with the transaction: a rolled-back one leaves neither', async () => {
    const { store } = await openEngine();
    await expect(
      store.transaction(async () => {
        expect(await store.jobs.enqueue(job(1))).toBe(true);
        throw new Error('the webhook failed after planning');
      }),
    ).rejects.toThrow('the webhook failed');
    expect(await store.jobs.byDedupeKey('test:1')).toBeUndefined();
    expect(await triggerCount(store)).toBe(0);

    await store.transaction(async () => {
      await store.jobs.enqueue(job(2));
    });
    const row = await store.jobs.byDedupeKey('test:2');
    expect(row?.state).toBe('pending');
    const { rows } = await store.executeSql('SELECT data FROM pgboss.job WHERE name = $1', [
      NOTIFICATION_QUEUE.name,
    ]);
    expect(rows).toEqual([{ data: expect.objectContaining({ data: { jobId: row?.id } }) }]);
    // A replayed webhook plans nothing new: no second row, no second trigger.
    expect(await store.jobs.enqueue(job(2))).toBe(false);
    expect(await triggerCount(store)).toBe(1);
  });

  it('runs each due job once when two processes work the same database', async () => {
    const a = await openEngine();
    const b = await openEngine();
    const ran: Array<{ engine: string; id: number }> = [];
    for (const [name, engine] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await engine.triggers.queue.work(
        async (trigger) => {
          const row = await engine.triggers.claim(trigger.data.jobId, Date.now());
          if (!row) return;
          ran.push({ engine: name, id: row.id });
          await engine.store.jobs.complete(row.id);
        },
        { concurrency: 4 },
      );
    }
    const count = 24;
    // Half planned by each process; a bring-forward adds a second trigger for the same row.
    for (let n = 0; n < count; n++) await (n % 2 ? a : b).store.jobs.enqueue(job(n, Date.now() + 500));
    const first = await a.store.jobs.byDedupeKey('test:0');
    if (first) await b.store.jobs.bringForward(first.id, Date.now());

    await eventually(async () => {
      expect(await a.store.jobs.list({ state: 'done' })).toHaveLength(count);
    }, 30_000);
    const ids = ran.map((entry) => entry.id).sort((x, y) => x - y);
    expect(new Set(ids).size).toBe(count);
    expect(ids).toHaveLength(count);
  });

  it('gives a pending row written without a trigger one at start', async () => {
    const opened = await openPostgresStore(database.url);
    // As the table-only mode left it: a row and no pg-boss job.
    await opened.jobs.enqueue(job(7));
    await opened.close();
    const { triggers, store } = await openEngine();
    expect(await triggers.adopt(Date.now())).toBe(1);
    expect(await triggers.adopt(Date.now())).toBe(0);
    expect(await triggerCount(store)).toBe(1);
  });

  it('retries a failed row at its retry time, runs nothing for a cancelled one, and runs a revived one', async () => {
    const { store, triggers } = await openEngine();
    const runs: Array<{ key: string; attempts: number; at: number }> = [];
    let retryAt = 0;
    await triggers.queue.work(
      async (trigger) => {
        const row = await triggers.claim(trigger.data.jobId, Date.now());
        if (row) {
          runs.push({ key: row.dedupeKey, attempts: row.attempts, at: Date.now() });
          if (row.dedupeKey === 'test:1' && row.attempts === 1) {
            retryAt = Date.now() + 1500;
            await store.jobs.fail(row.id, 'the channel is down', { retryAt });
          } else await store.jobs.complete(row.id);
        }
        return afterRun(await triggers.get(trigger.data.jobId), Date.now());
      },
      { concurrency: 2 },
    );
    const record = { companyId: 101, recordId: 5 };
    await store.jobs.enqueue({ ...job(2, Date.now() + 1000), record });
    expect(await store.jobs.cancelForRecord(record)).toBe(1);
    await store.jobs.enqueue(job(1));

    await eventually(
      async () => expect((await store.jobs.byDedupeKey('test:1'))?.state).toBe('done'),
      20_000,
    );
    expect(runs.filter((run) => run.key === 'test:1').map((run) => run.attempts)).toEqual([1, 2]);
    expect(runs.find((run) => run.attempts === 2)?.at).toBeGreaterThanOrEqual(retryAt);
    // The cancelled row's trigger has fired by now (due a second after enqueue) and taken nothing.
    await eventually(async () => expect((await triggers.queue.counts()).queued).toBe(0), 20_000);
    expect(runs.some((run) => run.key === 'test:2')).toBe(false);
    expect((await store.jobs.byDedupeKey('test:2'))?.state).toBe('cancelled');

    // Enqueued again, the cancelled key comes back (it never ran) and runs once.
    expect(await store.jobs.enqueue({ ...job(2), record })).toBe(true);
    await eventually(
      async () => expect((await store.jobs.byDedupeKey('test:2'))?.state).toBe('done'),
      20_000,
    );
    expect(runs.filter((run) => run.key === 'test:2')).toHaveLength(1);
  });
});
