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
import type { AltegioApi, CallOptions } from './client.js';

type Kind = 'staff' | 'dates' | 'times';

interface Entry {
  companyId: number;
  kind: Kind;
  /** `undefined` for lists over all masters (`book_staff`, dates of "any master"). */
  staffId: number | undefined;
  /** The day of a `book_times` answer. */
  date: string | undefined;
  expiresAt: number;
  value: Promise<unknown>;
}

/** What a record change touches; anything unknown widens what is dropped. */
export interface AvailabilityScope {
  staffId?: number | undefined;
  /** `YYYY-MM-DD`, branch-local. */
  date?: string | undefined;
}

type AvailabilityOps = Pick<AltegioApi, 'bookStaff' | 'bookDates' | 'bookTimes'>;

export interface AvailabilityCache {
  /** The three operations over `client`, answered from the cache when fresh. */
  over(client: AvailabilityOps): AvailabilityOps;
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

/** The shared load is not tied to one caller's signal; the signal only ends this caller's wait. */
function waitFor<T>(value: Promise<T>, options?: CallOptions): Promise<T> {
  const signal = options?.signal;
  if (!signal) return value;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    value.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

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
    meta: Omit<Entry, 'expiresAt' | 'value'>,
    load: () => Promise<T>,
  ): Promise<T> {
    const now = clock.now();
    const hit = entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value as Promise<T>;
    if (entries.size >= capacity) prune(now);
    const value = load();
    const entry: Entry = { ...meta, expiresAt: now + ttl, value };
    entries.set(key, entry);
    value.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return value;
  }

  const ids = (serviceIds: readonly number[] | undefined) =>
    [...(serviceIds ?? [])].sort((a, b) => a - b).join(',');

  return {
    over(client) {
      return {
        bookStaff: (companyId, query = {}, o) =>
          waitFor(
            cached(
              `${companyId}|staff|${ids(query.serviceIds)}|${query.datetime ?? ''}`,
              { companyId, kind: 'staff', staffId: undefined, date: undefined },
              () => client.bookStaff(companyId, query),
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
              () => client.bookDates(companyId, query),
            ),
            o,
          ),
        bookTimes: (companyId, staffId, date, query = {}, o) =>
          waitFor(
            cached(
              `${companyId}|times|${staffId}|${date}|${ids(query.serviceIds)}`,
              { companyId, kind: 'times', staffId: staffId === ANY ? undefined : staffId, date },
              () => client.bookTimes(companyId, staffId, date, query),
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
