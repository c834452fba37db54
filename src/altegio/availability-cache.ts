/**
 * A short-lived cache of online-booking availability (`book_staff`, `book_dates`, `book_times`).
 * When many clients book at once they look at the same masters and days; without it each would
 * spend three calls of the 200-per-minute budget on answers the previous client just got, and
 * `book_record` — the one call a booking must make — would wait behind them.
 *
 * Freshness: entries live `ttlMs` (default 30 s), and a record webhook drops what that record can
 * have changed — its branch's staff lists, its master's dates, its master's times on its day —
 * along with every "any master" answer of that branch and day. A booking refused with 433 drops
 * the same, so the free times shown next are fresh. Concurrent misses share one request; a failed
 * request is not cached.
 */
import type { Clock } from '../domain/clock.js';
import type { AltegioApi, CallScope } from './api.js';
import { type Asker, canJoin, join, type SharedLoad, startLoad, waitFor } from './shared-load.js';

type Kind = 'staff' | 'dates' | 'times';

interface Entry {
  companyId: number;
  kind: Kind;
  /** `undefined` for lists over all masters (`book_staff`, dates of "any master"). */
  staffId: number | undefined;
  /** The day of a `book_times` answer. */
  date: string | undefined;
  expiresAt: number;
  load: SharedLoad;
}

/** What a record change touches; anything unknown widens what is dropped. */
export interface AvailabilityScope {
  staffId?: number | undefined;
  /** `YYYY-MM-DD`, branch-local. */
  date?: string | undefined;
}

type AvailabilityOps = Pick<AltegioApi, 'bookStaff' | 'bookDates' | 'bookTimes'>;

export interface AvailabilityCache {
  /**
   * The three operations for `asker`, answered from the cache when fresh; a miss loads through
   * the client `loader` makes for the scope it is given.
   */
  over(asker: Asker, loader: (scope: CallScope) => AvailabilityOps): AvailabilityOps;
  /** Drops what a record of `companyId` (that master, that day) may have changed. */
  invalidate(companyId: number, scope?: AvailabilityScope): void;
  clear(): void;
  readonly size: number;
}

export interface AvailabilityCacheOptions {
  /** Default 30 s. */
  ttlMs?: number;
  /** Entries kept at most; expired ones go first, then the oldest. Default 5,000. */
  capacity?: number;
  clock: Clock;
}

/** "Any master" is `0` in Altegio's online booking. */
const ANY = 0;

export function createAvailabilityCache(options: AvailabilityCacheOptions): AvailabilityCache {
  const ttl = options.ttlMs ?? 30_000;
  const capacity = options.capacity ?? 5_000;
  const { clock } = options;
  const entries = new Map<string, Entry>();

  function prune(now: number): void {
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
    // Still full: the oldest inserted go (a Map iterates in insertion order).
    for (const key of entries.keys()) {
      if (entries.size < capacity) break;
      entries.delete(key);
    }
  }

  function cached<T>(
    key: string,
    meta: Omit<Entry, 'expiresAt' | 'load'>,
    asker: Asker,
    load: (scope: CallScope) => Promise<T>,
  ): Promise<T> {
    const now = clock.now();
    const hit = entries.get(key);
    if (hit && hit.expiresAt > now && canJoin(hit.load, asker)) return join(hit.load, asker) as Promise<T>;
    if (entries.size >= capacity) prune(now);
    const entry: Entry = { ...meta, expiresAt: now + ttl, load: startLoad(asker, load) };
    entries.set(key, entry);
    entry.load.value.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return entry.load.value as Promise<T>;
  }

  const ids = (serviceIds: readonly number[] | undefined) =>
    [...(serviceIds ?? [])].sort((a, b) => a - b).join(',');

  return {
    over(asker, loader) {
      return {
        bookStaff: (companyId, query = {}, o) =>
          waitFor(
            cached(
              `${companyId}|staff|${ids(query.serviceIds)}|${query.datetime ?? ''}`,
              { companyId, kind: 'staff', staffId: undefined, date: undefined },
              asker,
              (scope) => loader(scope).bookStaff(companyId, query),
            ),
            o,
          ),
        bookDates: (companyId, query = {}, o) =>
          waitFor(
            cached(
              `${companyId}|dates|${query.staffId ?? ANY}|${ids(query.serviceIds)}|${query.month ?? ''}|${query.dateFrom ?? ''}|${query.dateTo ?? ''}`,
              {
                companyId,
                kind: 'dates',
                staffId: query.staffId && query.staffId !== ANY ? query.staffId : undefined,
                date: undefined,
              },
              asker,
              (scope) => loader(scope).bookDates(companyId, query),
            ),
            o,
          ),
        bookTimes: (companyId, staffId, date, query = {}, o) =>
          waitFor(
            cached(
              `${companyId}|times|${staffId}|${date}|${ids(query.serviceIds)}`,
              { companyId, kind: 'times', staffId: staffId === ANY ? undefined : staffId, date },
              asker,
              (scope) => loader(scope).bookTimes(companyId, staffId, date, query),
            ),
            o,
          ),
      };
    },

    invalidate(companyId, scope = {}) {
      const staffId = scope.staffId && scope.staffId !== ANY ? scope.staffId : undefined;
      for (const [key, entry] of entries) {
        if (entry.companyId !== companyId) continue;
        // An entry over all masters, or a change whose master is unknown, always goes.
        const master = entry.staffId === undefined || staffId === undefined || entry.staffId === staffId;
        const day = entry.kind !== 'times' || scope.date === undefined || entry.date === scope.date;
        if (master && day) entries.delete(key);
      }
    },

    clear() {
      entries.clear();
    },

    get size() {
      return entries.size;
    },
  };
}
