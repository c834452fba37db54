import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import { storeDialects, useDialectStores } from './harness.js';
import { testClock, useTempDatabases } from './helpers.js';

const record = { companyId: 1, recordId: 42 };

describe.each(storeDialects)('jobs on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('enqueues a dedupe key once: the second enqueue returns false and changes nothing', async () => {
    const { jobs } = await open();
    const job = { kind: 'reminder', dueAt: 1000, dedupeKey: 'reminder:1:42:24h', payload: { n: 1 }, record };
    expect(await jobs.enqueue(job)).toBe(true);
    expect(await jobs.enqueue({ ...job, dueAt: 5000, payload: { n: 2 } })).toBe(false);
    expect(await jobs.list()).toHaveLength(1);
    expect(await jobs.byDedupeKey(job.dedupeKey)).toMatchObject({
      dueAt: 1000,
      payload: { n: 1 },
      state: 'pending',
    });
  });

  it('claims a due job once only, soonest first, counting the attempt', async () => {
    const clock = testClock(10_000);
    const { jobs } = await open(clock);
    await jobs.enqueue({ kind: 'feedback', dueAt: 3000, dedupeKey: 'b', payload: null });
    await jobs.enqueue({ kind: 'reminder', dueAt: 2000, dedupeKey: 'a', payload: null });
    await jobs.enqueue({ kind: 'reminder', dueAt: 20_000, dedupeKey: 'later', payload: null });

    const claimed = await jobs.claimDue(10_000);
    expect(claimed.map((j) => j.dedupeKey)).toEqual(['a', 'b']);
    expect(claimed.every((j) => j.state === 'running' && j.attempts === 1)).toBe(true);
    expect(await jobs.claimDue(10_000)).toEqual([]);
    expect(await jobs.nextDueAt()).toBe(20_000);
  });

  it('postpones a running job without counting the attempt, so waiting never uses up retries', async () => {
    const { jobs } = await open();
    await jobs.enqueue({ kind: 'reminder', dueAt: 0, dedupeKey: 'busy', payload: null });
    for (let round = 0; round < 10; round += 1) {
      const [job] = await jobs.claimDue(round * 1000);
      if (!job) throw new Error(`not claimed in round ${round}`);
      expect(job.attempts).toBe(1);
      expect(await jobs.postpone(job.id, (round + 1) * 1000, 'the client is booking')).toBe(true);
    }
    expect(await jobs.byDedupeKey('busy')).toMatchObject({
      state: 'pending',
      attempts: 0,
      dueAt: 10_000,
      lastError: 'the client is booking',
    });
    expect(await jobs.claimDue(9_999)).toEqual([]);
    const [job] = await jobs.claimDue(10_000);
    if (!job) throw new Error('not claimed');
    expect(await jobs.postpone(job.id, 0, 'x')).toBe(true);
    // Only a running job can be postponed.
    expect(await jobs.postpone(job.id, 0, 'x')).toBe(false);
  });

  it('completes, retries with a later due time, and fails after max attempts', async () => {
    const { jobs } = await open();
    await jobs.enqueue({ kind: 'k', dueAt: 0, dedupeKey: 'x', payload: null });
    const [job] = await jobs.claimDue(0);
    if (!job) throw new Error('not claimed');

    expect(await jobs.fail(job.id, 'Altegio 502', { retryAt: 500, maxAttempts: 2 })).toBe('pending');
    expect(await jobs.get(job.id)).toMatchObject({
      state: 'pending',
      dueAt: 500,
      lastError: 'Altegio 502',
      attempts: 1,
    });
    expect(await jobs.claimDue(499)).toEqual([]);
    expect(await jobs.claimDue(500)).toHaveLength(1);
    expect(await jobs.fail(job.id, 'Altegio 502 again', { retryAt: 900, maxAttempts: 2 })).toBe('failed');
    expect(await jobs.get(job.id)).toMatchObject({
      state: 'failed',
      attempts: 2,
      lastError: 'Altegio 502 again',
    });
    expect(await jobs.fail(job.id, 'not running')).toBeNull();

    await jobs.enqueue({ kind: 'k', dueAt: 0, dedupeKey: 'y', payload: null });
    const [other] = await jobs.claimDue(0);
    if (!other) throw new Error('not claimed');
    expect(await jobs.complete(other.id)).toBe(true);
    expect(await jobs.complete(other.id)).toBe(false);
    expect((await jobs.get(other.id))?.state).toBe('done');
    // A done job's key stays taken: the work is never done twice.
    expect(await jobs.enqueue({ kind: 'k', dueAt: 0, dedupeKey: 'y', payload: null })).toBe(false);
  });

  it("cancels a record's pending jobs, optionally by kind, and revives a cancelled key", async () => {
    const { jobs } = await open();
    await jobs.enqueue({ kind: 'reminder', dueAt: 100, dedupeKey: 'r', payload: null, record });
    await jobs.enqueue({ kind: 'feedback', dueAt: 100, dedupeKey: 'f', payload: null, record });
    await jobs.enqueue({
      kind: 'reminder',
      dueAt: 100,
      dedupeKey: 'other',
      payload: null,
      record: { ...record, recordId: 43 },
    });

    expect(await jobs.cancelForRecord(record, ['reminder'])).toBe(1);
    expect(await jobs.cancelForRecord(record, [])).toBe(0);
    expect((await jobs.byDedupeKey('f'))?.state).toBe('pending');
    expect(await jobs.cancelForRecord(record)).toBe(1);
    expect((await jobs.forRecord(record)).map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
    expect((await jobs.byDedupeKey('other'))?.state).toBe('pending');

    // The visit moved back: the same reminder is wanted again, with the new time.
    expect(
      await jobs.enqueue({ kind: 'reminder', dueAt: 700, dedupeKey: 'r', payload: { v: 2 }, record }),
    ).toBe(true);
    expect(await jobs.byDedupeKey('r')).toMatchObject({
      state: 'pending',
      dueAt: 700,
      payload: { v: 2 },
      attempts: 0,
    });
  });
});

