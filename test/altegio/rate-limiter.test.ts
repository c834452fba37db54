import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAltegioClient } from '../../src/altegio/client.js';
import {
  ALTEGIO_BUDGET,
  ALTEGIO_LIMITS,
  type CallPriority,
  createRateLimiter,
  type LimiterClock,
} from '../../src/altegio/rate-limiter.js';
import { maxPerWindow, ok, startTestServer, type TestServer } from './fixtures/test-server.js';

afterEach(() => {
  vi.useRealTimers();
});

/** The most urgent calls may fill every window completely. */
const BOOKING = { priority: 'booking' } as const;

/** Fires `n` acquires at once and records when each is granted (fake time). */
async function grantTimes(limiter: ReturnType<typeof createRateLimiter>, n: number, runForMs: number) {
  const granted: number[] = [];
  for (let i = 0; i < n; i++)
    void limiter.acquire(BOOKING).then((release) => {
      granted.push(Date.now());
      release(); // an instant answer
    });
  await vi.advanceTimersByTimeAsync(runForMs);
  return granted;
}

describe('rate limiter (fake time)', () => {
  it("uses Altegio's documented limits by default", () => {
    expect(ALTEGIO_LIMITS).toEqual([
      { max: 5, windowMs: 1000 },
      { max: 200, windowMs: 60_000 },
    ]);
  });

  it('published limits exactly: at most 5 in any rolling second, the first burst not delayed', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ limits: ALTEGIO_LIMITS });
    const granted = await grantTimes(limiter, 50, 20_000);
    expect(granted).toHaveLength(50);
    expect(maxPerWindow(granted, 1000)).toBe(5);
    expect(granted.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(granted[5]).toBe(1000);
  });

  it('published limits exactly: at most 200 in any rolling minute', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ limits: ALTEGIO_LIMITS });
    const granted = await grantTimes(limiter, 230, 120_000);
    expect(granted).toHaveLength(230);
    expect(maxPerWindow(granted, 60_000)).toBe(200);
    expect(maxPerWindow(granted, 1000)).toBe(5);
    expect(granted[200]).toBe(60_000); // the 201st waits for the first grant to leave the minute
  });

  it('the default budget keeps a margin under both published limits', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter();
    const granted = await grantTimes(limiter, 260, 180_000);
    expect(granted).toHaveLength(260);
    // Even if Altegio's clock ran 100 ms apart from ours, neither limit would be reached.
    expect(maxPerWindow(granted, 1_100)).toBeLessThanOrEqual(5);
    expect(maxPerWindow(granted, 60_900)).toBeLessThan(200);
    expect(ALTEGIO_BUDGET.every((b, i) => b.max <= (ALTEGIO_LIMITS[i]?.max ?? 0))).toBe(true);
  });

  it('serves waiters first in, first out', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ limits: [{ max: 1, windowMs: 100 }], marginMs: 0 });
    const order: number[] = [];
    for (let i = 0; i < 6; i++)
      void limiter.acquire(BOOKING).then((release) => {
        order.push(i);
        release();
      });
    expect(limiter.pending).toBe(5);
    await vi.advanceTimersByTimeAsync(1000);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('lets an aborted waiter leave the queue without blocking others', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ limits: [{ max: 1, windowMs: 100 }], marginMs: 0 });
    (await limiter.acquire(BOOKING))();
    const controller = new AbortController();
    const aborted = limiter.acquire({ ...BOOKING, signal: controller.signal });
    const next = limiter.acquire(BOOKING);
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    await vi.advanceTimersByTimeAsync(100);
    await expect(next).resolves.toBeTypeOf('function');
    expect(limiter.pending).toBe(0);
  });

  it('accepts an injected clock', async () => {
    let now = 0;
    const timers: Array<{ at: number; fn: () => void }> = [];
    const limiter = createRateLimiter({
      limits: [{ max: 2, windowMs: 1000 }],
      marginMs: 0,
      clock: {
        now: () => now,
        setTimeout: (fn, ms) => timers.push({ at: now + ms, fn }),
        clearTimeout: () => {},
      },
    });
    const granted: number[] = [];
    for (let i = 0; i < 3; i++)
      void limiter.acquire(BOOKING).then((release) => {
        granted.push(now);
        release();
      });
    await Promise.resolve();
    expect(granted).toEqual([0, 0]);
    now = 1000;
    timers.shift()?.fn();
    await Promise.resolve();
    expect(granted).toEqual([0, 0, 1000]);
  });

  it('counts a slow request until it finishes (the server sees arrivals, not sends)', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ limits: [{ max: 1, windowMs: 1000 }] });
    const first = await limiter.acquire(BOOKING);
    let second = -1;
    void limiter.acquire(BOOKING).then(() => {
      second = Date.now();
    });
    await vi.advanceTimersByTimeAsync(3000);
    expect(second).toBe(-1); // still in flight: its arrival time is unknown
    first();
    await vi.advanceTimersByTimeAsync(999);
    expect(second).toBe(-1);
    await vi.advanceTimersByTimeAsync(1);
    expect(second).toBe(4000);
  });

  it('refuses nonsensical limits', () => {
    expect(() => createRateLimiter({ limits: [] })).toThrow();
    expect(() => createRateLimiter({ limits: [{ max: 0, windowMs: 1000 }] })).toThrow();
  });
});

