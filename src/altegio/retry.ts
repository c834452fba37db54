/**
 * Retry policy for Altegio calls. Kept apart from the transport so the rules — which failures are
 * worth another try, how long to wait — read in one place and are tested without HTTP.
 */
import { AltegioApiError, AltegioNetworkError } from './errors.js';

/**
 * How a request may be repeated:
 * - `safe`: reading, or a write whose repetition changes nothing (GET, full-state PUT, book_check,
 *   client search) — retried on network errors, timeouts, 429 and 5xx;
 * - `delete`: like `safe`, and a 404 on a repeat means the first attempt already deleted it;
 * - `once`: never repeated blindly (book_record) except on 429, which Altegio sends before doing
 *   anything; the caller decides what else to do.
 */
export type RetryMode = 'safe' | 'delete' | 'once';

/** Backoff tuning; all optional. */
export interface RetryOptions {
  /** Total attempts including the first. Default 3. */
  maxAttempts?: number;
  /** First backoff step. Default 300 ms. */
  baseDelayMs?: number;
  /** Cap of one backoff step. Default 5 s. */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for; the 429 is surfaced. Default 30 s. */
  maxRetryAfterMs?: number;
  /** Injectable for deterministic tests; returns [0, 1). */
  random?: () => number;
}

/** Resolved options. */
export type RetryPolicy = Required<RetryOptions>;

/** Fills defaults. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    maxAttempts: Math.max(1, options.maxAttempts ?? 3),
    baseDelayMs: options.baseDelayMs ?? 300,
    maxDelayMs: options.maxDelayMs ?? 5_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
    random: options.random ?? Math.random,
  };
}

/** True for failures where another attempt may succeed and repeating cannot do harm for `mode`. */
export function isRetryable(error: unknown, mode: RetryMode): boolean {
  if (error instanceof AltegioNetworkError) {
    return mode !== 'once' && (error.kind === 'network' || error.kind === 'timeout');
  }
  if (error instanceof AltegioApiError) {
    if (error.kind === 'rate-limited') return true; // refused before processing: safe even for writes
    return mode !== 'once' && error.kind === 'server';
  }
  return false;
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1): exponential with "equal jitter"
 * (half fixed, half random) so that several clients that failed together do not retry together.
 * A server's `Retry-After` wins when present.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, error: unknown): number {
  if (error instanceof AltegioApiError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return step / 2 + (step / 2) * policy.random();
}

/** `Retry-After` as seconds or HTTP date → ms; `undefined` when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Waits `ms`, or rejects with the signal's reason when the caller gives up first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
