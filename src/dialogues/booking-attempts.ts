/**
 * Which `book_record` attempts have gone out, kept in the store so that every process sees them.
 *
 * A booking step runs again after a crash (the client's press is delivered again) or after the
 * client's Retry, under the same idempotency key. Only then can a 433 "time taken" mean that our
 * own first send took it, and only then is the day's records read to find out. A first send's 433
 * is someone else's booking, and the client gets the fresh times without that lookup.
 *
 * @module
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';

export interface BookingAttempts {
  /** Notes that a `book_record` goes out under `key`; false when one may have gone out under it before. */
  firstSend(key: string): Promise<boolean>;
}

/** The ledger's source for these keys; webhook replay reads only `altegio` rows. */
const SOURCE = 'booking';

/**
 * Attempts noted in the inbound ledger: it already keeps "seen once" keys in both dialects, scoped
 * to the salon, and prunes them after its retention. They are marked processed at once, so
 * start-up never mistakes one for a webhook left over.
 */
export function storeBookingAttempts(store: Store, logger: Logger): BookingAttempts {
  return {
    async firstSend(key) {
      try {
        return await store.transaction(async () => {
          const fresh = await store.inbound.recordIfNew(SOURCE, key);
          if (fresh) await store.inbound.markProcessed(SOURCE, key);
          return fresh;
        });
      } catch (error) {
        // Unable to note it: a 433 then gets the lookup, as if this send were a repeat.
        logger.warn({ err: error }, 'could not note a booking attempt; a refusal will be checked');
        return false;
      }
    },
  };
}
