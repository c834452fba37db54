import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SendLimiter } from './telegram-limits.js';
import { FakeTelegramServer } from './telegram-server.js';

const TOKEN = '42:fake';

describe('fake Telegram Bot API', () => {
  let fake: FakeTelegramServer;
  let apiRoot: string;
  let call: (method: string, body?: unknown, token?: string) => Promise<{ status: number; json: unknown }>;

  beforeEach(async () => {
    fake = new FakeTelegramServer({ token: TOKEN, maxPollMs: 300 });
    ({ apiRoot } = await fake.start());
    call = async (method, body = {}, token = TOKEN) => {
      const res = await fetch(new URL(`./bot${token}/${method}`, apiRoot), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('answers in the Bot API envelope and refuses a wrong token', async () => {
    expect(await call('getMe')).toMatchObject({ status: 200, json: { ok: true, result: { is_bot: true } } });
    expect(await call('getMe', {}, '1:other')).toMatchObject({
      status: 401,
      json: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
    expect((await call('noSuchMethod')).status).toBe(404);
  });

  it('holds getUpdates until an update arrives, and honours offset', async () => {
    const started = Date.now();
    const empty = await call('getUpdates', { timeout: 50, offset: 0 });
    expect(empty.json).toEqual({ ok: true, result: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    const waiting = call('getUpdates', { timeout: 50, offset: 0 });
    const id = fake.userSends(7, 'hi', { languageCode: 'uk' });
    const got = (await waiting).json as {
      result: Array<{ update_id: number; message: Record<string, unknown> }>;
    };
    expect(got.result).toHaveLength(1);
    expect(got.result[0]?.update_id).toBe(id);
    expect(got.result[0]?.message).toMatchObject({
      text: 'hi',
      chat: { id: 7, type: 'private' },
      from: { id: 7, is_bot: false, language_code: 'uk' },
    });

    // Not confirmed yet: handed out again; confirmed by a higher offset: gone.
    expect(((await call('getUpdates', { offset: 0 })).json as { result: unknown[] }).result).toHaveLength(1);
    expect(
      ((await call('getUpdates', { offset: id + 1 })).json as { result: unknown[] }).result,
    ).toHaveLength(0);

    // A redelivery comes back with the same id despite the offset.
    fake.redeliver(id);
    const again = (await call('getUpdates', { offset: id + 1 })).json as {
      result: Array<{ update_id: number }>;
    };
    expect(again.result.map((u) => u.update_id)).toEqual([id]);
    expect(
      ((await call('getUpdates', { offset: id + 1 })).json as { result: unknown[] }).result,
    ).toHaveLength(0);
  });

  it('records sends, stores messages for presses, and validates keyboards like the real API', async () => {
    const markup = { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] };
    const sent = await call('sendMessage', { chat_id: 9, text: 'Pick', reply_markup: markup });
    const messageId = (sent.json as { result: { message_id: number } }).result.message_id;
    const recorded = await fake.waitFor((c) => c.method === 'sendMessage');
    expect(recorded.chatId).toBe('9');
    expect(fake.message(9, messageId)).toMatchObject({ text: 'Pick', reply_markup: markup });

    const tooLong = { inline_keyboard: [[{ text: 'A', callback_data: 'x'.repeat(65) }]] };
    expect((await call('sendMessage', { chat_id: 9, text: 'x', reply_markup: tooLong })).json).toMatchObject({
      ok: false,
      description: 'Bad Request: BUTTON_DATA_INVALID',
    });
    expect((await call('sendMessage', { chat_id: 9, text: ' ' })).status).toBe(400);

    // Same content again is "not modified", as on the real API.
    const same = await call('editMessageText', {
      chat_id: 9,
      message_id: messageId,
      text: 'Pick',
      reply_markup: markup,
    });
    expect(same.status).toBe(400);
    await call('editMessageReplyMarkup', { chat_id: 9, message_id: messageId });
    expect(fake.message(9, messageId)?.reply_markup).toBeUndefined();
  });

  it('injects faults with retry_after, once each', async () => {
    fake.failNext('sendMessage', { error_code: 429, retry_after: 3 });
    expect(await call('sendMessage', { chat_id: 1, text: 'x' })).toEqual({
      status: 429,
      json: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        parameters: { retry_after: 3 },
      },
    });
    expect((await call('sendMessage', { chat_id: 1, text: 'x' })).status).toBe(200);
  });

  it('reads form-encoded bodies too', async () => {
    const res = await fetch(new URL(`./bot${TOKEN}/sendMessage`, apiRoot), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ chat_id: '3', text: 'form', reply_markup: '{"remove_keyboard":true}' }),
    });
    expect(res.status).toBe(200);
    const recorded = await fake.waitFor((c) => c.method === 'sendMessage', 500);
    expect(recorded.params).toEqual({ chat_id: '3', text: 'form', reply_markup: { remove_keyboard: true } });
  });
});

describe('fake Telegram Bot API limit mode', () => {
  it('refuses with 429 a second message in a chat within a second, and a 31st overall', () => {
    const limiter = new SendLimiter();
    expect(limiter.admit('a', 0)).toEqual({ ok: true });
    expect(limiter.admit('a', 999)).toEqual({ ok: false, retryAfter: 1 });
    expect(limiter.admit('a', 1000)).toEqual({ ok: true });
    for (let i = 0; i < 29; i++) expect(limiter.admit(`c${i}`, 1500).ok).toBe(true);
    expect(limiter.admit('late', 1600)).toEqual({ ok: false, retryAfter: 1 });
    expect(limiter.admit('late', 2000)).toEqual({ ok: true });
    expect(limiter.refused).toBe(2);
    expect(limiter.refusedByChat.get('late')).toBe(1);
  });

  it('answers the envelope Telegram does: 429 with parameters.retry_after, 403 for a blocked chat, 409 on conflict', async () => {
    const fake = new FakeTelegramServer({ token: TOKEN, limits: true });
    const { apiRoot } = await fake.start();
    const call = async (method: string, body: unknown) => {
      const res = await fetch(new URL(`./bot${TOKEN}/${method}`, apiRoot), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };
    try {
      expect((await call('sendMessage', { chat_id: 5, text: 'one' })).status).toBe(200);
      expect(await call('sendMessage', { chat_id: 5, text: 'two' })).toMatchObject({
        status: 429,
        json: { ok: false, error_code: 429, parameters: { retry_after: 1 } },
      });
      fake.setBlocked(6, true);
      expect(await call('sendMessage', { chat_id: 6, text: 'hi' })).toMatchObject({
        status: 403,
        json: { description: 'Forbidden: bot was blocked by the user' },
      });
      fake.setConflict(true);
      expect((await call('getUpdates', { timeout: 0 })).status).toBe(409);
      fake.setConflict(false);
      expect((await call('getUpdates', { timeout: 0 })).status).toBe(200);
      expect(
        await call('setMyCommands', { commands: [{ command: 'Bad!', description: 'x' }] }),
      ).toMatchObject({
        status: 400,
      });
      expect(fake.commands.size).toBe(0);
    } finally {
      await fake.stop();
    }
  });
});
