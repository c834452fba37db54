/**
 * Faults a deployed Telegram bot meets, against the fake Bot API with real telegraf: a second
 * instance polling (409), a client who blocked the bot (403), texts at the Bot API's limits,
 * presses in superseded menus, rate limits (429), and the command menu.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelSendError, type InboundMessage } from '../../src/channels/channel.js';
import { createDispatcher, type DispatchItem } from '../../src/channels/dispatcher.js';
import { createTelegramChannel, type TelegramChannel } from '../../src/channels/telegram.js';
import { MAX_MESSAGE_TEXT } from '../../src/channels/telegram-text.js';
import { createLogger } from '../../src/log.js';
import { type BotCall, FakeTelegramServer } from '../fakes/telegram-server.js';
import { eventually } from '../helpers/eventually.js';

const TOKEN = '123456789:AAfaults-token';

interface InlineButton {
  text: string;
  callback_data: string;
}

const buttonsOf = (call: BotCall): InlineButton[] =>
  (
    (call.params.reply_markup as { inline_keyboard?: InlineButton[][] } | undefined)?.inline_keyboard ?? []
  ).flat();
const idOf = (call: BotCall): number => (call.response.result as { message_id: number }).message_id;

let fake: FakeTelegramServer | undefined;
let channel: TelegramChannel | undefined;

afterEach(async () => {
  await channel?.stop();
  await fake?.stop();
  channel = undefined;
  fake = undefined;
});

async function setUp(options: { limits?: boolean; start?: boolean } = {}) {
  const server = new FakeTelegramServer({ token: TOKEN, maxPollMs: 200, limits: options.limits ?? false });
  fake = server;
  const { apiRoot } = await server.start();
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(line) } });
  const received: InboundMessage[] = [];
  const created = createTelegramChannel({
    token: TOKEN,
    apiRoot,
    logger,
    secret: 'faults-secret',
    polling: { timeoutSeconds: 1, backoff: { baseMs: 20, maxMs: 100 } },
    phrases: {
      staleButton: (code) => (code === 'ru' ? 'Это меню заменено новым.' : 'This menu was replaced.'),
      commands: (code) =>
        code === 'ru'
          ? { start: 'Начать', book: 'Записаться', cancel: 'Отменить' }
          : { start: 'Start', book: 'Book a visit', cancel: 'Cancel' },
    },
  });
  channel = created;
  if (options.start !== false) await created.start((message) => received.push(message));
  return { server, channel: created, lines, received, logger };
}

describe('a 409 from getUpdates (another instance polling)', () => {
  it('keeps polling with backoff, reports degraded, and recovers when the other instance goes', async () => {
    const { server, channel, received } = await setUp({ start: false });
    server.setConflict(true);
    await channel.start((message) => received.push(message));
    await eventually(() => server.sent.filter((c) => c.response.error_code === 409).length >= 3);
    expect(channel.isRunning()).toBe(true);
    expect(channel.health()).toMatchObject({ status: 'degraded', reason: expect.stringContaining('409') });

    server.setConflict(false);
    server.userSends(901, '/book');
    await eventually(() => received.some((m) => m.chatId === '901'));
    expect(received.find((m) => m.chatId === '901')?.event).toEqual({ type: 'user.command', name: 'book' });
    expect(channel.health()).toEqual({ status: 'ok' });
  });
});

describe('a 401 from getUpdates (the token was revoked)', () => {
  it('stops polling, stops counting as running, and says so in its health', async () => {
    const { server, channel } = await setUp({ start: false });
    server.failNext('getUpdates', { error_code: 401, description: 'Unauthorized' });
    await channel.start(() => {});
    await eventually(() => channel.isRunning() === false);
    expect(channel.health()).toMatchObject({ status: 'degraded', reason: expect.stringContaining('401') });
  });
});

describe('a 403 (the client blocked the bot)', () => {
  it('fails the send for good and marks the chat unreachable', async () => {
    const { server, channel } = await setUp();
    server.setBlocked(902, true);
    const error = await channel.send('902', { text: 'Your visit is tomorrow' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelSendError);
    expect(error).toMatchObject({ retryable: false, unreachable: true });
    expect((error as Error).message).toContain('blocked');
  });
});

describe('text at the Bot API limits', () => {
  it('sends exactly 4,096 characters as one message and 4,097 as two, the menu under the last', async () => {
    const { server, channel } = await setUp();
    const exact = 'a'.repeat(MAX_MESSAGE_TEXT);
    for (const part of channel.prepare('903', { text: exact })) await channel.send('903', part);
    const over = `${'word '.repeat(819)}end!!`; // 4,100 characters
    expect(over.length).toBeGreaterThan(MAX_MESSAGE_TEXT);
    const parts = channel.prepare('903', {
      text: over,
      options: [{ value: 'ok', label: 'OK' }],
      menuId: 'm',
    });
    expect(parts).toHaveLength(2);
    expect(parts[0]?.options).toBeUndefined();
    expect(parts[1]?.options).toEqual([{ value: 'ok', label: 'OK' }]);
    for (const part of parts) await channel.send('903', part);

    const sends = server.sent.filter((c) => c.method === 'sendMessage' && c.chatId === '903');
    expect(sends.map((c) => c.response.ok)).toEqual([true, true, true]);
    expect(sends.map((c) => String(c.params.text).length)).toEqual([4096, 4094, 5]);
    expect(buttonsOf(sends[2] as BotCall).map((b) => b.text)).toEqual(['OK']);
    // Cut at a space: the words survive whole.
    expect(`${sends[1]?.params.text} ${sends[2]?.params.text}`).toBe(over.trim());
  });

  it('refuses an empty text with a clear reason and never calls Telegram', async () => {
    const { server, channel, lines } = await setUp();
    expect(() => channel.prepare('904', { text: '  \n ' })).toThrow(/empty/);
    await expect(channel.send('904', { text: '' })).rejects.toMatchObject({ retryable: false });
    await expect(channel.send('904', { text: 'x'.repeat(4097) })).rejects.toThrow(/4097 characters/);
    expect(server.sent.filter((c) => c.method === 'sendMessage')).toEqual([]);
    expect(lines.some((line) => line.includes('message refused before sending'))).toBe(true);
  });

  it('splits a long text through the dispatcher, each part paced like a message of its own', async () => {
    const { server, channel } = await setUp();
    const sent: number[] = [];
    const dispatcher = createDispatcher<DispatchItem & { id: number }>({
      channels: { telegram: channel },
      limits: { telegram: { perChatIntervalMs: 50 } },
      onSent: (item) => sent.push(item.id),
    });
    const long = Array.from({ length: 3 }, (_, i) => `Paragraph ${i}\n${'x'.repeat(3000)}`).join('\n\n');
    dispatcher.enqueue({ id: 1, channel: 'telegram', chatId: '905', message: { text: long } });
    await dispatcher.idle();
    await dispatcher.stop();
    const texts = server.sent.filter((c) => c.method === 'sendMessage').map((c) => String(c.params.text));
    expect(texts.map((t) => t.split('\n')[0])).toEqual(['Paragraph 0', 'Paragraph 1', 'Paragraph 2']);
    expect(sent).toEqual([1]);
  });

  it('drops only the buttons when writing the choice under a menu would pass the limit', async () => {
    const { server, channel, received, lines } = await setUp();
    const text = 'y'.repeat(MAX_MESSAGE_TEXT - 5);
    await channel.send('906', { text, menuId: 'm', options: [{ value: 'go', label: 'Continue' }] });
    const menu = await server.waitFor((c) => c.method === 'sendMessage' && c.chatId === '906');
    server.userPresses(906, idOf(menu), buttonsOf(menu)[0]?.callback_data ?? '');
    await eventually(() => received.length === 1);
    await server.waitFor((c) => c.method === 'editMessageReplyMarkup');
    expect(server.sent.some((c) => c.method === 'editMessageText')).toBe(false);
    expect(server.message(906, idOf(menu))).toMatchObject({ text });
    expect(server.message(906, idOf(menu))?.reply_markup).toBeUndefined();
    expect(lines.some((line) => line.includes('choice not written under the menu'))).toBe(true);
  });
});

describe('superseded menus', () => {
  it('takes the buttons off the old menu, and a press in an old copy changes nothing', async () => {
    const { server, channel, received } = await setUp();
    const options = [
      { value: 'svc:1', label: 'Haircut' },
      { value: 'svc:2', label: 'Colour' },
    ];
    await channel.send('907', { text: 'Choose a service', menuId: 'd1', options });
    const first = await server.waitFor((c) => c.method === 'sendMessage' && c.chatId === '907');
    await channel.send('907', { text: 'Choose a service again', menuId: 'd1', options });
    await eventually(() => server.message(907, idOf(first))?.reply_markup === undefined);
    const removal = await server.waitFor((c) => c.method === 'editMessageReplyMarkup');
    expect(removal.params.message_id).toBe(idOf(first));

    // The client's app still shows the old copy (say, on another device) and they press it.
    const stale = buttonsOf(first)[0]?.callback_data ?? '';
    server.userPresses(907, idOf(first), stale, { languageCode: 'ru' });
    const answer = await server.waitFor((c) => c.method === 'answerCallbackQuery');
    expect(answer.params.text).toBe('Это меню заменено новым.');
    // Nothing reached the runtime (a delivery would have come before the answer), and the newer
    // menu keeps its buttons.
    expect(received).toEqual([]);
    const second = server.sent.filter((c) => c.method === 'sendMessage' && c.chatId === '907')[1] as BotCall;
    expect(server.message(907, idOf(second))?.reply_markup).toEqual(second.params.reply_markup);
    expect(server.sent.some((c) => c.method === 'editMessageText')).toBe(false);
  });
});

describe('the command menu', () => {
  it('registers /start, /book and /cancel by default and in en, ru and uk', async () => {
    const { server } = await setUp();
    await eventually(() => server.commands.size === 4);
    expect([...server.commands.keys()].sort()).toEqual(['', 'en', 'ru', 'uk']);
    expect(server.commands.get('ru')).toEqual([
      { command: 'start', description: 'Начать' },
      { command: 'book', description: 'Записаться' },
      { command: 'cancel', description: 'Отменить' },
    ]);
    expect(server.commands.get('en')?.map((c) => c.command)).toEqual(['start', 'book', 'cancel']);
  });
});

describe('Telegram rate limits (fake in limit mode)', () => {
  it('stays under 30/s overall and 1/s per chat with the default limits: no 429', async () => {
    const { server, channel } = await setUp({ limits: true });
    const dispatcher = createDispatcher<DispatchItem>({ channels: { telegram: channel } });
    for (let i = 0; i < 40; i++)
      dispatcher.enqueue({
        channel: 'telegram',
        chatId: String(1000 + i),
        message: { text: `r${i}` },
        priority: 'bulk',
      });
    for (let i = 0; i < 3; i++)
      dispatcher.enqueue({ channel: 'telegram', chatId: '1000', message: { text: `again${i}` } });
    await dispatcher.idle();
    await dispatcher.stop();
    expect(server.limiter?.refused).toBe(0);
    expect(server.sent.filter((c) => c.method === 'sendMessage' && c.response.ok)).toHaveLength(43);
  });

  it('honours a 429’s retry_after when it comes anyway, and loses nothing', async () => {
    const { server, channel } = await setUp({ limits: true });
    const retries: number[] = [];
    // Pacing switched off on purpose, so that the fake refuses some of them.
    const dispatcher = createDispatcher<DispatchItem>({
      channels: { telegram: channel },
      limits: { telegram: { perChatIntervalMs: 0, globalLimit: 1000 } },
      onRetry: (_item, _error, _attempt, delayMs) => retries.push(delayMs),
    });
    for (let i = 0; i < 3; i++)
      dispatcher.enqueue({ channel: 'telegram', chatId: '1100', message: { text: `burst${i}` } });
    await dispatcher.idle();
    await dispatcher.stop();
    const texts = server.sent
      .filter((c) => c.method === 'sendMessage' && c.response.ok)
      .map((c) => c.params.text);
    expect(texts).toEqual(['burst0', 'burst1', 'burst2']);
    expect(server.limiter?.refused).toBeGreaterThan(0);
    expect(retries.every((ms) => ms === 1000)).toBe(true);
    // After each refusal the channel waited the second it was asked to.
    const accepted = server.sent.filter((c) => c.method === 'sendMessage' && c.response.ok).map((c) => c.at);
    for (let i = 1; i < accepted.length; i++)
      expect((accepted[i] ?? 0) - (accepted[i - 1] ?? 0)).toBeGreaterThanOrEqual(1000);
  });
});
