/**
 * Caches in front of the client. A booking dialogue asks for the branch, its services and staff
 * at nearly every step; with the 5 rps per-IP limit those repeats would queue behind each other.
 * Reference entries live `ttlMs` and are dropped early when Altegio tells us (webhooks for
 * `company`, `service`, `service_category`, `staff`); availability is cached briefly and dropped
 * by record webhooks (`availability-cache.ts`). Concurrent misses share one request; a failed
 * request is not cached. Views made with `withPriority` share the same caches.
 */
import type { Clock } from '../domain/clock.js';
import { systemClock } from '../domain/clock.js';
import type { AltegioApi, CallOptions, CallScope, ServicesOptions } from './api.js';
import { type AvailabilityScope, createAvailabilityCache } from './availability-cache.js';
import type { CallPriority } from './rate-limiter.js';
import { type Asker, canJoin, join, type SharedLoad, startLoad, waitFor } from './shared-load.js';

export type { AvailabilityScope } from './availability-cache.js';

/** Webhook resources that invalidate cached reference data. */
export type CachedResource = 'company' | 'service' | 'service_category' | 'staff';

/** The client with caching on the reference operations. */
export interface CachedAltegioApi extends AltegioApi {
  /** The same client, caches and budget, every call queued at `priority`. */
  withPriority(priority: CallPriority, scope?: CallScope): CachedAltegioApi;
  /** Drops what `resource` may have changed for `companyId`. */
  invalidate(companyId: number, resource: CachedResource | (string & {})): void;
  /**
   * A record of `companyId` changed (a webhook), or a booking was refused as taken: drops the
   * availability that master's day may no longer match.
   */
  invalidateAvailability(companyId: number, scope?: AvailabilityScope): void;
  /** Drops everything. */
  clear(): void;
}

/** Options of {@link createCachedAltegio}. */
export interface CacheOptions {
  /** Reference data. Default 10 minutes. */
  ttlMs?: number;
  /** Availability (`book_staff`, `book_dates`, `book_times`). Default 30 s; 0 turns it off. */
  availabilityTtlMs?: number;
  clock?: Clock;
}

type Kind = 'company' | 'services' | 'categories' | 'staff' | 'companies';

interface Entry {
  expiresAt: number;
  load: SharedLoad;
}

/** Which cached kinds a webhook resource invalidates. */
const INVALIDATES: Readonly<Record<CachedResource, readonly Kind[]>> = {
  company: ['company', 'companies'],
  service: ['services'],
  service_category: ['services', 'categories'],
  staff: ['staff', 'services'], // services carry per-master lengths
};

/** Wraps `client`; every non-reference operation passes straight through. */
export function createCachedAltegio(base: AltegioApi, options: CacheOptions = {}): CachedAltegioApi {
  const ttl = options.ttlMs ?? 10 * 60_000;
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, Entry>();
  const availabilityTtl = options.availabilityTtlMs ?? 30_000;
  const availability = createAvailabilityCache({ ttlMs: availabilityTtl, clock });

  function cached<T>(
    asker: Asker,
    kind: Kind,
    companyId: number,
    variant: string,
    load: (scope: CallScope) => Promise<T>,
    o: CallOptions | undefined,
  ): Promise<T> {
    const key = `${companyId}|${kind}|${variant}`;
    const now = clock.now();
    const hit = entries.get(key);
    if (hit && hit.expiresAt > now && canJoin(hit.load, asker))
      return waitFor(join(hit.load, asker) as Promise<T>, o);
    const entry: Entry = { expiresAt: now + ttl, load: startLoad(asker, load) };
    entries.set(key, entry);
    entry.load.value.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return waitFor(entry.load.value as Promise<T>, o);
  }

  const servicesVariant = (choose: ServicesOptions = {}) =>
    `${choose.useWidgetNames ? 'widget' : 'title'}:${choose.includeOffline === false ? 'online' : 'all'}`;

  /** The cached client as one priority sees it; every view shares the same entries. */
  const view = (priority: CallPriority | undefined, scope: CallScope): CachedAltegioApi => {
    const client = priority === undefined ? base : base.withPriority(priority, scope);
    const asker: Asker = { priority, onQueued: scope.onQueued };
    // A miss loads through a view whose wait hook also tells the callers that joined it.
    const loader = (loadScope: CallScope) => base.withPriority(priority ?? 'notify', loadScope);
    return {
      ...client,
      ...(availabilityTtl > 0 ? availability.over(asker, loader) : {}),
      withPriority: (next, nextScope = {}) => view(next, nextScope),
      invalidate,
      invalidateAvailability: (companyId, where) => availability.invalidate(companyId, where),
      clear() {
        entries.clear();
        availability.clear();
      },
      getCompany: (companyId, o) =>
        cached(asker, 'company', companyId, '', (s) => loader(s).getCompany(companyId), o),
      listCompanies: (query, o) =>
        cached(
          asker,
          'companies',
          query?.id ?? 0,
          JSON.stringify(query ?? {}),
          (s) => loader(s).listCompanies(query),
          o,
        ),
      services: (companyId, choose, o) =>
        cached(
          asker,
          'services',
          companyId,
          servicesVariant(choose),
          (s) => loader(s).services(companyId, choose),
          o,
        ),
      serviceCategories: (companyId, o) =>
        cached(asker, 'categories', companyId, '', (s) => loader(s).serviceCategories(companyId), o),
      staff: (companyId, o) => cached(asker, 'staff', companyId, '', (s) => loader(s).staff(companyId), o),
    };
  };

  function invalidate(companyId: number, resource: string): void {
    // Masters and services decide what is bookable, so their changes also drop availability.
    if (resource === 'record' || resource === 'staff' || resource === 'service') {
      availability.invalidate(companyId);
    }
    const kinds = INVALIDATES[resource as CachedResource];
    if (!kinds) return;
    for (const key of [...entries.keys()]) {
      const [cid, kind] = key.split('|');
      // `/companies` lists span branches, so a company change clears them all.
      if (kinds.includes(kind as Kind) && (cid === String(companyId) || kind === 'companies'))
        entries.delete(key);
    }
  }

  return view(undefined, {});
}
