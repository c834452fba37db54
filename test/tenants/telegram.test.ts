/**
 * Each salon of a deployment has its own Telegram bot: its webhook is registered under the salon's
 * prefix with a secret of its own, and its clients are answered by its bot's token only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createTenantHost, type TenantHost } from '../../src/tenants/host.js';
import { FakeTelegramServer } from '../fakes/telegram-server.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';

const OPERATOR = 'operator-token';
const BOTS = { 'salon-a': '1001:bot-of-salon-a', 'salon-b': '1002:bot-of-salon-b' } as const;
type Salon = keyof typeof BOTS;

describe("salons' own Telegram bots", () => {
  let server: TestPostgres;
  let database: TestDatabase;
  let host: TenantHost;
  let base = '';
  const telegram = new FakeTelegramServer();
  /** What each bot told Telegram in `setWebhook`. */
  const webhooks: Partial<Record<Salon, { url: string; secret: string }>> = {};

  beforeAll(async () => {
    const { apiRoot } = await telegram.start();
    server = await startTestPostgres();
    database = await server.createDatabase();
    host = createTenantHost({
      env: {
        DATABASE_URL: database.url,
        OPERATOR_TOKEN: OPERATOR,
        TELEGRAM_API_ROOT: apiRoot,
        TELEGRAM_WEBHOOK_URL: 'https://bots.example.com',
      },
      port: 0,
      pollMs: 500,
      logger: createLogger({ level: 'silent' }),
    });
    base = (await host.start()).url;
    for (const [id, token] of Object.entries(BOTS) as Array<[Salon, string]>) {
      const created = await fetch(`${base}/operator/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id, telegramBotToken: token, settings: { variables: { language: 'en' } } }),
      });
      expect(created.status).toBe(201);
      const call = await telegram.waitFor((c) => c.method === 'setWebhook' && c.token === token, 30_000);
      webhooks[id] = { url: String(call.params.url), secret: String(call.params.secret_token) };
    }
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await telegram.stop();
    await database?.drop();
    await server?.stop();
  });

  /** Posts update `updateId` to the salon's webhook path as Telegram would, with `secret`. */
  const deliver = (salon: Salon, updateId: number, secret: string) =>
    fetch(`${base}/t/${salon}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify(telegram.updateById(updateId)),
    });

  it('registers each bot at its salon prefix with a secret of its own', () => {
    expect(webhooks['salon-a']?.url).toBe('https://bots.example.com/t/salon-a/webhooks/telegram');
    expect(webhooks['salon-b']?.url).toBe('https://bots.example.com/t/salon-b/webhooks/telegram');
    expect(webhooks['salon-a']?.secret).not.toBe(webhooks['salon-b']?.secret);
  });

  it("answers a client through the salon's bot, and refuses another salon's secret", async () => {
    const chat = 7001;
    const update = telegram.userSends(chat, '/start');
    // Salon A's update posted to salon B's path (a forged or misrouted delivery) is refused.
    const forged = await deliver('salon-b', update, webhooks['salon-a']?.secret ?? '');
    expect(forged.status).toBe(403);
    const delivered = await deliver('salon-a', update, webhooks['salon-a']?.secret ?? '');
    expect(delivered.status).toBe(200);
    await eventually(() => {
      const replies = telegram.sent.filter(
        (call) => call.method === 'sendMessage' && call.chatId === String(chat),
      );
      expect(replies.length).toBeGreaterThan(0);
      expect(new Set(replies.map((call) => call.token))).toEqual(new Set([BOTS['salon-a']]));
    });
  });
});
