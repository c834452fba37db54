import pg from 'pg';
import PgBoss from 'pg-boss';
import { describe, expect, it } from 'vitest';
import type { JobQueue, QueueJob } from '../../src/queue/port.js';
import { eventually } from '../helpers/eventually.js';
import { definition, parseTestData, type TestData, useHosts } from './harness.js';

const { open, url } = useHosts();

/** pg-boss's job rows of a queue, whatever their state. */
async function jobRows(url: string, queue: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query('SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1', [queue]);
  await client.end();
  return (rows[0] as { n: number }).n;
}

describe('one dedupe key runs once', () => {
  it('when two processes enqueue the same keys together, and when the keys come again after their jobs completed', async () => {
    const [a, b] = [await open(), await open()];
    const def = definition('notify');
    const qa = await a.queues.queue(def, parseTestData);
    const qb = await b.queues.queue(def, parseTestData);
    const keys = Array.from({ length: 50 }, (_, i) => `reminder:1:${i}`);

    const added = await Promise.all(
      keys.flatMap((key, n) => [qa.enqueue({ key, data: { n } }), qb.enqueue({ key, data: { n } })]),
    );
    for (let i = 0; i < keys.length; i++)
      expect([added[2 * i], added[2 * i + 1]].filter(Boolean)).toHaveLength(1);

    const runs = new Map<string, number>();
    const handler = async (job: QueueJob<TestData>) => {
      runs.set(job.key, (runs.get(job.key) ?? 0) + 1);
    };
    await qa.work(handler, { concurrency: 3 });
    await qb.work(handler, { concurrency: 3 });
    await eventually(async () => {
      for (const key of keys) expect(await qa.state(key)).toBe('done');
    });

    // A replayed webhook plans the same work again, from either process: nothing is added.
    const replayed = await Promise.all(
      keys.flatMap((key) => [qa.enqueue({ key, data: { n: -1 } }), qb.enqueue({ key, data: { n: -1 } })]),
    );
    expect(replayed.every((x) => x === false)).toBe(true);
    // A job enqueued after the replays runs: the workers kept polling, and still every key ran once.
    await qa.enqueue({ key: 'after', data: { n: 0 } });
    await eventually(async () => expect(await qb.state('after')).toBe('done'));
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(runs.size).toBe(keys.length + 1);
    expect(await jobRows(url(), 'notify')).toBe(keys.length + 1);
  });

  it('why a key ledger: pg-boss alone accepts a finished singleton key again (its indexes cover queued and active jobs)', async () => {
    const boss = new PgBoss({
      connectionString: url(),
      schema: 'evidence',
      schedule: false,
      supervise: false,
    });
    boss.on('error', () => {});
    await boss.start();
    try {
      await boss.createQueue('stately-q', { name: 'stately-q', policy: 'stately' });
      const first = await boss.send('stately-q', {}, { singletonKey: 'record-7' });
      expect(first).not.toBeNull();
      // While it is queued, the policy refuses the key…
      expect(await boss.send('stately-q', {}, { singletonKey: 'record-7' })).toBeNull();
      const [job] = await boss.fetch('stately-q');
      expect(job?.id).toBe(first);
      await boss.complete('stately-q', first ?? '');
      // …but once it completed, the same key is a new job: a replayed webhook would run it twice.
      const again = await boss.send('stately-q', {}, { singletonKey: 'record-7' });
      expect(again).not.toBeNull();
      expect(again).not.toBe(first);
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });

  it('a cancelled job never runs and its key may be planned again; a finished one cannot be cancelled', async () => {
    const host = await open();
    const queue: JobQueue<TestData, pg.PoolClient> = await host.queues.queue(
      definition('notify'),
      parseTestData,
    );
    const later = Date.now() + 3_600_000;
    expect(await queue.enqueue({ key: 'reminder:1:9', data: { n: 1 }, dueAt: later })).toBe(true);
    expect(await queue.state('reminder:1:9')).toBe('queued');
    expect(await queue.cancel('reminder:1:9')).toBe(true);
    expect(await queue.state('reminder:1:9')).toBeUndefined();
    expect(await queue.enqueue({ key: 'reminder:1:9', data: { n: 2 }, dueAt: Date.now() })).toBe(true);

    const seen: number[] = [];
    await queue.work(
      async (job) => {
        seen.push(job.data.n);
      },
      { concurrency: 1 },
    );
    await eventually(async () => expect(await queue.state('reminder:1:9')).toBe('done'));
    expect(seen).toEqual([2]);
    expect(await queue.cancel('reminder:1:9')).toBe(false);
    expect(await queue.enqueue({ key: 'reminder:1:9', data: { n: 3 } })).toBe(false);
  });
});
