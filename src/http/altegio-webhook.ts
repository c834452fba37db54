import type { FastifyInstance } from 'fastify';
import { parseWebhook, type WebhookEvent, webhookDedupeKey } from '../altegio/webhooks.js';
import type { Metrics } from '../metrics.js';
import type { InboundPort } from '../store/index.js';
import { sameSecret } from './secret.js';

export interface AltegioWebhookOptions {
  /** The secret path segment; undefined refuses every webhook (nothing is accepted unauthenticated). */
  secret: string | undefined;
  inbound: Pick<InboundPort, 'recordIfNew'>;
  metrics: Metrics;
  /** Processes a stored event after the answer has been sent (reporting its own failures). */
  onEvent(event: WebhookEvent, ledgerKey: string, body: unknown): Promise<void>;
}

/**
 * `POST /webhooks/altegio/:secret`. Altegio signs nothing, so the secret lives in the URL. The
 * answer comes as soon as the event is in the inbound ledger (Altegio may time out and resend a
 * slow answer); processing happens afterwards and is idempotent, because the ledger key
 * (branch, resource, id, status, last_change_date) lets each change in once.
 */
export function registerAltegioWebhook(app: FastifyInstance, options: AltegioWebhookOptions): void {
  app.post<{ Params: { secret: string } }>('/webhooks/altegio/:secret', async (request, reply) => {
    if (options.secret === undefined || !sameSecret(request.params.secret, options.secret)) {
      options.metrics.webhooks.inc({ outcome: 'unauthorized' });
      request.log.warn('Altegio webhook with a wrong secret refused');
      return reply.code(401).send({ error: 'wrong webhook secret' });
    }
    const parsed = parseWebhook(request.body);
    if (!parsed.ok) {
      options.metrics.webhooks.inc({ outcome: 'invalid' });
      request.log.warn({ reason: parsed.reason }, 'malformed Altegio webhook refused');
      return reply.code(400).send({ error: 'not a valid Altegio webhook', reason: parsed.reason });
    }
    const key = webhookDedupeKey(parsed.event);
    const fresh = await options.inbound.recordIfNew('altegio', key, request.body);
    options.metrics.webhooks.inc({ outcome: fresh ? 'accepted' : 'duplicate' });
    if (fresh)
      setImmediate(() => {
        options.onEvent(parsed.event, key, request.body).catch((error: unknown) => {
          // Left unprocessed in the ledger: start-up replays it.
          request.log.error({ err: error, ledgerKey: key }, 'processing an Altegio webhook failed');
        });
      });
    return reply.code(200).send({ ok: true, duplicate: !fresh });
  });
}