// Two connections to one file and a reopened file after a crash are SQLite's own setups.
describe('jobs on sqlite only (second connection, restart from file)', () => {
  const temp = useTempDatabases();

  it('never hands one job to two connections', () => {
    const path = temp.path();
    const a = temp.open();
    const b = createStore(path);
    try {
      for (let i = 0; i < 50; i += 1)
        a.sync.jobs.enqueue({ kind: 'k', dueAt: i, dedupeKey: `k${i}`, payload: i });
      const seen = new Set<number>();
      for (let round = 0; round < 10; round += 1) {
        for (const job of [...a.sync.jobs.claimDue(100, 3), ...b.sync.jobs.claimDue(100, 4)]) {
          expect(seen.has(job.id)).toBe(false);
          seen.add(job.id);
        }
      }
      expect(seen.size).toBe(50);
    } finally {
      b.close();
    }
  });

  it('returns jobs left running by a crash to pending on the next start', () => {
    const path = temp.path();
    const crashed = createStore(path);
    crashed.sync.jobs.enqueue({ kind: 'k', dueAt: 0, dedupeKey: 'a', payload: null });
    crashed.sync.jobs.enqueue({ kind: 'k', dueAt: 0, dedupeKey: 'b', payload: null });
    expect(crashed.sync.jobs.claimDue(0)).toHaveLength(2);
    void crashed.close(); // the process died before complete()

    const restarted = temp.open();
    expect(restarted.sync.jobs.claimDue(0)).toEqual([]);
    expect(restarted.sync.jobs.recoverInterrupted()).toBe(2);
    const again = restarted.sync.jobs.claimDue(0);
    expect(again.map((j) => [j.dedupeKey, j.attempts])).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
  });
});
