/**
 * One request shared by every caller that misses the same cache entry at once — without losing
 * what each caller brings to the call budget:
 * - a more urgent caller does not wait behind a load started at a lower priority (a booking step
 *   joining a notification's queued load): it starts its own, which becomes the entry;
 * - a caller joining a load that waits for the budget hears it too (`onQueued`), so its chat shows
 *   "typing" like the chat of the caller that started it.
 * A shared load is not tied to any one caller's signal; the signal only ends that caller's wait.
 */
import type { CallOptions, CallScope } from './api.js';
import { type CallPriority, PRIORITIES, type QueuedInfo } from './rate-limiter.js';

/** Who asks: the priority of the client view, and its wait hook. */
export interface Asker {
  /** `undefined` = the budget's default (`notify`). */
  priority: CallPriority | undefined;
  onQueued: CallScope['onQueued'];
}

export interface SharedLoad {
  value: Promise<unknown>;
  /** Index in {@link PRIORITIES}: lower is more urgent. */
  rank: number;
  settled: boolean;
  /** Set while the load waits for the budget. */
  queued: QueuedInfo | undefined;
  /** Joiners' wait hooks to end with the load's wait. */
  joined: Set<() => void>;
}

const rankOf = (priority: CallPriority | undefined) => PRIORITIES.indexOf(priority ?? 'notify');

/** True when `asker` can wait on `load` instead of starting its own. */
export function canJoin(load: SharedLoad, asker: Asker): boolean {
  return load.settled || load.rank <= rankOf(asker.priority);
}

/** Joins `load`: a joiner of a queued load is told it is queued too. */
export function join(load: SharedLoad, asker: Asker): Promise<unknown> {
  if (!load.settled && load.queued && asker.onQueued) {
    const done = asker.onQueued(load.queued);
    if (done) load.joined.add(done);
  }
  return load.value;
}

/** Starts a load for `asker`; `start` gets the scope to make its client view with. */
export function startLoad(asker: Asker, start: (scope: CallScope) => Promise<unknown>): SharedLoad {
  const load: SharedLoad = {
    value: Promise.resolve(),
    rank: rankOf(asker.priority),
    settled: false,
    queued: undefined,
    joined: new Set(),
  };
  const endJoined = () => {
    for (const done of load.joined) done();
    load.joined.clear();
  };
  load.value = start({
    onQueued: (info) => {
      load.queued = info;
      const own = asker.onQueued?.(info);
      return () => {
        load.queued = undefined;
        own?.();
        endJoined();
      };
    },
  });
  void load.value
    .finally(() => {
      load.settled = true;
      endJoined();
    })
    .catch(() => {});
  return load;
}

/** Waits for `value`, or rejects as soon as this caller's signal fires. */
export function waitFor<T>(value: Promise<T>, options?: CallOptions): Promise<T> {
  const signal = options?.signal;
  if (!signal) return value;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    value.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
