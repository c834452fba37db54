/**
 * One HTTP exchange with Altegio, done right once: exact headers, the shared rate limiter, a
 * per-attempt timeout linked to the caller's AbortSignal, retries per {@link RetryMode}, envelope
 * unwrapping and typed errors. `client.ts` builds the operations on top of it.
 */
import type { z } from 'zod';
import type { Logger } from '../log.js';
import { AltegioApiError, AltegioNetworkError, AltegioParseError } from './errors.js';
import {
  type AcquireOptions,
  type CallPriority,
  createRateLimiter,
  type RateLimiter,
} from './rate-limiter.js';
import {
  backoffDelay,
  isRetryable,
  parseRetryAfter,
  type RetryMode,
  type RetryOptions,
  retryPolicy,
  sleep,
} from './retry.js';

/** What `onResponse` hears about every attempt (for metrics): no ids, no tokens. */
export interface ResponseInfo {
  /** Templated path, e.g. `/book_times/{cid}/{sid}/{date}`. */
  endpoint: string;
  method: string;
  status: number | 'network-error';
  durationMs: number;
}

/** Transport settings; `AltegioClientOptions` adds the booking ones. */
export interface TransportOptions {
  /** `https://api.alteg.io/api/v1` or the sandbox URL; a trailing slash is fine. */
  baseUrl: string;
  partnerToken: string;
  /** Needed for B2B calls (records, clients, company services/staff, labels). */
  userToken?: string | undefined;
  /** Injectable for tests; defaults to Node's global fetch. */
  fetch?: typeof fetch;
  /** Per attempt, including reading the body. Default 15 s. */
  timeoutMs?: number;
  /** Extra attempts after the first for retryable failures. Default 2. */
  maxRetries?: number;
  /** Backoff tuning (delays, jitter source). */
  retry?: RetryOptions;
  /**
   * Altegio limits per IP, so pass one limiter to every client in the process. Default: a limiter
   * of this client's own (5/s, 200/min).
   */
  limiter?: RateLimiter;
  /** How many 429s in a row one call waits through before surfacing it. Default 10. */
  maxRateLimitedRetries?: number;
  logger?: Logger;
  /** Called after every attempt — feed metrics from it. */
  onResponse?: (info: ResponseInfo) => void;
}

type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number>;

/** One request, described with a templated endpoint so that logs and metrics stay low-cardinality. */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/record/{cid}/{rid}` — placeholders are filled from `params`. */
  endpoint: string;
  params?: Record<string, string | number>;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** `partner`: online booking and company lookups; `b2b`: everything that needs the user token. */
  auth: 'partner' | 'b2b';
  retry: RetryMode;
  signal?: AbortSignal | undefined;
  /** Place in the call budget's queue; see `rate-limiter.ts`. */
  priority?: CallPriority | undefined;
  /** Told when the call has to wait for the budget (typing indicator, "you are in line"). */
  onQueued?: AcquireOptions['onQueued'];
}

/** What a view of the transport adds to every request it sends. */
export type CallDefaults = Pick<RequestSpec, 'priority' | 'onQueued'>;

/** An answered request: the envelope's `data` and `meta` (or the bare body when there is no envelope). */
export interface Answer {
  status: number;
  data: unknown;
  meta: unknown;
}

/** The transport used by the client. */
export interface Transport {
  request(spec: RequestSpec): Promise<Answer>;
  /** Parses `value` or throws an {@link AltegioParseError} naming the endpoint and JSON path. */
  parse<S extends z.ZodType>(schema: S, value: unknown, spec: RequestSpec, status: number): z.output<S>;
  readonly hasUserToken: boolean;
  /** The same transport (same budget), adding `defaults` to every request that does not set them. */
  withDefaults(defaults: CallDefaults): Transport;
}

/** Builds the URL: base without a trailing slash + filled path + query (`service_ids[]=1&…`). */
export function buildUrl(baseUrl: string, spec: Pick<RequestSpec, 'endpoint' | 'params' | 'query'>): string {
  const base = baseUrl.replace(/\/+$/, '');
  const path = spec.endpoint.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = spec.params?.[name];
    if (value === undefined) throw new Error(`missing path parameter ${name} for ${spec.endpoint}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(spec.query ?? {})) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) search.append(`${key}[]`, String(item));
    else search.append(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  const qs = search.toString();
  return `${base}${path}${qs ? `?${qs}` : ''}`;
}

function isEnvelope(body: unknown): body is { data?: unknown; meta?: unknown; success?: unknown } {
  return (
    typeof body === 'object' && body !== null && !Array.isArray(body) && ('data' in body || 'success' in body)
  );
}

