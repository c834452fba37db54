/**
 * Where the call budget keeps its state: which slots are taken, when they finished, and until
 * when a 429 stopped everything. The limiter (`rate-limiter.ts`) orders its own callers and asks
 * the ledger for one slot at a time; the ledger decides against everything it knows.
 *
 * In memory (this file) the ledger knows one process and answers synchronously, so a lone engine
 * behaves exactly as without a port. A shared ledger (`pg-budget.ts`) answers with a promise and
 * counts every process that spends the same egress IP.
 */
import { type BudgetWindow, firstFreeAt, type Occupancy } from './budget-windows.js';

/** The ledger's answer to one request for a slot. */
export type TakeAnswer =
  /** Granted: the caller may send; hand `slot` back to {@link BudgetLedger.release}. */
  | { slot: number }
  /**
   * Not now: ask again at `retryAt` (epoch ms). `Infinity` means only a release of this process
   * can make room (every slot of a window is in flight here).
   */
  | { retryAt: number };

/** What the ledger last knew, for estimates and stats (exact in memory, as of the last read when shared). */
export interface LedgerView {
  occupancy: Occupancy;
  /** Epoch ms until which nothing is let go, or 0. */
  pausedUntil: number;
}

/** A value now or later: the in-memory ledger must not add a tick to every grant. */
export type MaybePromise<T> = T | Promise<T>;

export interface BudgetLedger {
  /** Where the state lives: this process's memory, or Postgres shared by every process of an egress IP. */
  readonly kind: 'memory' | 'postgres';
  /** A slot if `windows` (the asking priority's share of each limit) have room at `now` and no pause holds. */
  // `priority` (a CallPriority, typed loosely to keep this port free of the limiter) only labels the slot.
  take(windows: readonly BudgetWindow[], now: number, priority: string): MaybePromise<TakeAnswer>;
  /** The request of `slot` finished (answered or failed) at `now`. */
  release(slot: number, now: number): MaybePromise<void>;
  /** Nothing is let go before `until` (a 429). */
  pause(until: number): MaybePromise<void>;
  view(now: number): LedgerView;
}

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * One process's ledger. It keeps only finish times still inside the longest window, so memory
 * stays bounded (≈200 entries with the default limits).
 */
export function createMemoryLedger(longestWindowMs: number): BudgetLedger {
  /** Finish times in release order, so ascending (the clock does not go back). */
  const finished: number[] = [];
  let inFlight = 0;
  let pausedUntil = 0;
  let nextSlot = 1;

  function occupancy(now: number): Occupancy {
    let drop = 0;
    while (drop < finished.length && (finished[drop] ?? 0) + longestWindowMs <= now) drop++;
    if (drop > 0) finished.splice(0, drop);
    return { finished, inFlight };
  }

  return {
    kind: 'memory',
    take(windows, now) {
      const at = Math.max(pausedUntil, firstFreeAt(occupancy(now), windows, now));
      if (at > now) return { retryAt: at };
      inFlight += 1;
      return { slot: nextSlot++ };
    },
    release(_slot, now) {
      inFlight -= 1;
      finished.push(now);
    },
    pause(until) {
      pausedUntil = Math.max(pausedUntil, until);
    },
    view(now) {
      return { occupancy: occupancy(now), pausedUntil: pausedUntil > now ? pausedUntil : 0 };
    },
  };
}
