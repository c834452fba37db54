/**
 * Clients and client categories (labels), B2B. The search endpoint is a read despite being a
 * POST, so it is retried like a GET.
 */
import { z } from 'zod';
import type { AltegioApi, ClientSearchQuery } from './api.js';
import { collect, requestPages } from './paging.js';
import { ClientSchema, ClientSummarySchema, LabelSchema } from './schemas.js';
import type { RequestSpec, Transport } from './transport.js';

type ClientOps = Pick<AltegioApi, 'getClient' | 'iterateClients' | 'searchClients' | 'clientCategories'>;

/**
 * Fields we ask the search to return (default would be `id` only). get_client_list's `fields` is a
 * fixed list and "cannot return tags/categories, custom fields, birth date": those come from the
 * client card (`getClient`).
 */
const SEARCH_FIELDS = ['id', 'name', 'phone', 'email'];

/** `YYYY-MM-DD` or `MM-DD` → `MM-DD`, the form Altegio's own tooling sends in the birthday filter. */
function monthDayOf(day: string): string {
  return day.slice(-5);
}

function searchFilters(query: ClientSearchQuery): Array<{ type: string; state: Record<string, unknown> }> {
  const filters: Array<{ type: string; state: Record<string, unknown> }> = [];
  if (query.birthday) {
    const { from, to } = query.birthday;
    filters.push({ type: 'birthday', state: { from: monthDayOf(from), to: monthDayOf(to) } });
  }
  if (query.quickSearch) filters.push({ type: 'quick_search', state: { value: query.quickSearch } });
  return filters;
}

/** @internal */
export function clientOps(t: Transport): ClientOps {
  function iterateClients(
    companyId: number,
    query: ClientSearchQuery = {},
    options: { signal?: AbortSignal | undefined } = {},
  ) {
    const pageSize = Math.min(200, Math.max(1, query.pageSize ?? 200));
    return requestPages(
      t,
      pageSize,
      (page) => ({
        method: 'POST',
        endpoint: '/company/{cid}/clients/search',
        params: { cid: companyId },
        body: {
          page,
          page_size: pageSize,
          fields: SEARCH_FIELDS,
          order_by: 'id',
          order_by_direction: 'ASC',
          operation: 'AND',
          filters: searchFilters(query),
        },
        auth: 'b2b',
        retry: 'safe',
        signal: options.signal,
      }),
      (data, parse) => parse(z.array(ClientSummarySchema), data),
    );
  }

  return {
    async getClient(companyId, clientId, options) {
      const spec: RequestSpec = {
        method: 'GET',
        endpoint: '/client/{cid}/{id}',
        params: { cid: companyId, id: clientId },
        auth: 'b2b',
        retry: 'safe',
        signal: options?.signal,
      };
      const answer = await t.request(spec);
      return t.parse(ClientSchema, answer.data, spec, answer.status);
    },

    iterateClients,
    searchClients: (companyId, query, options) => collect(iterateClients(companyId, query, options)),

    async clientCategories(companyId, options) {
      const spec: RequestSpec = {
        method: 'GET',
        endpoint: '/labels/{cid}/{entity}',
        params: { cid: companyId, entity: 1 },
        auth: 'b2b',
        retry: 'safe',
        signal: options?.signal,
      };
      // YCLIENTS samples show a bare array here; the transport hands either form over as `data`.
      const answer = await t.request(spec);
      const labels = t.parse(z.array(LabelSchema), answer.data ?? [], spec, answer.status);
      return labels.filter((l) => !l.deleted);
    },
  };
}
