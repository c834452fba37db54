/**
 * The Altegio call budget. Altegio allows 200 requests per minute or 5 per second per IP
 * (developer.alteg.io, "Limits"), so every call this process makes goes through one limiter.
 * Calls wait instead of being rejected — a client's step would rather be slower than fail — and
 * the queue is ordered by priority: a client's booking step, then confirm/cancel writes, then
 * notifications, then background sync. Lower priorities may use only part of the minute, so a
 * burst of reminders never leaves a booking client waiting for the next minute.
 *
 * Windows are counted from when a request *finished*, not when it was let go: Altegio counts
 * arrivals, and an arrival lies somewhere between our send and our receipt of the answer. A
 * request still in flight occupies its slot until released. With the default budget's extra
 * margin on top, a 429 should never come; if one comes anyway, {@link RateLimiter.pause} stops
 * every call for as long as Altegio asked.
 */
import { type BudgetLedger, createMemoryLedger, isPromise, type TakeAnswer } from './budget-ledger.js';
import { type BudgetWindow, firstFreeAt } from './budget-windows.js';

/** One rolling window: at most `max` grants in any `windowMs`. */
export interface RateLimit {
  max: number;
  windowMs: number;
}

/** Who is calling, most urgent first. */
export type CallPriority = 'booking' | 'write' | 'notify' | 'sync';

/** Most urgent first. */
export const PRIORITIES: readonly CallPriority[] = ['booking', 'write', 'notify', 'sync'];

/**
 * Share of each window (of its `max`) a priority may fill. The rest stays free for more urgent
 * calls: whatever notifications and sync did in the last minute, a booking step finds room.
 */
export const DEFAULT_SHARES: Readonly<Record<CallPriority, number>> = {
  booking: 1,
  write: 0.9,
  notify: 0.75,
  sync: 0.5,
};

/** Time source and timer, injectable so tests can drive the limiter without waiting. */
export interface LimiterClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Default {@link ALTEGIO_BUDGET}: the published limits with a safety margin. */
  limits?: readonly RateLimit[];
  /** Extra spacing added to each window, for servers that count on a coarser clock. Default 0. */
  marginMs?: number;
  /** Default {@link DEFAULT_SHARES}. */
  shares?: Partial<Record<CallPriority, number>>;
  /** How long to stop after a 429 that named no `Retry-After`. Default 2 s. */
  defaultPauseMs?: number;
  clock?: LimiterClock;
  /**
   * Where the budget's state lives. Default: this process's memory. Several processes behind one
   * egress IP share a Postgres ledger instead (`pg-budget.ts`), so the limits hold in total.
   */
  ledger?: BudgetLedger;
}

/** Call when the request has finished (answer read or failed); calling twice is harmless. */
export type Release = () => void;

/** What a caller hears when its call has to wait. */
export interface QueuedInfo {
  priority: CallPriority;
  /** Estimated wait until this call may go, in ms. */
  estimateMs: number;
  /** Calls that go before it (more urgent or queued earlier). */
  ahead: number;
}

/** Options of one {@link RateLimiter.acquire}. */
export interface AcquireOptions {
  /** Default `notify`: a caller that does not say is neither a client's step nor background work. */
  priority?: CallPriority | undefined;
  /** Ends the wait: the acquire rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /**
   * Called once when the call cannot go at once (the chat shows "typing", a long wait is told to
   * the client). The function it may return is called when the wait ends, granted or aborted.
   */
  onQueued?: ((info: QueuedInfo) => (() => void) | undefined) | undefined;
}

/** A snapshot of the budget, for metrics, logs and the benchmark. */
export interface LimiterStats {
  /** Calls waiting, per priority. */
  pending: Record<CallPriority, number>;
  inFlight: number;
  /** Calls let go, per priority, since the limiter was made. */
  granted: Record<CallPriority, number>;
  /** Calls that had to wait, per priority, and the longest wait seen (ms). */
  queued: Record<CallPriority, number>;
  longestWaitMs: Record<CallPriority, number>;
  /** Slots used in each window right now (same order as {@link LimiterStats.limits}). */
  used: number[];
  /** The windows this budget keeps to (the published limits plus its margin). */
  limits: readonly RateLimit[];
  /** Where the budget's state lives (see {@link BudgetLedger.kind}). */
  ledger: 'memory' | 'postgres';
  /** 429s reported through {@link RateLimiter.pause}. */
  rateLimited: number;
  /** Epoch ms until which nothing is let go, or 0. */
  pausedUntil: number;
}

/** A shared throttle: `acquire()` resolves when the caller may send one request. */
export interface RateLimiter {
  /** Waits for a slot (by priority, then first in first out) and returns its release. */
  acquire(options?: AcquireOptions): Promise<Release>;
  /** How long a call of `priority` asked for now would wait, in ms (an estimate). */
  estimateWait(priority?: CallPriority): number;
  /** Altegio answered 429 anyway: nothing is let go for `ms` (default `defaultPauseMs`). */
  pause(ms?: number): void;
  stats(): LimiterStats;
  /** Calls currently waiting. */
  readonly pending: number;
}

