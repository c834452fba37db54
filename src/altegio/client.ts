/**
 * Typed Altegio client: every operation the product needs, each one call (or a documented few)
 * to Altegio's v1 REST API, with neutral return types from `schemas.ts`. Transport concerns
 * (headers, limiter, timeouts, retries) live in `transport.ts`, the interface and call shapes in
 * `api.ts`; this file assembles the client from the `ops-*.ts` files.
 *
 * @example
 * const altegio = createAltegioClient({ baseUrl: 'https://api.alteg.io/api/v1', partnerToken, userToken });
 * const times = await altegio.bookTimes(42, 0, '2026-03-14', { serviceIds: [7] });
 */
import type { Logger } from '../log.js';
import type { AltegioApi } from './api.js';
import { bookingOps } from './ops-booking.js';
import { clientOps } from './ops-clients.js';
import { recordOps } from './ops-records.js';
import { referenceOps } from './ops-reference.js';
import type { RateLimiter } from './rate-limiter.js';
import type { RetryOptions } from './retry.js';
import { createTransport, type ResponseInfo, type Transport } from './transport.js';

export type {
  AltegioApi,
  AppointmentInput,
  BookRecordInput,
  CallOptions,
  CallScope,
  ClientSearchQuery,
  CompanyQuery,
  RecordChanges,
  RecordQuery,
  ServicesOptions,
} from './api.js';
export type { ResponseInfo } from './transport.js';

/** Options of {@link createAltegioClient}. */
export interface AltegioClientOptions {
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
  /**
   * How long to let Altegio finish a `book_record` whose answer we lost before looking for the
   * record. Default 1500 ms.
   */
  bookRecordSettleMs?: number;
}

/** Creates the client. Throws at once on a malformed base URL or a missing partner token. */
export function createAltegioClient(options: AltegioClientOptions): AltegioApi {
  const build = (transport: Transport): AltegioApi => {
    const records = recordOps(transport);
    return {
      withPriority: (priority, scope = {}) =>
        build(transport.withDefaults({ priority, ...(scope.onQueued ? { onQueued: scope.onQueued } : {}) })),
      ...referenceOps(transport),
      ...bookingOps(transport, records, {
        settleMs: options.bookRecordSettleMs ?? 1_500,
        maxSends: (options.maxRetries ?? 2) + 1,
        ...(options.logger ? { logger: options.logger } : {}),
      }),
      ...records,
      ...clientOps(transport),
    };
  };
  return build(createTransport(options));
}
