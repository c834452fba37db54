/**
 * The call budget shared through Postgres. Altegio limits per egress IP, so when several engine
 * processes leave through the same IP their calls must fit 5/s and 200/min *together*. Each
 * process keeps its own queue (by priority, see `rate-limiter.ts`) and asks this ledger for one
 * slot at a time; the ledger decides in one short transaction against every process's slots.
 *
 * A take: `BEGIN; pg_advisory_xact_lock(key)`, read the pause and the slots still inside the
 * longest window, decide with the same `firstFreeAt` as in memory, insert the slot or answer
 * "retry at T", `COMMIT`. The lock serialises the deciders of one egress key only, and only for
 * two statements; a release is one `UPDATE` outside it (it can only make room, so a decider that
 * missed it was merely cautious).
 *
 * Times are the processes' own clocks (epoch ms, as in memory), so hosts behind one IP need NTP;
 * the budget's margin (150 ms on the second, 1 s on the minute) is far above NTP's drift.
 * The tables are `altegio_budget_slots` and `altegio_budget_pauses` (src/store/pg/schema.ts).
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Pool, PoolClient } from 'pg';
import type { BudgetLedger, LedgerView, TakeAnswer } from './budget-ledger.js';
import { type BudgetWindow, firstFreeAt } from './budget-windows.js';
import {
  type CallPriority,
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';

/** The key every process of one deployment shares unless told otherwise (one egress IP). */
export const DEFAULT_EGRESS_KEY = 'default';

/** Options of {@link createPgBudgetLedger}. */
export interface PgBudgetOptions {
  /** Processes with the same key share one budget: one key per egress IP. Default {@link DEFAULT_EGRESS_KEY}. */
  egressKey?: string | undefined;
  /**
   * A slot still in flight after this long counts as finished at `granted_at + staleAfterMs`: its
   * holder died (SIGKILL, lost host) and will never release it. Above the transport's request
   * timeout (15 s per attempt), so a live slow call is never counted as gone. Default 30 s.
   */
  staleAfterMs?: number | undefined;
  /** When every slot of a window is in flight, ask again after this long (other processes' releases are not announced). Default 100 ms. */
  pollMs?: number | undefined;
  /** Up to this much is added to each "retry at", so processes waiting for the same slot do not all ask at once. Default 20 ms. */
  jitterMs?: number | undefined;
  /** After a failed round trip (database away), ask again after this long. Default 1 s. */
  errorRetryMs?: number | undefined;
  /** Written into each slot row, to tell who holds what. Default `<hostname>:<pid>`. */
  holder?: string | undefined;
  /** Told about failed round trips (the budget itself keeps waiting). */
  onError?: ((error: unknown, operation: 'take' | 'release' | 'pause') => void) | undefined;
  /** Default Math.random; injectable so tests can leave jitter out. */
  random?: (() => number) | undefined;
}

/**
 * Advisory locks are one namespace per database, shared with pg-boss (which takes single-bigint
 * locks). The two-int form lives apart from those, and this first int marks the budget's.
 */
const LOCK_NAMESPACE = 0x416c_7467; // "Altg"

/** A stable 32-bit lock id for an egress key, computed here so no text goes into the lock statement. */
function lockId(egressKey: string): number {
  return createHash('sha256').update(`altegio-budget:${egressKey}`).digest().readInt32BE(0);
}

interface StateRow {
  paused_until: number | null;
  granted: Array<number | null> | null;
  finished: Array<number | null> | null;
}

