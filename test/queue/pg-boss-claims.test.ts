import { describe, expect, it } from 'vitest';
import type { QueueJob } from '../../src/queue/port.js';
import { eventually } from '../helpers/eventually.js';
import { definition, parseTestData, sleep, type TestData, useHosts } from './harness.js';

const { open } = useHosts();

describe('several workers', () => {
  it('three processes claim 300 jobs and each job runs exactly once', async () => {
    const def = definition('notify');
    const processes = [await open(), await open(), await open()];
    const queues = await Promise.all(processes.map((host) => host.queues.queue(def, parseTestData)));
    const runs = new Map<number, number>();
    const byProcess = [0, 0, 0];
    for (const [index, queue] of queues.entries()) {
      await queue.work(
        async (job: QueueJob<TestData>) => {
          runs.set(job.data.n, (runs.get(job.data.n) ?? 0) + 1);
          byProcess[index] = (byProcess[index] ?? 0) + 1;
          await sleep(5);
        },
        { concurrency: 4 },
      );
    }
    const first = queues[0];
    if (!first) throw new Error('no queue');
    await Promise.all(Array.from({ length: 300 }, (_, n) => first.enqueue({ key: `job:${n}`, data: { n } })));
    await eventually(() => expect(runs.size).toBe(300), 60_000);
    // Let any duplicate claim surface before counting.
    await eventually(async () => {
      for (const n of [0, 150, 299]) expect(await first.state(`job:${n}`)).toBe('done');
    });
    await sleep(500);
    expect([...runs.values()].filter((count) => count !== 1)).toEqual([]);
    expect(byProcess.reduce((a, b) => a + b, 0)).toBe(300);
  });

  it('a due interactive reply runs before bulk notices queued earlier', async () => {
    const host = await open();
    const queue = await host.queues.queue(definition('outbox'), parseTestData);
    for (let n = 0; n < 5; n++) await queue.enqueue({ key: `bulk:${n}`, data: { n }, priority: 0 });
    await queue.enqueue({ key: 'reply', data: { n: 99 }, priority: 1 });
    const order: number[] = [];
    await queue.work(
      async (job) => {
        order.push(job.data.n);
      },
      { concurrency: 1 },
    );
    await eventually(() => expect(order).toHaveLength(6));
    expect(order[0]).toBe(99);
  });
});

describe("enqueueing in the caller's transaction", () => {
  it('a rolled-back enqueue leaves nothing, not even its key; a committed one is worked, and only after the commit', async () => {
    const host = await open();
    const queue = await host.queues.queue(definition('outbox'), parseTestData);
    const ran: string[] = [];
    await queue.work(
      async (job) => {
        ran.push(job.key);
      },
      { concurrency: 2 },
    );
    await host.pool.query('CREATE TABLE dialogue_steps (id int PRIMARY KEY)');

    const client = await host.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO dialogue_steps VALUES (1)');
      expect(await queue.enqueue({ key: 'dialogue:1:1:0', data: { n: 1 } }, client)).toBe(true);
      await client.query('ROLLBACK');

      await client.query('BEGIN');
      await client.query('INSERT INTO dialogue_steps VALUES (2)');
      expect(await queue.enqueue({ key: 'dialogue:1:2:0', data: { n: 2 } }, client)).toBe(true);
      // Uncommitted: no worker can see it, over several polls.
      await sleep(1500);
      expect(ran).toEqual([]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    queue.wake();
    await eventually(() => expect(ran).toEqual(['dialogue:1:2:0']));
    expect(await queue.state('dialogue:1:1:0')).toBeUndefined();
    const { rows } = await host.pool.query('SELECT id FROM dialogue_steps ORDER BY id');
    expect(rows).toEqual([{ id: 2 }]);
    // The rolled-back key was never taken: the step, run again, queues its message.
    expect(await queue.enqueue({ key: 'dialogue:1:1:0', data: { n: 1 } })).toBe(true);
    await eventually(() => expect(ran).toContain('dialogue:1:1:0'));
  });
});
