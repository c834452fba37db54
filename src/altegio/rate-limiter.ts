/**
 * Client-side throttle for Altegio's documented limit: 200 requests per minute or 5 per second per
 * IP. Altegio counts per IP, so every call this process makes must go through one limiter; calls
 * wait in a FIFO queue instead of being rejected, because a booking dialogue would rather be a
 * second slower than fail.
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
  /**
   * Extra spacing added to each window. Our clock measures when a request leaves, Altegio's when it
   * arrives; network jitter can squeeze two sends 1000 ms apart into 990 ms on the server side.
   * Default 100 ms.
   */
  marginMs?: number;
  clock?: LimiterClock;
}

/** A shared throttle: `acquire()` resolves when the caller may send one request. */
export interface RateLimiter {
  /** Waits for a slot (FIFO). Rejects with the signal's reason if aborted while queued. */
  acquire(signal?: AbortSignal): Promise<void>;
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
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Creates a sliding-window-log limiter. It remembers the grant times of the last `max` requests of
 * the largest window, so memory stays bounded (200 numbers with the default limits).
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const limits = options.limits ?? ALTEGIO_LIMITS;
  if (limits.length === 0 || limits.some((l) => l.max < 1 || l.windowMs <= 0)) {
    throw new Error('rate limiter: every limit needs max >= 1 and windowMs > 0');
  }
  const margin = options.marginMs ?? 100;
  const clock = options.clock ?? systemLimiterClock;
  const keep = Math.max(...limits.map((l) => l.max));
  const granted: number[] = []; // ascending grant times, at most `keep`
  const queue: Waiter[] = [];
  let timer: unknown;

  /** How long until one more grant fits every window (0 = now). */
  function waitTime(now: number): number {
    let wait = 0;
    for (const { max, windowMs } of limits) {
      if (granted.length < max) continue;
      // The max-th most recent grant must have left the window.
      const oldestInWindow = granted[granted.length - max] ?? Number.NEGATIVE_INFINITY;
      wait = Math.max(wait, oldestInWindow + windowMs + margin - now);
    }
    return wait;
  }

  function pump(): void {
    timer = undefined;
    while (queue.length > 0) {
      const now = clock.now();
      const wait = waitTime(now);
      if (wait > 0) {
        timer = clock.setTimeout(pump, wait);
        return;
      }
      const waiter = queue.shift();
      if (!waiter) return;
      granted.push(now);
      if (granted.length > keep) granted.shift();
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
  }

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
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
        if (timer === undefined) pump();
      });
    },
    get pending() {
      return queue.length;
    },
  };
}