/** A clock the test moves by hand: timers fire only when `advance` passes them. */
function manualClock() {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 1;
  const clock: LimiterClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (handle) => {
      timers = timers.filter((timer) => timer.id !== handle);
    },
  };
  return {
    clock,
    get now() {
      return now;
    },
    /** Moves time forward, firing due timers in order, letting promises settle after each. */
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        await flush();
        const due = timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((timer) => timer !== due);
        now = Math.max(now, due.at);
        due.fn();
      }
      now = until;
      await flush();
    },
  };
}

async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('call budget: priorities, 429 and waiting (injected time)', () => {
  const oneASecond = [{ max: 1, windowMs: 1000 }];

  it('serves a booking step before writes, notifications and sync queued earlier', async () => {
    const time = manualClock();
    const limiter = createRateLimiter({ limits: oneASecond, clock: time.clock });
    (await limiter.acquire())(); // the second's only slot is used
    const order: CallPriority[] = [];
    for (const priority of ['sync', 'notify', 'write', 'booking'] as const)
      void limiter.acquire({ priority }).then((release) => {
        order.push(priority);
        release();
      });
    await time.advance(10_000);
    expect(order).toEqual(['booking', 'write', 'notify', 'sync']);
  });

  it('keeps part of the minute for booking steps whatever the background used', async () => {
    const time = manualClock();
    const limiter = createRateLimiter({ limits: [{ max: 100, windowMs: 60_000 }], clock: time.clock });
    let syncGranted = 0;
    for (let i = 0; i < 100; i++)
      void limiter.acquire({ priority: 'sync' }).then((release) => {
        syncGranted++;
        release();
      });
    await time.advance(1_000);
    expect(syncGranted).toBe(50); // sync may fill half the minute
    let booked = -1;
    void limiter.acquire({ priority: 'booking' }).then((release) => {
      booked = time.now;
      release();
    });
    await time.advance(1);
    expect(booked).toBe(1_000); // at once, not after the minute
    expect(limiter.stats().pending.sync).toBe(50);
  });

  it('honours a 429: nothing is let go until the pause is over', async () => {
    const time = manualClock();
    const limiter = createRateLimiter({ limits: [{ max: 5, windowMs: 1000 }], clock: time.clock });
    limiter.pause(3_000);
    let at = -1;
    void limiter.acquire({ priority: 'booking' }).then((release) => {
      at = time.now;
      release();
    });
    await time.advance(2_999);
    expect(at).toBe(-1);
    await time.advance(1);
    expect(at).toBe(3_000);
    expect(limiter.stats().rateLimited).toBe(1);
  });

  it('tells a queued caller its estimated wait, and when the wait is over', async () => {
    const time = manualClock();
    const limiter = createRateLimiter({ limits: oneASecond, clock: time.clock });
    (await limiter.acquire())();
    const heard: Array<{ estimateMs: number; ahead: number }> = [];
    const ended: number[] = [];
    const calls = [0, 1, 2].map(() =>
      limiter.acquire({
        priority: 'booking',
        onQueued: (info) => {
          heard.push({ estimateMs: info.estimateMs, ahead: info.ahead });
          return () => ended.push(time.now);
        },
      }),
    );
    expect(heard).toEqual([
      { estimateMs: 1000, ahead: 0 },
      { estimateMs: 2000, ahead: 1 },
      { estimateMs: 3000, ahead: 2 },
    ]);
    expect(limiter.estimateWait('booking')).toBe(4000);
    expect(limiter.estimateWait('sync')).toBe(4000);
    for (const call of calls) void call.then((release) => release());
    await time.advance(3_000);
    expect(ended).toEqual([1000, 2000, 3000]);
  });

  it('a call granted at once is not reported as queued', async () => {
    const time = manualClock();
    const limiter = createRateLimiter({ limits: [{ max: 5, windowMs: 1000 }], clock: time.clock });
    let queued = 0;
    const release = await limiter.acquire({ onQueued: () => void queued++ });
    release();
    expect(queued).toBe(0);
    expect(limiter.estimateWait('booking')).toBe(0);
    expect(limiter.stats()).toMatchObject({ inFlight: 0, granted: { notify: 1 }, used: [1] });
  });

  it('an aborted head of the queue lets the next one go on time', async () => {
    const time = manualClock();
    const limiter = createRateLimiter({ limits: oneASecond, clock: time.clock });
    (await limiter.acquire())();
    const controller = new AbortController();
    const first = limiter.acquire({ priority: 'booking', signal: controller.signal });
    let second = -1;
    void limiter.acquire({ priority: 'write' }).then((release) => {
      second = time.now;
      release();
    });
    controller.abort(new Error('client left'));
    await expect(first).rejects.toThrow('client left');
    await time.advance(1_000);
    expect(second).toBe(1_000);
    expect(limiter.pending).toBe(0);
  });
});

