import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelSendError, type InboundMessage } from '../../src/channels/channel.js';
import { createTelegramChannel, type TelegramChannel } from '../../src/channels/telegram.js';
import { registerTelegramWebhook } from '../../src/http/telegram-webhook.js';
import { createLogger } from '../../src/log.js';
import { type BotCall, FakeTelegramServer } from '../fakes/telegram-server.js';
import { menu } from '../helpers/menus.js';

const TOKEN = '123456789:AAtest-token_value';
const SECRET = 'callback-signing-secret';

interface InlineButton {
  text: string;
  callback_data: string;
}

/** Collects inbound messages and lets a test wait for the next one. */
function inbox() {
  const received: InboundMessage[] = [];
  const waiters: Array<{ match: (m: InboundMessage) => boolean; resolve: (m: InboundMessage) => void }> = [];
  return {
    received,
    onInbound(message: InboundMessage) {
      received.push(message);
      for (const waiter of [...waiters]) {
        if (waiter.match(message)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    },
    next(match: (m: InboundMessage) => boolean = () => true, timeoutMs = 2000): Promise<InboundMessage> {
      const found = received.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no inbound message in time')), timeoutMs);
        waiters.push({
          match,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
  };
}

function logSink() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(line) } });
  return { lines, logger };
}

function inlineButtons(call: BotCall): InlineButton[] {
  const markup = call.params.reply_markup as { inline_keyboard?: InlineButton[][] } | undefined;
  return (markup?.inline_keyboard ?? []).flat();
}

function messageId(call: BotCall): number {
  return (call.response.result as { message_id: number }).message_id;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('telegram channel (long polling against the fake Bot API)', () => {
  let fake: FakeTelegramServer;
  let channel: TelegramChannel;
  let box: ReturnType<typeof inbox>;
  let logs: ReturnType<typeof logSink>;
  let apiRoot: string;

  beforeEach(async () => {
    fake = new FakeTelegramServer({ token: TOKEN, maxPollMs: 500 });
    ({ apiRoot } = await fake.start());
    logs = logSink();
    channel = createTelegramChannel({ token: TOKEN, apiRoot, logger: logs.logger, secret: SECRET });
    box = inbox();
    await channel.start(box.onInbound);
  });

  afterEach(async () => {
    await channel.stop();
    await fake.stop();
    // The token is part of every API URL; it must never reach a log line.
    expect(logs.lines.join('\n')).not.toContain(TOKEN.split(':')[1]);
  });

  it('starts polling and stops cleanly', async () => {
    expect(channel.isRunning()).toBe(true);
    await fake.waitFor((c) => c.method === 'deleteWebhook');
    expect(fake.sent[0]?.method).toBe('getMe');
    const started = Date.now();
    await channel.stop();
    expect(channel.isRunning()).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('turns /start into user.command with the language, the client name and update id', async () => {
    const updateId = fake.userSends(501, '/start', { languageCode: 'ru' });
    const message = await box.next();
    expect(message).toEqual({
      channel: 'telegram',
      chatId: '501',
      updateId: String(updateId),
      languageCode: 'ru',
      displayName: 'Client501',
      event: { type: 'user.command', name: 'start' },
    });
  });

  it('maps /book, /cancel (also addressed to the bot) and plain text', async () => {
    fake.userSends(502, '/book@salon_test_bot');
    fake.userSends(502, '/cancel');
    fake.userSends(502, 'Hello there');
    fake.userSends(502, '/help');
    await box.next((m) => m.event.type === 'user.text' && m.event.text === '/help');
    expect(box.received.map((m) => m.event)).toEqual([
      { type: 'user.command', name: 'book' },
      { type: 'user.command', name: 'cancel' },
      { type: 'user.text', text: 'Hello there' },
      { type: 'user.text', text: '/help' },
    ]);
  });

  it('keeps polling after the inbound handler throws', async () => {
    await channel.stop();
    let calls = 0;
    await channel.start((message) => {
      calls++;
      if (calls === 1) throw new Error('runtime exploded');
      box.onInbound(message);
    });
    fake.userSends(503, 'first');
    fake.userSends(503, 'second');
    const second = await box.next();
    expect(second.event).toEqual({ type: 'user.text', text: 'second' });
    expect(logs.lines.some((line) => line.includes('inbound handler threw'))).toBe(true);
  });

  it('hands over a redelivered update again with the same updateId, for the runtime to drop', async () => {
    const updateId = fake.userSends(504, 'once');
    await box.next();
    fake.redeliver(updateId);
    await box.next(() => box.received.length === 2);
    expect(box.received.map((m) => m.updateId)).toEqual([String(updateId), String(updateId)]);
  });

  it('renders options as an inline keyboard with short, opaque, signed callback data', async () => {
    await channel.send(
      '505',
      menu('Choose a service', 'd42.s3', [
        ['svc:1001', 'Haircut'],
        ['svc:1002', 'Colouring'],
        ['svc:1003', 'Manicure and pedicure, long'],
      ]),
    );
    const call = await fake.waitFor((c) => c.method === 'sendMessage' && c.chatId === '505');
    const markup = call.params.reply_markup as { inline_keyboard: InlineButton[][] };
    // A label this long puts every button on its own row.
    expect(markup.inline_keyboard.map((row) => row.length)).toEqual([1, 1, 1]);
    for (const button of inlineButtons(call)) {
      expect(Buffer.byteLength(button.callback_data)).toBeLessThanOrEqual(64);
    }

    await channel.send('505', {
      text: 'Pick a time',
      menuId: 'm1',
      options: ['10:00', '10:30', '11:00'].map((t) => ({ value: t, label: t })),
    });
    const times = await fake.waitFor((c) => c.method === 'sendMessage' && c.params.text === 'Pick a time');
    const rows = (times.params.reply_markup as { inline_keyboard: InlineButton[][] }).inline_keyboard;
    expect(rows.map((row) => row.length)).toEqual([2, 1]);
  });

  it('delivers a press as user.choice with its menuId, answers it and shows the choice', async () => {
    await channel.send(
      '506',
      menu('Confirm the booking?', 'booking-7', [
        ['yes', 'Confirm'],
        ['no', 'Cancel'],
      ]),
    );
    const call = await fake.waitFor((c) => c.method === 'sendMessage' && c.chatId === '506');
    const confirm = inlineButtons(call).find((b) => b.text === 'Confirm');
    expect(confirm).toBeDefined();
    const updateId = fake.userPresses(506, messageId(call), confirm?.callback_data ?? '', {
      languageCode: 'uk',
    });

    const choice = await box.next();
    expect(choice).toEqual({
      channel: 'telegram',
      chatId: '506',
      updateId: String(updateId),
      languageCode: 'uk',
      menuId: 'booking-7',
      event: { type: 'user.choice', value: 'yes' },
    });
    const answer = await fake.waitFor((c) => c.method === 'answerCallbackQuery');
    expect(answer.params.text).toBeUndefined();
    await fake.waitFor((c) => c.method === 'editMessageText');
    const shown = fake.message(506, messageId(call));
    expect(shown?.text).toBe('Confirm the booking?\n\n› Confirm');
    expect(shown?.reply_markup).toBeUndefined();
  });

  it('refuses an altered or another chat’s callback data politely, and says nothing to the runtime', async () => {
    await channel.send('507', {
      text: 'Rate your visit',
      menuId: 'fb-1',
      options: [1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: '★'.repeat(n) })),
    });
    const call = await fake.waitFor((c) => c.method === 'sendMessage' && c.chatId === '507');
    const one = inlineButtons(call)[0]?.callback_data ?? '';
    expect(one.endsWith(':1')).toBe(true);

    // The client edits the value in the data (a 1-star press turned into 5 stars).
    fake.userPresses(507, messageId(call), `${one.slice(0, -1)}5`);
    const forged = await fake.waitFor((c) => c.method === 'answerCallbackQuery');
    expect(forged.params.text).toBe('Sorry, this button is no longer valid.');

    // Another chat replays chat 507's genuine button.
    const mark = fake.sent.length;
    fake.userPresses(508, messageId(call), one);
    const replayed = await fake.waitFor((c) => c.method === 'answerCallbackQuery', 2000, mark);
    expect(replayed.params.text).toBe('Sorry, this button is no longer valid.');

    // Plain garbage.
    const mark2 = fake.sent.length;
    fake.userPresses(507, messageId(call), 'yes');
    await fake.waitFor((c) => c.method === 'answerCallbackQuery', 2000, mark2);

    await sleep(30);
    expect(box.received).toEqual([]);
    expect(fake.sent.some((c) => c.method.startsWith('edit'))).toBe(false);
    expect(
      logs.lines.filter((l) => l.includes('"level":40') && l.includes('failed verification')),
    ).toHaveLength(3);
  });

  it('answers an unknown button in the phrase supplied for the client’s language', async () => {
    await channel.stop();
    channel = createTelegramChannel({
      token: TOKEN,
      apiRoot,
      logger: logs.logger,
      secret: SECRET,
      phrases: { unknownButton: (lang) => (lang === 'ru' ? 'Эта кнопка устарела.' : 'Old button.') },
    });
    await channel.start(box.onInbound);
    fake.userPresses(509, 1, 'forged:data', { languageCode: 'ru' });
    const answer = await fake.waitFor((c) => c.method === 'answerCallbackQuery');
    expect(answer.params.text).toBe('Эта кнопка устарела.');
  });

  it('falls back to a server-side token when menu id and value are too long to sign inline', async () => {
    const menuId = 'dialogue-0f8fad5b-d9cb-469f-a165-70867728950e';
    await channel.send('510', {
      text: 'Choose a staff member',
      menuId,
      options: [{ value: 'staff:123456789', label: 'Anna' }],
    });
    const call = await fake.waitFor((c) => c.method === 'sendMessage' && c.chatId === '510');
    const data = inlineButtons(call)[0]?.callback_data ?? '';
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(data).not.toContain('staff');
    fake.userPresses(511, messageId(call), data);
    await fake.waitFor((c) => c.method === 'answerCallbackQuery' && typeof c.params.text === 'string');
    fake.userPresses(510, messageId(call), data);
    const choice = await box.next();
    expect(choice.event).toEqual({ type: 'user.choice', value: 'staff:123456789' });
    expect(choice.menuId).toBe(menuId);
  });

  it('links the client’s own contact with normalised digits and rejects someone else’s', async () => {
    fake.userSharesContact(512, '+7 (916) 123-45-67', { languageCode: 'en' });
    const contact = await box.next();
    expect(contact.event).toEqual({ type: 'user.contact', phone: '79161234567' });
    expect(contact.languageCode).toBe('en');

    fake.userSharesContact(512, '+7 916 000-00-00', { userId: 999 });
    const hint = await fake.waitFor((c) => c.method === 'sendMessage' && c.chatId === '512');
    expect(hint.params.text).toBe('Please share your own phone number with the button below.');
    fake.userSharesContact(512, '+7 916 000-00-01', { userId: 0 });
    await fake.waitFor(
      (c) => c.method === 'sendMessage' && c.chatId === '512',
      2000,
      fake.sent.indexOf(hint) + 1,
    );
    expect(box.received).toHaveLength(1);
  });

  it('asks for the phone with a request_contact keyboard, maps its options, then removes it', async () => {
    await channel.send('513', {
      text: 'Share your phone',
      menuId: 'b-9',
      askContact: true,
      options: [
        { value: 'back', label: '← Back' },
        { value: 'cancel', label: 'Cancel' },
      ],
    });
    const ask = await fake.waitFor((c) => c.method === 'sendMessage' && c.chatId === '513');
    expect(ask.params.reply_markup).toEqual({
      keyboard: [
        [{ text: '📱 Share my phone number', request_contact: true }],
        [{ text: '← Back' }],
        [{ text: 'Cancel' }],
      ],
      one_time_keyboard: true,
      resize_keyboard: true,
    });

    fake.userSends(513, '← Back');
    const back = await box.next();
    expect(back.event).toEqual({ type: 'user.choice', value: 'back' });
    expect(back.menuId).toBe('b-9');

    await channel.send('513', { text: 'Booked!' });
    const done = await fake.waitFor((c) => c.method === 'sendMessage' && c.params.text === 'Booked!');
    expect(done.params.reply_markup).toEqual({ remove_keyboard: true });
    await channel.send('513', { text: 'See you' });
    const plain = await fake.waitFor((c) => c.method === 'sendMessage' && c.params.text === 'See you');
    expect(plain.params.reply_markup).toBeUndefined();

    // The keyboard is gone, so that label is just text now.
    fake.userSends(513, '← Back');
    const text = await box.next((m) => m.event.type === 'user.text');
    expect(text.event).toEqual({ type: 'user.text', text: '← Back' });
  });

  it('maps a 429 to a retryable error with retryAfterMs', async () => {
    fake.failNext('sendMessage', { error_code: 429, retry_after: 2 });
    const error = await channel.send('514', { text: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelSendError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 2000 });
    expect(fake.sent.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
  });

  it('maps 5xx to retryable and 403/400 to permanent errors', async () => {
    fake.failNext('sendMessage', { error_code: 502 });
    await expect(channel.send('515', { text: 'hi' })).rejects.toMatchObject({
      retryable: true,
      retryAfterMs: undefined,
    });
    fake.failNext('sendMessage', { error_code: 403 });
    await expect(channel.send('515', { text: 'hi' })).rejects.toMatchObject({
      retryable: false,
      message: 'telegram 403: Forbidden: bot was blocked by the user',
    });
    await expect(channel.send('515', { text: '' })).rejects.toMatchObject({ retryable: false });
    await expect(
      channel.send('515', {
        text: 'too many',
        options: Array.from({ length: 101 }, (_, i) => ({ value: String(i), label: String(i) })),
      }),
    ).rejects.toMatchObject({ retryable: false });
  });

  it('maps an unreachable API to a retryable error without the token in it', async () => {
    const unreachable = createTelegramChannel({
      token: TOKEN,
      apiRoot: 'http://127.0.0.1:1/',
      logger: logs.logger,
      secret: SECRET,
    });
    const error = await unreachable.send('516', { text: 'hi' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true });
    expect(String((error as Error).message)).not.toContain(TOKEN);
  });
});

describe('telegram channel (webhook mode)', () => {
  let fake: FakeTelegramServer;

  beforeEach(async () => {
    fake = new FakeTelegramServer({ token: TOKEN });
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('accepts updates with the right secret token and rejects a wrong one with 403', async () => {
    const { apiRoot } = await fake.start();
    const channel = createTelegramChannel({
      token: TOKEN,
      apiRoot,
      logger: createLogger({ level: 'silent' }),
      secret: SECRET,
      webhook: {
        path: '/webhooks/telegram',
        secretToken: 'hook-secret',
        url: 'https://bot.example/webhooks/telegram',
      },
    });
    const handler = channel.webhookCallback;
    if (!handler) throw new Error('webhook handler missing');

    // Mounted by the HTTP server's own route.
    const app = Fastify();
    registerTelegramWebhook(app, handler);
    const box = inbox();
    const update = {
      ...fake.updateById(fake.userSends(601, '/start', { languageCode: 'en' })),
      update_id: 42,
    };

    /** Posts the update as Telegram would, with this secret header (none when undefined). */
    const post = (secret?: string) =>
      app.inject({
        method: 'POST',
        url: '/webhooks/telegram',
        ...(secret === undefined ? {} : { headers: { 'x-telegram-bot-api-secret-token': secret } }),
        payload: update,
      });

    const early = await post();
    expect(early.statusCode).toBe(503);

    await channel.start(box.onInbound);
    const setWebhook = await fake.waitFor((c) => c.method === 'setWebhook');
    expect(setWebhook.params).toMatchObject({
      url: 'https://bot.example/webhooks/telegram',
      secret_token: 'hook-secret',
    });

    const wrong = await post('guess');
    expect(wrong.statusCode).toBe(403);
    const missing = await post();
    expect(missing.statusCode).toBe(403);
    expect(box.received).toEqual([]);

    const right = await post('hook-secret');
    expect(right.statusCode).toBe(200);
    const message = await box.next();
    expect(message).toMatchObject({
      chatId: '601',
      updateId: '42',
      event: { type: 'user.command', name: 'start' },
    });

    // In webhook mode nothing polls.
    expect(fake.pendingUpdates).toBe(1);
    await channel.stop();
    await app.close();
  });
});