/** Altegio's documented per-IP limits. */
export const ALTEGIO_LIMITS: readonly RateLimit[] = [
  { max: 5, windowMs: 1_000 },
  { max: 200, windowMs: 60_000 },
];

/**
 * What the engine spends by default: the published limits, each window 15 % (second) and 1 s
 * (minute) longer and four calls of the minute unused. Counted from finish times this stays under
 * the limits even if Altegio counts on a coarser clock than ours (its counting is not documented).
 */
export const ALTEGIO_BUDGET: readonly RateLimit[] = [
  { max: 5, windowMs: 1_150 },
  { max: 196, windowMs: 61_000 },
];

const systemLimiterClock: LimiterClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Waiter {
  priority: CallPriority;
  queuedAt: number;
  resolve: (release: Release) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  onQueued: AcquireOptions['onQueued'];
  /** `onQueued` was called (or the call was counted as queued). */
  reported: boolean;
  /** From `onQueued`: told when the wait ends. */
  done: (() => void) | undefined;
}

const perPriority = <T>(value: () => T): Record<CallPriority, T> => ({
  booking: value(),
  write: value(),
  notify: value(),
  sync: value(),
});

/** Creates the limiter; its state lives in `options.ledger` (default: this process's memory). */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const limits = options.limits ?? ALTEGIO_BUDGET;
  if (limits.length === 0 || limits.some((l) => l.max < 1 || l.windowMs <= 0)) {
    throw new Error('rate limiter: every limit needs max >= 1 and windowMs > 0');
  }
  const margin = options.marginMs ?? 0;
  const clock = options.clock ?? systemLimiterClock;
  const defaultPauseMs = options.defaultPauseMs ?? 2_000;
  const shares = { ...DEFAULT_SHARES, ...options.shares };
  /** The windows as each priority sees them: its share of every `max`, at least one call. */
  const windows = perPriority<BudgetWindow[]>(() => []);
  for (const priority of PRIORITIES) {
    windows[priority] = limits.map((l) => ({
      max: Math.max(1, Math.floor(l.max * Math.min(1, Math.max(0, shares[priority])))),
      windowMs: l.windowMs + margin,
    }));
  }
  const longest = Math.max(...limits.map((l) => l.windowMs)) + margin;
  const ledger = options.ledger ?? createMemoryLedger(longest);
  /** This process's calls in flight (a shared ledger also counts other processes'). */
  let inFlight = 0;
  let rateLimited = 0;
  const queues = perPriority<Waiter[]>(() => []);
  const granted = perPriority(() => 0);
  const queuedCount = perPriority(() => 0);
  const longestWait = perPriority(() => 0);
  let timer: unknown;
  /**
   * A shared ledger's answer is on its way. One question at a time, for the head of the queue:
   * a process makes one round trip per grant, however many of its callers wait.
   */
  let asking = false;

  function head(): Waiter | undefined {
    for (const priority of PRIORITIES) {
      const first = queues[priority][0];
      if (first) return first;
    }
    return undefined;
  }

  function endWait(waiter: Waiter): void {
    const waited = clock.now() - waiter.queuedAt;
    if (waited > longestWait[waiter.priority]) longestWait[waiter.priority] = waited;
    try {
      waiter.done?.();
    } catch {
      // A caller's wait hook must never hold up the budget.
    }
  }

  /** Tells every waiter not yet told that it has to wait, with its place and estimate. */
  function reportQueued(): void {
    let ahead = 0;
    for (const priority of PRIORITIES) {
      for (const waiter of queues[priority]) {
        if (!waiter.reported) {
          waiter.reported = true;
          queuedCount[priority] += 1;
          if (waiter.onQueued) {
            try {
              waiter.done =
                waiter.onQueued({ priority, estimateMs: estimate(priority, ahead), ahead }) ?? undefined;
            } catch {
              // See endWait.
            }
          }
        }
        ahead += 1;
      }
    }
  }

  function finish(slot: number): void {
    const done = ledger.release(slot, clock.now());
    // A shared release is seen by the next take only once written.
    if (isPromise(done)) void done.then(pumpIfWaiting, pumpIfWaiting);
    else pumpIfWaiting();
  }

  function pumpIfWaiting(): void {
    if (head()) pump();
  }

  function grant(waiter: Waiter, slot: number): void {
    inFlight += 1;
    granted[waiter.priority] += 1;
    let released = false;
    waiter.resolve(() => {
      if (released) return;
      released = true;
      inFlight -= 1;
      finish(slot);
    });
  }

  /**
   * Acts on the ledger's answer to `asked` (the head's priority when asking). Returns true when
   * the queue should be looked at again at once.
   */
  function settle(asked: CallPriority, answer: TakeAnswer): boolean {
    const waiter = head();
    if ('retryAt' in answer) {
      // A more urgent call arrived while a shared ledger answered: it may fit where `asked` did not.
      if (waiter && waiter.priority !== asked) return true;
      reportQueued();
      if (waiter && answer.retryAt !== Number.POSITIVE_INFINITY) {
        timer = clock.setTimeout(pump, Math.max(0, answer.retryAt - clock.now()));
      }
      return false; // at Infinity a release pumps again
    }
    // The slot was checked against `asked`'s share: it may go to a call as urgent or more, not less
    // (that one left while the ledger answered); an unused slot goes back at once.
    if (!waiter || PRIORITIES.indexOf(waiter.priority) > PRIORITIES.indexOf(asked)) {
      finish(answer.slot);
      return false;
    }
    queues[waiter.priority].shift();
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    endWait(waiter);
    grant(waiter, answer.slot);
    return true;
  }

  function pump(): void {
    if (asking) return; // the answer pumps again
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    for (;;) {
      const waiter = head();
      if (!waiter) return;
      // Lower priorities see stricter windows, so when the most urgent cannot go, none can.
      const asked = waiter.priority;
      const answer = ledger.take(windows[asked], clock.now(), asked);
      if (isPromise(answer)) {
        asking = true;
        void answer.then(
          (settled) => {
            asking = false;
            if (settle(asked, settled)) pump();
          },
          () => {
            // A shared ledger turns its failures into "retry later"; this is only a safety net.
            asking = false;
            timer = clock.setTimeout(pump, defaultPauseMs);
          },
        );
        return;
      }
      if (!settle(asked, answer)) return;
    }
  }

  /** Waiters that go before a new call of `priority`. */
  function aheadOf(priority: CallPriority): number {
    let ahead = 0;
    for (const p of PRIORITIES) {
      ahead += queues[p].length;
      if (p === priority) break;
    }
    return ahead;
  }

  /**
   * Simulates the queue ahead being served (each call answered at once, in-flight ones finishing
   * now) and answers when one more of `priority` would go. Finish times stay ascending, so each
   * simulated grant costs O(windows). A shared ledger's view is as of its last read.
   */
  function estimate(priority: CallPriority, ahead: number): number {
    const now = clock.now();
    const { occupancy, pausedUntil } = ledger.view(now);
    const ends = [...occupancy.finished, ...Array.from({ length: occupancy.inFlight }, () => now)];
    let t = Math.max(now, pausedUntil);
    for (let k = 0; k <= ahead; k++) {
      t = Math.max(t, firstFreeAt({ finished: ends, inFlight: 0 }, windows[priority], t));
      if (k < ahead) ends.push(t);
    }
    return t - now;
  }

  return {
    acquire(acquireOptions = {}) {
      const { signal, onQueued } = acquireOptions;
      const priority = acquireOptions.priority ?? 'notify';
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<Release>((resolve, reject) => {
        const waiter: Waiter = {
          priority,
          queuedAt: clock.now(),
          resolve,
          reject,
          signal,
          onAbort: undefined,
          onQueued,
          reported: false,
          done: undefined,
        };
        if (signal) {
          waiter.onAbort = () => {
            const queue = queues[priority];
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
            endWait(waiter);
            reject(signal.reason);
            // The head may have been the one leaving: the next one's timer must be set.
            pump();
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        queues[priority].push(waiter);
        // Only a new head can change what happens next; behind it, the call waits its turn
        // without asking the ledger (no round trip per waiter).
        if (head() === waiter) pump();
        else if (!asking) reportQueued(); // the queue waits on a timer or a release: this call waits too
      });
    },

    estimateWait(priority = 'notify') {
      return estimate(priority, aheadOf(priority));
    },

    pause(ms = defaultPauseMs) {
      rateLimited += 1;
      const done = ledger.pause(clock.now() + Math.max(0, ms));
      if (isPromise(done)) void done.then(pumpIfWaiting, pumpIfWaiting);
      else pumpIfWaiting();
    },

    stats() {
      const now = clock.now();
      const { occupancy, pausedUntil } = ledger.view(now);
      return {
        pending: perPriorityFrom((p) => queues[p].length),
        inFlight,
        granted: { ...granted },
        queued: { ...queuedCount },
        longestWaitMs: { ...longestWait },
        used: limits.map(
          (l) =>
            occupancy.inFlight + occupancy.finished.filter((end) => end + l.windowMs + margin > now).length,
        ),
        limits,
        ledger: ledger.kind,
        rateLimited,
        pausedUntil,
      };
    },

    get pending() {
      return PRIORITIES.reduce((sum, p) => sum + queues[p].length, 0);
    },
  };
}

function perPriorityFrom<T>(value: (priority: CallPriority) => T): Record<CallPriority, T> {
  return { booking: value('booking'), write: value('write'), notify: value('notify'), sync: value('sync') };
}