/** Creates the transport; validates configuration eagerly so a typo fails at start-up, not mid-dialogue. */
export function createTransport(options: TransportOptions): Transport {
  if (!/^https?:\/\//.test(options.baseUrl))
    throw new Error('Altegio baseUrl must start with http:// or https://');
  if (!options.partnerToken) throw new Error('Altegio partner token is required');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const policy = retryPolicy({
    ...options.retry,
    ...(options.maxRetries !== undefined ? { maxAttempts: options.maxRetries + 1 } : {}),
  });
  const limiter = options.limiter ?? createRateLimiter();
  const maxRefusals = options.maxRateLimitedRetries ?? 10;
  const log = options.logger;

  function headers(auth: RequestSpec['auth']): Record<string, string> {
    const user = auth === 'b2b' && options.userToken ? `, User ${options.userToken}` : '';
    return {
      Accept: 'application/vnd.api.v2+json',
      'Content-Type': 'application/json',
      Authorization: `Bearer ${options.partnerToken}${user}`,
    };
  }

  function report(spec: RequestSpec, status: ResponseInfo['status'], startedAt: number): void {
    try {
      options.onResponse?.({
        endpoint: spec.endpoint,
        method: spec.method,
        status,
        durationMs: Date.now() - startedAt,
      });
    } catch {
      // A broken metrics hook must never fail a booking.
    }
  }

  async function attempt(spec: RequestSpec): Promise<Answer> {
    const info = { endpoint: spec.endpoint, method: spec.method };
    let release: () => void;
    try {
      release = await limiter.acquire({
        priority: spec.priority,
        signal: spec.signal,
        onQueued: spec.onQueued,
      });
    } catch (cause) {
      throw new AltegioNetworkError({ ...info, kind: 'aborted', cause });
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = () => controller.abort(spec.signal?.reason);
    spec.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const startedAt = Date.now();
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await fetchImpl(buildUrl(options.baseUrl, spec), {
        method: spec.method,
        headers: headers(spec.auth),
        ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
        signal: controller.signal,
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (cause) {
      report(spec, 'network-error', startedAt);
      const kind = timedOut ? 'timeout' : spec.signal?.aborted ? 'aborted' : 'network';
      const detail = kind === 'timeout' ? `no answer within ${timeoutMs} ms` : undefined;
      throw new AltegioNetworkError({ ...info, kind, cause, ...(detail ? { detail } : {}) });
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onCallerAbort);
      release();
    }
    report(spec, status, startedAt);

    let body: unknown;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        if (status < 300)
          throw new AltegioParseError({ ...info, httpStatus: status, path: '(body)', problem: 'not JSON' });
        body = text;
      }
    }
    // Refused before processing: the whole budget stops for as long as Altegio asks.
    if (status === 429) limiter.pause(parseRetryAfter(retryAfter, Date.now()));
    const ok = status >= 200 && status < 300;
    if (!ok || (isEnvelope(body) && body.success === false)) {
      throw AltegioApiError.fromBody(
        { ...info, httpStatus: status, retryAfterMs: parseRetryAfter(retryAfter, Date.now()) },
        body,
      );
    }
    return isEnvelope(body)
      ? { status, data: body.data, meta: body.meta }
      : { status, data: body, meta: undefined };
  }

  async function request(spec: RequestSpec): Promise<Answer> {
    let refused = 0;
    for (let n = 1; ; n++) {
      try {
        return await attempt(spec);
      } catch (error) {
        // A 429 did nothing and the limiter now holds every call back: queue again, without
        // spending one of the attempts — waiting for the budget is not a failure.
        if (error instanceof AltegioApiError && error.kind === 'rate-limited' && refused < maxRefusals) {
          refused += 1;
          n -= 1;
          const waitMs = error.retryAfterMs ?? 0;
          if (waitMs <= policy.maxRetryAfterMs) {
            log?.warn(
              { endpoint: spec.endpoint, method: spec.method, refused, retryAfterMs: waitMs },
              'altegio answered 429; the call budget pauses and the call waits again',
            );
            continue;
          }
        }
        // A repeated DELETE answered 404: the earlier attempt did the job.
        if (
          spec.retry === 'delete' &&
          n > 1 &&
          error instanceof AltegioApiError &&
          error.kind === 'not-found'
        ) {
          return { status: 404, data: undefined, meta: undefined };
        }
        if (n >= policy.maxAttempts || !isRetryable(error, spec.retry)) throw error;
        const delay = backoffDelay(policy, n, error);
        if (delay > policy.maxRetryAfterMs) throw error;
        log?.warn(
          {
            endpoint: spec.endpoint,
            method: spec.method,
            attempt: n,
            delayMs: Math.round(delay),
            err: String(error),
          },
          'altegio call failed, retrying',
        );
        try {
          await sleep(delay, spec.signal);
        } catch (cause) {
          throw new AltegioNetworkError({
            endpoint: spec.endpoint,
            method: spec.method,
            kind: 'aborted',
            cause,
          });
        }
      }
    }
  }

  function parse<S extends z.ZodType>(
    schema: S,
    value: unknown,
    spec: RequestSpec,
    status: number,
  ): z.output<S> {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path = ['data', ...(issue?.path ?? [])]
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join('');
    throw new AltegioParseError({
      endpoint: spec.endpoint,
      method: spec.method,
      httpStatus: status,
      path,
      problem: issue?.message ?? 'invalid',
    });
  }

  function view(defaults: CallDefaults): Transport {
    return {
      request: (spec) =>
        request({
          ...spec,
          priority: spec.priority ?? defaults.priority,
          onQueued: spec.onQueued ?? defaults.onQueued,
        }),
      parse,
      hasUserToken: Boolean(options.userToken),
      withDefaults: (more) => view({ ...defaults, ...more }),
    };
  }

  return view({});
}
