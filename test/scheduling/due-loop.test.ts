import { describe, expect, it } from 'vitest';
import { createDueLoop } from '../../src/scheduling/due-loop.js';
import { ManualClock } from '../helpers/manual-clock.js';

/** A table of due times; `run` takes what is due, as the jobs, outbox and deadline tables do. */
function table(clock: ManualClock) {
  const rows: number[] = [];
  const ran: number[] = [];
  return {
    rows,
    ran,
    add(at: number) {
      rows.push(at);
    },
    nextDueAt: () => (rows.length === 0 ? undefined : Math.min(...rows)),
    run() {
      const now = clock.now();
      ran.push(now);
      for (let i = rows.length - 1; i >= 0; i -= 1) if ((rows[i] ?? Infinity) <= now) rows.splice(i, 1);
    },
  };
}

describe('createDueLoop', () => {
  it('runs what is due at start, then sleeps exactly until the next due row', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const work = table(clock);
    work.add(t0 - 1);
    work.add(t0 + 10_000);
    const loop = createDueLoop({ ...work, clock, timers: clock, maxSleepMs: 60_000, onError: () => {} });
    await loop.start();
    expect(work.ran).toEqual([t0]);
    expect(work.rows).toEqual([t0 + 10_000]);

    await clock.advance(9_999);
    expect(work.ran).toEqual([t0]);
    await clock.advance(1);
    expect(work.ran).toEqual([t0, t0 + 10_000]);
    expect(work.rows).toEqual([]);
    await loop.stop();
  });

  it('never sleeps longer than its cap, so rows written elsewhere are noticed', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const work = table(clock);
    const loop = createDueLoop({ ...work, clock, timers: clock, maxSleepMs: 5_000, onError: () => {} });
    await loop.start();
    // Another process writes a row; nobody wakes this loop.
    work.add(t0 + 1_000);
    await clock.advance(4_999);
    expect(work.ran).toEqual([t0]);
    await clock.advance(1);
    expect(work.ran).toEqual([t0, t0 + 5_000]);
    await loop.stop();
  });

  it('wakes for a row that is due sooner than the current sleep', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const work = table(clock);
    work.add(t0 + 60_000);
    const loop = createDueLoop({ ...work, clock, timers: clock, maxSleepMs: 600_000, onError: () => {} });
    await loop.start();
    work.add(t0 + 2_000);
    loop.wake();
    await clock.flush();
    // The wake looked (nothing due yet) and re-aimed the sleep at the new soonest row.
    expect(clock.sleeping()).toEqual([t0 + 2_000]);
    await clock.advance(2_000);
    expect(work.ran.at(-1)).toBe(t0 + 2_000);
    expect(work.rows).toEqual([t0 + 60_000]);
    await loop.stop();
  });

  it('shares one look among many wakes in one tick, and one run among many runNow calls', async () => {
    const clock = new ManualClock();
    const work = table(clock);
    let looks = 0;
    const loop = createDueLoop({
      ...work,
      nextDueAt: () => {
        looks += 1;
        return work.nextDueAt();
      },
      clock,
      timers: clock,
      maxSleepMs: 60_000,
      onError: () => {},
    });
    await loop.start();
    expect([looks, work.ran.length]).toEqual([1, 1]);
    for (let i = 0; i < 50; i += 1) loop.wake();
    await clock.flush();
    expect([looks, work.ran.length]).toEqual([2, 1]);
    for (let i = 0; i < 50; i += 1) loop.runNow();
    await clock.flush();
    expect([looks, work.ran.length]).toEqual([3, 2]);
    await loop.stop();
  });

  it('runs again after a run during which it was woken, and never runs twice at once', async () => {
    const clock = new ManualClock();
    let release: (() => void) | undefined;
    let active = 0;
    let most = 0;
    let runs = 0;
    const loop = createDueLoop({
      nextDueAt: () => undefined,
      run: async () => {
        runs += 1;
        active += 1;
        most = Math.max(most, active);
        if (runs === 2) await new Promise<void>((resolve) => (release = resolve));
        active -= 1;
      },
      clock,
      timers: clock,
      maxSleepMs: 60_000,
      onError: () => {},
    });
    await loop.start();
    loop.runNow();
    await clock.flush();
    expect(runs).toBe(2);
    // Asked twice while the second run waits: one more run follows it, not two at once.
    loop.runNow();
    loop.runNow();
    await clock.flush();
    expect(runs).toBe(2);
    release?.();
    await clock.flush();
    expect(runs).toBe(3);
    expect(most).toBe(1);
    await loop.stop();
  });

  it('reports a failing run and keeps watching', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const errors: unknown[] = [];
    let runs = 0;
    const loop = createDueLoop({
      nextDueAt: () => (runs < 2 ? t0 + 1_000 : undefined),
      run: () => {
        runs += 1;
        if (runs === 1) throw new Error('database is locked');
      },
      clock,
      timers: clock,
      maxSleepMs: 60_000,
      onError: (error) => errors.push(error),
    });
    await loop.start();
    expect(errors).toHaveLength(1);
    await clock.advance(1_000);
    expect(runs).toBe(2);
    await loop.stop();
  });

  it('waits for the run in progress on stop, and runs no more after it', async () => {
    const clock = new ManualClock();
    let release: (() => void) | undefined;
    let finished = false;
    let runs = 0;
    const loop = createDueLoop({
      nextDueAt: () => clock.now(),
      run: async () => {
        runs += 1;
        if (runs === 2) {
          await new Promise<void>((resolve) => (release = resolve));
          finished = true;
        }
      },
      clock,
      timers: clock,
      maxSleepMs: 60_000,
      onError: () => {},
    });
    await loop.start();
    await clock.flush();
    expect(runs).toBe(2);
    const stopped = loop.stop();
    release?.();
    await stopped;
    expect(finished).toBe(true);
    await clock.advance(120_000);
    expect(runs).toBe(2);
    expect(clock.sleeping()).toEqual([]);
  });
});
