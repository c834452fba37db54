/**
 * An idle queue does not poll: it looks for its next due job once per look interval, and a job
 * this process sends for later wakes it at the job's own time.
 */
import { describe, expect, it } from 'vitest';
import type { JobQueue } from '../../src/queue/port.js';
import { eventually } from '../helpers/eventually.js';
import { definition, parseTestData, sleep, type TestData, useHosts } from './harness.js';

const { open } = useHosts();

/** Works `queue`, noting when each job ran: in order, and by key. */
async function recordRuns(queue: JobQueue<TestData, unknown>, concurrency: number) {
  const times: number[] = [];
  const byKey = new Map<string, number>();
  await queue.work(
    async (job) => {
      times.push(Date.now());
      byKey.set(job.key, Date.now());
    },
    { concurrency },
  );
  return { times, byKey };
}

describe('looks for due jobs', () => {
  it('runs a job it sent for later at its time, though its look interval is far longer, asking nothing meanwhile', async () => {
    const host = await open({ pollingIntervalSeconds: 60 });
    const queue = await host.queues.queue(definition('deadlines'), parseTestData);
    const ran = (await recordRuns(queue, 8)).times;
    await sleep(500);
    let asked = 0;
    const query = host.pool.query.bind(host.pool);
    host.pool.query = ((...args: Parameters<typeof query>) => {
      asked += 1;
      return query(...args);
    }) as typeof host.pool.query;

    await sleep(1_500);
    // Eight idle worker slots, and not one statement in a second and a half.
    expect(asked).toBe(0);

    const due = Date.now() + 1_500;
    await queue.enqueue({ key: 'dialogue:1:reply', data: { n: 1 }, dueAt: due });
    // Woken by its own due time: a look would come only a minute later.
    await eventually(() => expect(ran).toHaveLength(1), 20_000);
    expect(ran[0]).toBeGreaterThanOrEqual(due);
  });

  it('runs a job due now whose sender woke the workers before its transaction committed', async () => {
    const host = await open({ pollingIntervalSeconds: 60 });
    const queue = await host.queues.queue(definition('notify'), parseTestData);
    const ran = (await recordRuns(queue, 4)).times;
    const client = await host.pool.connect();
    try {
      await client.query('BEGIN');
      await queue.enqueue({ key: 'notice:1', data: { n: 1 } }, client);
      // Too early: the workers look and find nothing, the job is not committed yet.
      queue.wake();
      await sleep(300);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    // Found by the look a second after the send, not a minute later.
    await eventually(() => expect(ran).toHaveLength(1), 20_000);
  });

  it('a look that finds one job due still sets the next look by the job due after it', async () => {
    const host = await open({ pollingIntervalSeconds: 60 });
    const queue = await host.queues.queue(definition('notify'), parseTestData);
    const ran = (await recordRuns(queue, 2)).byKey;
    const client = await host.pool.connect();
    const later = Date.now() + 2_500;
    try {
      // Neither wakes anyone at its commit: the look a second after the sends finds the first
      // due, and must come back for the second.
      await client.query('BEGIN');
      await queue.enqueue({ key: 'notice:now', data: { n: 1 } }, client);
      await queue.enqueue({ key: 'reminder:later', data: { n: 2 }, dueAt: later }, client);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await eventually(() => expect([...ran.keys()].sort()).toEqual(['notice:now', 'reminder:later']), 20_000);
    expect(ran.get('reminder:later')).toBeGreaterThanOrEqual(later);
  });

  it('finds a job another process sent for later at its next look, and runs it then', async () => {
    const worker = await open({ pollingIntervalSeconds: 1 });
    const sender = await open({ pollingIntervalSeconds: 60 });
    const def = definition('deadlines');
    const working = await worker.queues.queue(def, parseTestData);
    const sending = await sender.queues.queue(def, parseTestData);
    const ran = (await recordRuns(working, 2)).times;

    const due = Date.now() + 2_500;
    await sending.enqueue({ key: 'reminder:9:1', data: { n: 9 }, dueAt: due });
    await eventually(() => expect(ran).toHaveLength(1), 20_000);
    expect(ran[0]).toBeGreaterThanOrEqual(due);
  });
});