describe('rate limiter over real HTTP', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('50 calls at once: the server sees at most 5 in any second', async () => {
    server = await startTestServer(() => ok([]));
    // Real windows are tested above with fake time; here one "second" is 200 ms to keep the test short.
    const limiter = createRateLimiter({ limits: [{ max: 5, windowMs: 200 }] });
    const client = createAltegioClient({ baseUrl: server.url, partnerToken: 'p', limiter });
    await Promise.all(Array.from({ length: 50 }, (_, i) => client.bookStaff(42, { serviceIds: [i] })));
    const arrivals = server.seen.map((r) => r.at);
    expect(arrivals).toHaveLength(50);
    expect(maxPerWindow(arrivals, 200)).toBeLessThanOrEqual(5);
  });

  it('a 429 pauses the whole budget and the call goes through after it, not failing', async () => {
    server = await startTestServer((_req, seen) =>
      seen.length === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: {} } : ok([]),
    );
    const limiter = createRateLimiter({ limits: [{ max: 5, windowMs: 200 }] });
    const client = createAltegioClient({ baseUrl: server.url, partnerToken: 'p', limiter });
    const booking = client.withPriority('booking');
    await expect(booking.bookStaff(42)).resolves.toEqual([]);
    expect(server.seen).toHaveLength(2);
    // Retry-After: 1 → the second attempt left at least a second after the first.
    expect((server.seen[1]?.at ?? 0) - (server.seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(limiter.stats()).toMatchObject({ rateLimited: 1, granted: { booking: 2 } });
  });
});
