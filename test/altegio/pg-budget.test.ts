/**
 * The shared call budget on a real Postgres: each limiter has its own pool, as two engine
 * processes behind one egress IP would. Real time with short windows; every assertion counts
 * grant times as the callers saw them, which a slow machine can only spread further apart.
 */
import { setMaxListeners } from 'node:events';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgRateLimiter, type PgRateLimiterOptions } from '../../src/altegio/pg-budget.js';
import { type CallPriority, createRateLimiter, type RateLimiter } from '../../src/altegio/rate-limiter.js';
import { migratePostgres, openPostgres } from '../../src/store/pg/db.js';
import { until } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { maxPerWindow } from './fixtures/test-server.js';

let server: TestPostgres;
let database: TestDatabase;
const pools: pg.Pool[] = [];
/** Ends the waits a test leaves behind (the notifications the window never lets go). */
let leave = new AbortController();
setMaxListeners(100, leave.signal);
/** Round trips that failed; none should, except after a "process" died. */
let failures: unknown[] = [];

beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  leave.abort(new Error('test over'));
  leave = new AbortController();
  setMaxListeners(100, leave.signal);
  failures = [];
  for (const pool of pools.splice(0)) await pool.end().catch(() => undefined);
  await database?.drop();
});

async function freshDatabase(): Promise<void> {
  database = await server.createDatabase();
  const db = openPostgres(database.url);
  await migratePostgres(db);
  await db.$client.end();
}

/** One "process": its own pool on the shared database. */
function openPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: database.url, max: 3 });
  pool.on('error', () => {});
  pools.push(pool);
  return pool;
}

/** A process's limiter, counting its round trips (one `connect` per take). */
function processLimiter(options: PgRateLimiterOptions) {
  const pool = openPool();
  const counted = { takes: 0 };
  // A take checks a client out (`connect()`); a release or pause is one `pool.query`, which
  // calls `connect` with a callback.
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  pool.connect = ((...args: unknown[]) => {
    if (args.length === 0) counted.takes += 1;
    return connect(...args);
  }) as typeof pool.connect;
  const limiter = createPgRateLimiter(pool, { onError: (error) => failures.push(error), ...options });
  return { limiter, pool, counted };
}

/** Fires `n` calls of `priority`; each records when it was let go and releases at once. */
function fire(limiter: RateLimiter, n: number, priority: CallPriority = 'booking') {
  const granted: number[] = [];
  const all = Promise.all(
    Array.from({ length: n }, () =>
      limiter.acquire({ priority, signal: leave.signal }).then((release) => {
        granted.push(Date.now());
        release();
      }),
    ),
  );
  all.catch(() => undefined); // left waiting when the test ends
  return { granted, all };
}

const SHORT = [
  { max: 5, windowMs: 300 },
  { max: 12, windowMs: 1_500 },
];

describe('call budget shared through Postgres', () => {
  it('two processes together stay within both windows (each alone would not)', async () => {
    await freshDatabase();
    const a = processLimiter({ limits: SHORT });
    const b = processLimiter({ limits: SHORT });
    const fromA = fire(a.limiter, 18);
    const fromB = fire(b.limiter, 18);
    await Promise.all([fromA.all, fromB.all]);
    const all = [...fromA.granted, ...fromB.granted];
    expect(all).toHaveLength(36);
    expect(maxPerWindow(all, 300)).toBeLessThanOrEqual(5);
    expect(maxPerWindow(all, 1_500)).toBeLessThanOrEqual(12);
    expect(fromA.granted.length).toBeGreaterThan(0);
    // One transaction per grant plus one per wake-up (some lost to the other process), not one
    // per waiting caller at every wake-up (18 callers × ~8 wake-ups).
    expect(a.counted.takes).toBeLessThan(18 * 3);

    // The same load on two in-memory budgets: each keeps its own count, so together they exceed.
    const c = fire(createRateLimiter({ limits: SHORT }), 10);
    const d = fire(createRateLimiter({ limits: SHORT }), 10);
    await Promise.all([c.all, d.all]);
    expect(maxPerWindow([...c.granted, ...d.granted], 300)).toBeGreaterThan(5);
    expect(failures).toEqual([]);
  });

  it("a booking call in one process finds room the other's notifications may not fill", async () => {
    await freshDatabase();
    // A window nothing leaves during the test: only the shares decide.
    const limits = [{ max: 4, windowMs: 60_000 }];
    const notifier = processLimiter({ limits, shares: { notify: 0.5 } });
    const booker = processLimiter({ limits });
    const notices = fire(notifier.limiter, 6, 'notify');
    await until(() => notices.granted.length === 2 && notifier.limiter.pending === 4, 10_000);
    const booking = fire(booker.limiter, 2, 'booking');
    await booking.all;
    expect(booking.granted).toHaveLength(2);
    expect(notices.granted).toHaveLength(2); // still waiting: the rest of the window is not theirs
    expect(notifier.limiter.pending).toBe(4);
  });

  it('processes behind different egress IPs (ALTEGIO_EGRESS_KEY) keep separate budgets', async () => {
    await freshDatabase();
    // A window nothing leaves during the test: only the counts decide.
    const limits = [{ max: 4, windowMs: 60_000 }];
    const first = processLimiter({ limits, egressKey: 'ip-a' });
    await fire(first.limiter, 4).all;
    const otherIp = processLimiter({ limits, egressKey: 'ip-b' });
    const theirs = fire(otherIp.limiter, 4);
    await theirs.all;
    expect(theirs.granted).toHaveLength(4);
    const sameIp = processLimiter({ limits, egressKey: 'ip-a' });
    const waiting = fire(sameIp.limiter, 1);
    await until(() => sameIp.limiter.pending === 1, 10_000);
    // ip-a's window is full: its second process waits however long ip-b's is idle.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(waiting.granted).toHaveLength(0);
    expect(failures).toEqual([]);
  });

  it('a slot whose holder died counts as finished once the request timeout has passed', async () => {
    await freshDatabase();
    const limits = [{ max: 1, windowMs: 200 }];
    const dying = processLimiter({ limits, staleAfterMs: 600 });
    const takenAt = Date.now();
    await dying.limiter.acquire(); // never released: the process is killed mid-request
    await dying.pool.end();
    const survivor = processLimiter({ limits, staleAfterMs: 600 });
    const next = fire(survivor.limiter, 1);
    await next.all;
    // Freed at granted_at + 600 ms, then its 200 ms window.
    expect((next.granted[0] ?? 0) - takenAt).toBeGreaterThanOrEqual(800);
  });

  it('a 429 in one process pauses the other', async () => {
    await freshDatabase();
    const a = processLimiter({ limits: SHORT });
    const b = processLimiter({ limits: SHORT });
    const before = Date.now();
    a.limiter.pause(800);
    await until(() => a.limiter.stats().pausedUntil > 0, 5_000);
    // The pause is written without holding anyone up; wait until it is there.
    await eventuallyRow(a.pool);
    const call = fire(b.limiter, 1);
    await call.all;
    expect((call.granted[0] ?? 0) - before).toBeGreaterThanOrEqual(800);
    expect(b.limiter.stats().rateLimited).toBe(0);
    expect(failures).toEqual([]);
  });
});

async function eventuallyRow(pool: pg.Pool): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rowCount } = await pool.query('SELECT 1 FROM altegio_budget_pauses');
    if (rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the pause was never written');
}
