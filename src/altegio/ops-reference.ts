/**
 * Reference data: branches, services, categories, staff. These change rarely, which is why
 * `cache.ts` wraps exactly these operations.
 */
import { z } from 'zod';
import type { AltegioApi } from './api.js';
import {
  type AltegioService,
  CompanySchema,
  ServiceCategorySchema,
  ServiceSchema,
  StaffSchema,
} from './schemas.js';
import type { RequestSpec, Transport } from './transport.js';

type ReferenceOps = Pick<
  AltegioApi,
  'getCompany' | 'listCompanies' | 'services' | 'serviceCategories' | 'staff'
>;

/** Picks the display name per `records.useWidgetServiceNames`. */
export function serviceDisplayName(
  service: Pick<AltegioService, 'title' | 'bookingTitle'>,
  useWidgetNames: boolean,
): string {
  return useWidgetNames && service.bookingTitle.trim() !== '' ? service.bookingTitle : service.title;
}

/** @internal */
export function referenceOps(t: Transport): ReferenceOps {
  /** Every reference call is a GET of one resource, safe to retry. */
  async function get<S extends z.ZodType>(
    schema: S,
    spec: Pick<RequestSpec, 'endpoint' | 'params' | 'query' | 'auth'>,
    options: { signal?: AbortSignal | undefined } | undefined,
  ): Promise<z.output<S>> {
    const full: RequestSpec = { method: 'GET', ...spec, retry: 'safe', signal: options?.signal };
    const answer = await t.request(full);
    return t.parse(schema, answer.data, full, answer.status);
  }

  return {
    getCompany(companyId, options) {
      // Public clients read the company with the partner token alone;
      // that also works for marketplace installs without a user token.
      return get(
        CompanySchema,
        { endpoint: '/company/{cid}', params: { cid: companyId }, auth: 'partner' },
        options,
      );
    },

    listCompanies(query = {}, options) {
      return get(
        z.array(CompanySchema),
        {
          endpoint: '/companies',
          query: {
            id: query.id,
            group_id: query.groupId,
            my: query.my,
            active: query.active,
          },
          auth: 'partner',
        },
        options,
      );
    },

    async services(companyId, choose = {}, options) {
      const all = await get(
        z.array(ServiceSchema),
        { endpoint: '/company/{cid}/services', params: { cid: companyId }, auth: 'b2b' },
        options,
      );
      const useWidgetNames = choose.useWidgetNames ?? false;
      const includeOffline = choose.includeOffline ?? true;
      return all
        .filter((s) => includeOffline || s.online)
        .map((s) => ({ ...s, name: serviceDisplayName(s, useWidgetNames) }));
    },

    serviceCategories(companyId, options) {
      return get(
        z.array(ServiceCategorySchema),
        { endpoint: '/company/{cid}/service_categories', params: { cid: companyId }, auth: 'b2b' },
        options,
      );
    },

    staff(companyId, options) {
      return get(
        z.array(StaffSchema),
        { endpoint: '/company/{cid}/staff', params: { cid: companyId }, auth: 'b2b' },
        options,
      );
    },
  };
}
