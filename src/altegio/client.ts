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
import type { AltegioApi } from './api.js';
import { bookingOps } from './ops-booking.js';
import { clientOps } from './ops-clients.js';
import { recordOps } from './ops-records.js';
import { referenceOps } from './ops-reference.js';
import { createTransport, type Transport, type TransportOptions } from './transport.js';

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

/** Options of {@link createAltegioClient}: the transport's, and how booking waits for a lost answer. */
export interface AltegioClientOptions extends TransportOptions {
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
