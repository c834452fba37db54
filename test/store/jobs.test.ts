import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import { testClock, useTempDatabases } from './helpers.js';

const record = { companyId: 1, recordId: 42 };

describe('jobs', () => {
  const temp = useTempDatabases();

  it('enqueues a dedupe key once: the second enqueue returns false and changes nothing', () => {
    const { jobs } = temp.open().sync;
    const job = { kind: 'reminder', dueAt: 1000, dedupeKey: 'reminder:1:42:24h', payload: { n: 1 }, record };
    expect(jobs.enqueue(job)).toBe(true);
    expect(jobs.enqueue({ ...job, dueAt: 5000, payload: { n: 2 } })).toBe(false);
    expect(jobs.list()).toHaveLength(1);
    expect(jobs.byDedupeKey(job.dedupeKey)).toMatchObject({
      dueAt: 1000,
      payload: { n: 1 },
      state: 'pending',
    });
  });

  it('claims a due job once only, soonest first, counting the attempt', () => {
    const clock = testClock(10_000);
    const { jobs } = temp.open(undefined, clock).sync;
    jobs.enqueue({ kind: 'feedback', dueAt: 3000, dedupeKey: 'b', payload: null });
    jobs.enqueue({ kind: 'reminder', dueAt: 2000, dedupeKey: 'a', payload: null });
    jobs.enqueue({ kind: 'reminder', dueAt: 20_000, dedupeKey: 'later', payload: null });

    const claimed = jobs.claimDue(10_000);
    expect(claimed.map((j) => j.dedupeKey)).toEqual(['a', 'b']);
    expect(claimed.every((j) => j.state === 'running' && j.attempts === 1)).toBe(true);
    expect(jobs.claimDue(10_000)).toEqual([]);
    expect(jobs.nextDueAt()).toBe(20_000);
  });

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

  it('postpones a running job without counting the attempt, so waiting never uses up retries', () => {
    const { jobs } = temp.open().sync;
    jobs.enqueue({ kind: 'reminder', dueAt: 0, dedupeKey: 'busy', payload: null });
    for (let round = 0; round < 10; round += 1) {
      const [job] = jobs.claimDue(round * 1000);
      if (!job) throw new Error(`not claimed in round ${round}`);
      expect(job.attempts).toBe(1);
      expect(jobs.postpone(job.id, (round + 1) * 1000, 'the client is booking')).toBe(true);
    }
    expect(jobs.byDedupeKey('busy')).toMatchObject({
      state: 'pending',
      attempts: 0,
      dueAt: 10_000,
      lastError: 'the client is booking',
    });
    expect(jobs.claimDue(9_999)).toEqual([]);
    const [job] = jobs.claimDue(10_000);
    if (!job) throw new Error('not claimed');
    expect(jobs.postpone(job.id, 0, 'x')).toBe(true);
    // Only a running job can be postponed.
    expect(jobs.postpone(job.id, 0, 'x')).toBe(false);
  });

  it('completes, retries with a later due time, and fails after max attempts', () => {
    const { jobs } = temp.open().sync;
    jobs.enqueue({ kind: 'k', dueAt: 0, dedupeKey: 'x', payload: null });
    const [job] = jobs.claimDue(0);
    if (!job) throw new Error('not claimed');

    expect(jobs.fail(job.id, 'Altegio 502', { retryAt: 500, maxAttempts: 2 })).toBe('pending');
    expect(jobs.get(job.id)).toMatchObject({
      state: 'pending',
      dueAt: 500,
      lastError: 'Altegio 502',
      attempts: 1,
    });
    expect(jobs.claimDue(499)).toEqual([]);
    expect(jobs.claimDue(500)).toHaveLength(1);
    expect(jobs.fail(job.id, 'Altegio 502 again', { retryAt: 900, maxAttempts: 2 })).toBe('failed');
    expect(jobs.get(job.id)).toMatchObject({ state: 'failed', attempts: 2, lastError: 'Altegio 502 again' });
    expect(jobs.fail(job.id, 'not running')).toBeNull();

    jobs.enqueue({ kind: 'k', dueAt: 0, dedupeKey: 'y', payload: null });
    const [other] = jobs.claimDue(0);
    if (!other) throw new Error('not claimed');
    expect(jobs.complete(other.id)).toBe(true);
    expect(jobs.complete(other.id)).toBe(false);
    expect(jobs.get(other.id)?.state).toBe('done');
    // A done job's key stays taken: the work is never done twice.
    expect(jobs.enqueue({ kind: 'k', dueAt: 0, dedupeKey: 'y', payload: null })).toBe(false);
  });

  it("cancels a record's pending jobs, optionally by kind, and revives a cancelled key", () => {
    const { jobs } = temp.open().sync;
    jobs.enqueue({ kind: 'reminder', dueAt: 100, dedupeKey: 'r', payload: null, record });
    jobs.enqueue({ kind: 'feedback', dueAt: 100, dedupeKey: 'f', payload: null, record });
    jobs.enqueue({
      kind: 'reminder',
      dueAt: 100,
      dedupeKey: 'other',
      payload: null,
      record: { ...record, recordId: 43 },
    });

    expect(jobs.cancelForRecord(record, ['reminder'])).toBe(1);
    expect(jobs.cancelForRecord(record, [])).toBe(0);
    expect(jobs.byDedupeKey('f')?.state).toBe('pending');
    expect(jobs.cancelForRecord(record)).toBe(1);
    expect(jobs.forRecord(record).map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
    expect(jobs.byDedupeKey('other')?.state).toBe('pending');

    // The visit moved back: the same reminder is wanted again, with the new time.
    expect(jobs.enqueue({ kind: 'reminder', dueAt: 700, dedupeKey: 'r', payload: { v: 2 }, record })).toBe(
      true,
    );
    expect(jobs.byDedupeKey('r')).toMatchObject({
      state: 'pending',
      dueAt: 700,
      payload: { v: 2 },
      attempts: 0,
    });
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