/** The budget's ledger in Postgres, for {@link createRateLimiter}'s `ledger` option. */
export function createPgBudgetLedger(pool: Pool, options: PgBudgetOptions = {}): BudgetLedger {
  const key = options.egressKey ?? DEFAULT_EGRESS_KEY;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const pollMs = options.pollMs ?? 100;
  const jitterMs = options.jitterMs ?? 20;
  const errorRetryMs = options.errorRetryMs ?? 1_000;
  const holder = options.holder ?? `${hostname()}:${process.pid}`;
  const random = options.random ?? Math.random;
  const lock = `SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, ${lockId(key)})`;
  /** What the last take read, kept up to date with this process's own grants and releases. */
  let known: { finished: number[]; inFlight: number } = { finished: [], inFlight: 0 };
  let pausedUntil = 0;
  let longestSeen = 0;
  let nextPruneAt = 0;

  function report(error: unknown, operation: 'take' | 'release' | 'pause'): void {
    try {
      options.onError?.(error, operation);
    } catch {
      // A logging hook must not break the budget.
    }
  }

  const jitter = () => Math.floor(random() * (jitterMs + 1));

  /** The occupancy as `firstFreeAt` wants it, from the rows of every process. */
  function occupancyOf(row: StateRow, now: number, longest: number) {
    const finished: number[] = [];
    let inFlight = 0;
    const granted = row.granted ?? [];
    const ends = row.finished ?? [];
    for (let i = 0; i < granted.length; i++) {
      const grantedAt = granted[i] ?? 0;
      let end = ends[i] ?? null;
      if (end === null) {
        // A holder that never came back: its request is over by now, whatever happened to it.
        if (grantedAt + staleAfterMs > now) {
          inFlight += 1;
          continue;
        }
        end = grantedAt + staleAfterMs;
      }
      if (end + longest > now) finished.push(end);
    }
    // Processes finish in any order; the window arithmetic wants ascending finish times.
    finished.sort((a, b) => a - b);
    return { finished, inFlight };
  }

  async function take(
    windows: readonly BudgetWindow[],
    now: number,
    priority: CallPriority,
  ): Promise<TakeAnswer> {
    const longest = Math.max(...windows.map((w) => w.windowMs));
    longestSeen = Math.max(longestSeen, longest);
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      await client.query(`BEGIN; ${lock}`);
      // Slots whose end may still lie inside the longest window: finished ones by their finish,
      // in-flight ones all (a stale one's end is computed above). float8: ms since the epoch fit
      // exactly, and node-postgres returns int8 as strings.
      const state = await client.query<StateRow>(
        `SELECT (SELECT paused_until FROM altegio_budget_pauses WHERE egress_key = $1)::float8 AS paused_until,
                array_agg(granted_at::float8 ORDER BY id) AS granted,
                array_agg(finished_at::float8 ORDER BY id) AS finished
           FROM altegio_budget_slots
          WHERE egress_key = $1 AND (finished_at IS NULL OR finished_at > $2)`,
        [key, now - longest],
      );
      const row = state.rows[0] ?? { paused_until: null, granted: null, finished: null };
      const occupancy = occupancyOf(row, now, longest);
      known = occupancy;
      pausedUntil = Math.max(pausedUntil, row.paused_until ?? 0);
      const at = Math.max(pausedUntil, firstFreeAt(occupancy, windows, now));
      if (at > now) {
        await client.query('COMMIT');
        // Only a release frees an in-flight slot, and other processes' releases are not announced.
        return { retryAt: (at === Number.POSITIVE_INFINITY ? now + pollMs : at) + jitter() };
      }
      const inserted = await client.query<{ id: number }>(
        `INSERT INTO altegio_budget_slots (egress_key, priority, granted_at, holder)
         VALUES ($1, $2, $3, $4) RETURNING id::float8 AS id`,
        [key, priority, now, holder],
      );
      if (now >= nextPruneAt) {
        // Rows older than the longest window count for nothing; one process or another prunes them.
        nextPruneAt = now + longest;
        await client.query(
          `DELETE FROM altegio_budget_slots
            WHERE egress_key = $1 AND coalesce(finished_at, granted_at + $2) <= $3`,
          [key, staleAfterMs, now - longest],
        );
      }
      await client.query('COMMIT');
      known.inFlight += 1;
      const slot = inserted.rows[0]?.id;
      if (slot === undefined) throw new Error('budget slot insert returned no id');
      return { slot };
    } catch (error) {
      await client?.query('ROLLBACK').catch(() => undefined);
      report(error, 'take');
      return { retryAt: now + errorRetryMs + jitter() };
    } finally {
      client?.release();
    }
  }

  return {
    kind: 'postgres',
    take,

    async release(slot, now) {
      known.inFlight = Math.max(0, known.inFlight - 1);
      known.finished.push(now);
      try {
        await pool.query(
          'UPDATE altegio_budget_slots SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL',
          [slot, now],
        );
      } catch (error) {
        // The row stays in flight until it goes stale: the budget errs on the careful side.
        report(error, 'release');
      }
    },

    async pause(until) {
      pausedUntil = Math.max(pausedUntil, until);
      try {
        await pool.query(
          `INSERT INTO altegio_budget_pauses (egress_key, paused_until) VALUES ($1, $2)
           ON CONFLICT (egress_key) DO UPDATE
             SET paused_until = greatest(altegio_budget_pauses.paused_until, excluded.paused_until)`,
          [key, until],
        );
      } catch (error) {
        report(error, 'pause');
      }
    },

    view(now): LedgerView {
      if (longestSeen > 0) known.finished = known.finished.filter((end) => end + longestSeen > now);
      known.finished.sort((a, b) => a - b);
      return { occupancy: known, pausedUntil: pausedUntil > now ? pausedUntil : 0 };
    },
  };
}

/** Options of {@link createPgRateLimiter}: the limiter's and the ledger's. */
export type PgRateLimiterOptions = Omit<RateLimiterOptions, 'ledger'> & PgBudgetOptions;

/**
 * The Altegio call budget of a process that shares its egress IP with others through `pool`
 * (the engine passes the store's pool when `DATABASE_URL` is set). Same limits, shares and
 * priorities as the in-memory one; they hold across all processes with the same egress key.
 */
export function createPgRateLimiter(pool: Pool, options: PgRateLimiterOptions = {}): RateLimiter {
  const { egressKey, staleAfterMs, pollMs, jitterMs, errorRetryMs, holder, onError, random, ...limiter } =
    options;
  return createRateLimiter({
    ...limiter,
    ledger: createPgBudgetLedger(pool, {
      egressKey,
      staleAfterMs,
      pollMs,
      jitterMs,
      errorRetryMs,
      holder,
      onError,
      random,
    }),
  });
}
