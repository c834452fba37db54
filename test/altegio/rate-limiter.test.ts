import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAltegioClient } from '../../src/altegio/client.js';
import { ALTEGIO_LIMITS, createRateLimiter } from '../../src/altegio/rate-limiter.js';
import { maxPerWindow, ok, startTestServer, type TestServer } from './fixtures/test-server.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Fires `n` acquires at once and records when each is granted (fake time). */
async function grantTimes(limiter: ReturnType<typeof createRateLimiter>, n: number, runForMs: number) {
  const granted: number[] = [];
  for (let i = 0; i < n; i++)
    void limiter.acquire().then((release) => {
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

  it('real config: 50 calls at once, at most 5 in any rolling second', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter();
    const granted = await grantTimes(limiter, 50, 20_000);
    expect(granted).toHaveLength(50);
    expect(maxPerWindow(granted, 1000)).toBe(5);
    expect(granted.slice(0, 5)).toEqual([0, 0, 0, 0, 0]); // the first burst is not delayed
    expect(granted[5]).toBe(1000);
  });

  it('real config: at most 200 in any rolling minute', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter();
    const granted = await grantTimes(limiter, 230, 120_000);
    expect(granted).toHaveLength(230);
    expect(maxPerWindow(granted, 60_000)).toBe(200);
    expect(maxPerWindow(granted, 1000)).toBe(5);
    expect(granted[200]).toBe(60_000); // the 201st waits for the first grant to leave the minute
  });

  it('serves waiters first in, first out', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ limits: [{ max: 1, windowMs: 100 }], marginMs: 0 });
    const order: number[] = [];
    for (let i = 0; i < 6; i++)
      void limiter.acquire().then((release) => {
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
    (await limiter.acquire())();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const next = limiter.acquire();
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
      void limiter.acquire().then((release) => {
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
    const first = await limiter.acquire();
    let second = -1;
    void limiter.acquire().then(() => {
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
});
