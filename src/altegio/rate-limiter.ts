/**
 * Client-side throttle for Altegio's documented limit: 200 requests per minute or 5 per second per
 * IP. Altegio counts per IP, so every call this process makes must go through one limiter; calls
 * wait in a FIFO queue instead of being rejected, because a booking dialogue would rather be a
 * second slower than fail.
 *
 * Windows are counted from when a request *finished*, not when it was let go: Altegio counts
 * arrivals, and an arrival lies somewhere between our send and our receipt of the answer (the very
 * first fetch of a process can spend 100+ ms before anything leaves). A request still in flight
 * occupies its slot until released, so "at most N in any window" holds on the server's clock.
 */

/** One rolling window: at most `max` grants in any `windowMs`. */
export interface RateLimit {
  max: number;
  windowMs: number;
}

/** Time source and timer, injectable so tests can drive the limiter without waiting. */
export interface LimiterClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Default: Altegio's `5 / 1 s` and `200 / 60 s`. */
  limits?: readonly RateLimit[];
  /** Extra spacing added to each window, for servers that count on a coarser clock. Default 0. */
  marginMs?: number;
  clock?: LimiterClock;
}

/** Call when the request has finished (answer read or failed); calling twice is harmless. */
export type Release = () => void;

/** A shared throttle: `acquire()` resolves when the caller may send one request. */
export interface RateLimiter {
  /**
   * Waits for a slot (FIFO) and returns its release. Rejects with the signal's reason if aborted
   * while queued.
   */
  acquire(signal?: AbortSignal): Promise<Release>;
  /** Calls currently waiting. */
  readonly pending: number;
}

/** Altegio's documented per-IP limits. */
export const ALTEGIO_LIMITS: readonly RateLimit[] = [
  { max: 5, windowMs: 1_000 },
  { max: 200, windowMs: 60_000 },
];

const systemLimiterClock: LimiterClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Waiter {
  resolve: (release: Release) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Creates a sliding-window-log limiter over finish times. It keeps only slots whose finish still
 * lies inside the largest window, so memory stays bounded (≈200 entries with the default limits).
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const limits = options.limits ?? ALTEGIO_LIMITS;
  if (limits.length === 0 || limits.some((l) => l.max < 1 || l.windowMs <= 0)) {
    throw new Error('rate limiter: every limit needs max >= 1 and windowMs > 0');
  }
  const margin = options.marginMs ?? 0;
  const clock = options.clock ?? systemLimiterClock;
  const longest = Math.max(...limits.map((l) => l.windowMs)) + margin;
  /** Finish time of every recent slot in grant order; `Infinity` while in flight. */
  const slots: Array<{ end: number }> = [];
  const queue: Waiter[] = [];
  let timer: unknown;

  /** How long until one more slot fits every window: 0 = now, Infinity = after a release. */
  function waitTime(now: number): number {
    let wait = 0;
    for (const { max, windowMs } of limits) {
      const busy = slots.map((s) => s.end + windowMs + margin).filter((freeAt) => freeAt > now);
      if (busy.length < max) continue;
      busy.sort((a, b) => a - b);
      // Enough slots must leave the window for one more to fit.
      wait = Math.max(wait, (busy[busy.length - max] ?? now) - now);
    }
    return wait;
  }

  function pump(): void {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) {
      const now = clock.now();
      while (slots.length > 0 && (slots[0]?.end ?? 0) + longest <= now) slots.shift();
      const wait = waitTime(now);
      if (wait === Number.POSITIVE_INFINITY) return; // a release will pump again
      if (wait > 0) {
        timer = clock.setTimeout(pump, wait);
        return;
      }
      const waiter = queue.shift();
      if (!waiter) return;
      const slot = { end: Number.POSITIVE_INFINITY };
      slots.push(slot);
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(() => {
        if (slot.end !== Number.POSITIVE_INFINITY) return;
        slot.end = clock.now();
        if (queue.length > 0) pump();
      });
    }
  }

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<Release>((resolve, reject) => {
        const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
        if (signal) {
          waiter.onAbort = () => {
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
            reject(signal.reason);
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        queue.push(waiter);
        if (timer === undefined && queue.length === 1) pump();
      });
    },
    get pending() {
      return queue.length;
    },
  };
}
