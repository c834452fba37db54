import type { AltegioApi } from '../altegio/client.js';
import { AltegioApiError } from '../altegio/errors.js';
import type { ClientCard } from '../altegio/schemas.js';
import type { Clock } from '../domain/clock.js';
import { LruMap } from '../lru.js';

/**
 * Client cards (`GET /client/{company_id}/{id}`), read only where a notice depends on them.
 * Altegio's client search cannot return birth date or categories (get_client_list), and a record's
 * `client` object is not documented to carry them, so excluded categories and birthdays are read
 * here. Each card costs one call of the 200/min budget: cards are kept for `ttlMs`, concurrent
 * reads of one card share a request, and a failed read is not kept.
 */
export interface ClientCards {
  /** The card, from memory when read within `ttlMs`. Throws when Altegio cannot be asked. */
  card(companyId: number, clientId: number): Promise<ClientCard>;
  /** Category ids of the client: the card's, or `fallback` when the client has no id. */
  categoryIds(
    companyId: number,
    clientId: number | null | undefined,
    fallback?: readonly number[],
  ): Promise<number[]>;
  /** Drops a card (a `client` webhook changed it). */
  forget(companyId: number, clientId: number): void;
}

export interface ClientCardsOptions {
  /** Default 6 hours: categories change rarely, and a greeting or reminder waits for nothing. */
  ttlMs?: number;
  /** Default 5,000 cards. */
  capacity?: number;
}

export function createClientCards(
  altegio: Pick<AltegioApi, 'getClient'>,
  clock: Clock,
  options: ClientCardsOptions = {},
): ClientCards {
  const ttlMs = options.ttlMs ?? 6 * 3_600_000;
  const cache = new LruMap<string, { at: number; value: Promise<ClientCard> }>(options.capacity ?? 5_000);
  const key = (companyId: number, clientId: number) => `${companyId}:${clientId}`;

  function card(companyId: number, clientId: number): Promise<ClientCard> {
    const k = key(companyId, clientId);
    const hit = cache.get(k);
    if (hit && clock.now() - hit.at < ttlMs) return hit.value;
    const value = altegio.getClient(companyId, clientId);
    cache.set(k, { at: clock.now(), value });
    value.catch(() => {
      if (cache.get(k)?.value === value) cache.delete(k);
    });
    return value;
  }

  return {
    card,
    async categoryIds(companyId, clientId, fallback = []) {
      if (!clientId) return [...fallback];
      try {
        const found = await card(companyId, clientId);
        return found.categories.map((category) => category.id);
      } catch (error) {
        // A client Altegio no longer knows (merged, deleted): what the record said is all there is.
        if (error instanceof AltegioApiError && error.kind === 'not-found') return [...fallback];
        throw error;
      }
    },
    forget: (companyId, clientId) => cache.delete(key(companyId, clientId)),
  };
}
