import type { FastifyInstance } from 'fastify';
import type { Update } from 'telegraf/types';
import type { TelegramWebhookHandler } from '../channels/telegram.js';

/**
 * `POST /webhooks/telegram`, used when Telegram pushes updates instead of being polled. The
 * channel's handler checks `X-Telegram-Bot-Api-Secret-Token` and answers 403 when it is wrong.
 */
export function registerTelegramWebhook(app: FastifyInstance, handler: TelegramWebhookHandler): void {
  app.post('/webhooks/telegram', async (request, reply) => {
    reply.hijack();
    // fastify has parsed the JSON already; telegraf reads a parsed body from `req.body`.
    const raw = Object.assign(request.raw, { body: request.body as Update });
    await handler(raw, reply.raw);
  });
}
