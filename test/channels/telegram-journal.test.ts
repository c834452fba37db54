/**
 * Webhook mode with the update journal: an update is kept before Telegram hears it arrived, a
 * second delivery of it is not handed over again, one that cannot be kept is asked for again
 * (5xx), and what a dead process left pending is handed over at start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Update } from 'telegraf/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/channels/channel.js';
import { createTelegramChannel } from '../../src/channels/telegram.js';
import { createUpdateJournal } from '../../src/channels/telegram-journal.js';
import { registerTelegramWebhook } from '../../src/http/telegram-webhook.js';
import { createLogger } from '../../src/log.js';
import { createStore } from '../../src/store/index.js';
import { FakeTelegramServer } from '../fakes/telegram-server.js';
import { eventually } from '../helpers/eventually.js';

const TOKEN = '123456:journal-test';
const HOOK_SECRET = 'hook-secret';
const silent = createLogger({ level: 'silent' });

describe('telegram updates kept until handled (webhook mode)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps an update before answering, hands it over once, and marks it handled when the runtime is done', async () => {
    const fake = new FakeTelegramServer({ token: TOKEN });
    const { apiRoot } = await fake.start();
    cleanups.push(() => fake.stop());
    const dir = mkdtempSync(join(tmpdir(), 'telegram-journal-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = createStore(join(dir, 'bot.sqlite'));
    let open = true;
    cleanups.push(() => (open ? store.close() : undefined));
    const journal = createUpdateJournal(store.inbound, silent);

    // A message update as the fake Bot API builds it, under an id of the test's choosing.
    const updateOf = (updateId: number, text: string) =>
      ({
        ...fake.updateById(fake.userSends(701, text, { languageCode: 'en' })),
        update_id: updateId,
      }) as unknown as Update;
    // A process died after keeping update 41 and before handling it.
    await journal.keep(updateOf(41, '/book'));

    const channel = createTelegramChannel({
      token: TOKEN,
      apiRoot,
      logger: silent,
      secret: 'callback-secret',
      webhook: { path: '/webhooks/telegram', secretToken: HOOK_SECRET },
      journal,
    });
    cleanups.push(() => channel.stop());
    const handler = channel.webhookCallback;
    if (!handler) throw new Error('webhook handler missing');
    // Mounted by the HTTP server's own route.
    const app = Fastify();
    registerTelegramWebhook(app, handler);
    cleanups.push(() => app.close());

    const received: InboundMessage[] = [];
    const finish = new Map<string, () => void>();
    await channel.start((message) => {
      received.push(message);
      return new Promise<void>((resolve) => finish.set(message.updateId ?? '', resolve));
    });
    // Handed over at start, before anything new.
    expect(received.map((message) => message.updateId)).toEqual(['41']);

    const post = (update: unknown) =>
      app.inject({
        method: 'POST',
        url: '/webhooks/telegram',
        headers: { 'x-telegram-bot-api-secret-token': HOOK_SECRET },
        payload: update as never,
      });
    const start = updateOf(42, '/start');
    expect((await post(start)).statusCode).toBe(200);
    expect(received.map((message) => message.updateId)).toEqual(['41', '42']);
    expect((await store.inbound.get('telegram', '42'))?.processedAt).toBeNull();

    // Telegram sends it again (it did not hear the 200): it is not handed over twice.
    expect((await post(start)).statusCode).toBe(200);
    expect(received).toHaveLength(2);

    // Handled: it is no longer pending, and a restart would not hand it over.
    finish.get('42')?.();
    await eventually(async () => (await store.inbound.get('telegram', '42'))?.processedAt != null);
    expect((await journal.pending()).map((update) => update.update_id)).toEqual([41]);

    // The database is gone: Telegram is asked to send the update again rather than have it lost.
    await store.close();
    open = false;
    expect((await post(updateOf(43, 'hello'))).statusCode).toBe(503);
    expect(received).toHaveLength(2);
  });
});
