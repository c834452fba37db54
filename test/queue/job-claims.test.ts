/**
 * A notification job row a killed process was running: with processes sharing one Postgres
 * database, another one runs it as soon as the registry sees the kill, not once its five-minute
 * run limit has passed (a reminder would be that late). A live process's rows are left alone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type JobTriggers,
  NOTIFICATION_QUEUE,
  parseTriggerData,
  withJobTriggers,
} from '../../src/queue/job-triggers.js';
import { type PgBossQueues, startPgBossQueues } from '../../src/queue/pg-boss.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/pg/index.js';
import { type InstanceRegistration, registerInstance } from '../../src/store/pg/instances.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { sharedDatabase } from '../helpers/shared-database.js';
import { silent } from './harness.js';

interface Process {
  name: string;
  store: PostgresStore;
  triggers: JobTriggers;
  queues: PgBossQueues;
  registration: InstanceRegistration;
}

describe('job rows of a process that was killed', () => {
  let server: TestPostgres;
  const database = sharedDatabase(() => server);
  const processes: Process[] = [];

  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const process of processes.splice(0)) {
      await process.queues.stop(500).catch(() => {});
      await process.registration.stop().catch(() => {});
      await process.store.close().catch(() => {});
    }
    await database.reset();
  });

  async function open(name: string, heartbeatMs = 10_000): Promise<Process> {
    const opened = await openPostgresStore(await database.urlFor(name));
    opened.pool.on('error', () => {});
    const queues = await startPgBossQueues({
      pool: opened.pool,
      logger: silent,
      pollingIntervalSeconds: 0.5,
    });
    const queue = await queues.queue(NOTIFICATION_QUEUE, parseTriggerData);
    const { store, triggers } = withJobTriggers(opened, queue, silent);
    const registration = await registerInstance(opened.pool, {
      longPolling: false,
      logger: silent,
      heartbeatMs,
    });
    const process = { name, store, triggers, queues, registration };
    processes.push(process);
    return process;
  }

  /** Works the queue as the notification worker does; a row of `hang` is claimed and never finished. */
  async function work(process: Process, ran: string[], hang?: string): Promise<void> {
    await process.triggers.queue.work(
      async (trigger) => {
        const row = await process.triggers.claim(trigger.data.jobId, Date.now(), process.registration.id);
        if (!row) return;
        ran.push(`${process.name} ${row.dedupeKey}`);
        if (row.dedupeKey === hang) await new Promise(() => {});
        await process.store.jobs.complete(row.id);
      },
      // One slot: the hung run holds it, so nothing else of this process runs meanwhile.
      { concurrency: 1 },
    );
  }

  /** What a kill leaves: its connections close, its registry lock with them. */
  const kill = (process: Process) => database.kill(process.name);

  const enqueue = (process: Process, key: string) =>
    process.store.jobs.enqueue({ kind: 'notice', dueAt: Date.now(), dedupeKey: key, payload: {} });

  it('runs again in a live process as soon as the registry notices the kill', async () => {
    const a = await open('a');
    const ran: string[] = [];
    await work(a, ran, 'reminder');
    await enqueue(a, 'reminder');
    await eventually(() => ran.includes('a reminder'));
    const running = await a.store.jobs.byDedupeKey('reminder');
    expect(running).toMatchObject({ state: 'running', claimedBy: a.registration.id });

    // B watches the registry at a short heartbeat and takes over what a gone process ran.
    const b = await open('b', 200);
    b.registration.onGone((owners) => void b.triggers.releaseClaims(owners, Date.now()));
    await work(b, ran);
    await kill(a);

    await eventually(async () => (await b.store.jobs.byDedupeKey('reminder'))?.state === 'done', 15_000);
    expect(ran).toEqual(['a reminder', 'b reminder']);
  });

  it('a process starting takes over the rows of processes gone before it, not a live one’s', async () => {
    const ran: string[] = [];
    const a = await open('a');
    await work(a, ran, 'of-a');
    await enqueue(a, 'of-a');
    const b = await open('b');
    await work(b, ran, 'of-b');
    await enqueue(b, 'of-b');
    await eventually(() => ran.includes('a of-a') && ran.includes('b of-b'));
    await kill(a);

    const c = await open('c');
    const live = await c.registration.liveIds();
    const gone = (await c.triggers.claimants()).filter((owner) => !live.has(owner));
    expect(gone).toEqual([a.registration.id]);
    await work(c, ran);
    expect(await c.triggers.releaseClaims(gone, Date.now())).toBe(1);
    await eventually(async () => (await c.store.jobs.byDedupeKey('of-a'))?.state === 'done', 15_000);
    expect(await c.store.jobs.byDedupeKey('of-b')).toMatchObject({
      state: 'running',
      claimedBy: b.registration.id,
    });
    expect(ran).toEqual(['a of-a', 'b of-b', 'c of-a']);
  });
});
