import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { SettingsHolder } from '../config/settings-holder.js';
import type { Clock } from '../domain/clock.js';
import { normalizePhone } from '../domain/phone.js';
import type { Store } from '../store/index.js';

export interface AdminApiOptions {
  /** Without a token the admin API is off: every `/api/*` route answers 404. */
  token: string | undefined;
  store: Store;
  settings: SettingsHolder;
  clock: Clock;
}

function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * `/api/*`, the salon admin's HTTP API, behind `Authorization: Bearer $ADMIN_TOKEN`. Registered
 * as one encapsulated plugin so the token check covers every route in it and nothing outside.
 */
export function registerAdminApi(app: FastifyInstance, options: AdminApiOptions): void {
  const { token, store } = options;
  if (!token) return;
  void app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        const header = request.headers.authorization ?? '';
        const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
        if (!given || !sameToken(given, token)) {
          request.log.warn(
            { route: request.routeOptions.url },
            'admin API call without a valid token refused',
          );
          return reply.code(401).send({ error: 'missing or wrong bearer token' });
        }
      });

      // Every notification decision for a phone or a record: the answer to "why did my client
      // not get the reminder?".
      api.get<{ Querystring: { phone?: string; record?: string } }>('/deliveries', async (request, reply) => {
        const { phone, record } = request.query;
        if (phone !== undefined) {
          const normalized = normalizePhone(phone);
          if (!normalized) return reply.code(400).send({ error: `"${phone}" is not a phone number` });
          return store.deliveries.byPhone(normalized);
        }
        if (record !== undefined) {
          if (!/^\d+$/.test(record)) return reply.code(400).send({ error: 'record must be a record id' });
          return store.deliveries.byRecord(Number(record));
        }
        return store.deliveries.recent();
      });
    },
    { prefix: '/api' },
  );
}
