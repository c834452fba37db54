import { afterEach, describe, expect, it } from 'vitest';
import { ChannelSendError, type InboundMessage } from '../../src/channels/channel.js';
import { DEFAULT_LIMITS } from '../../src/channels/dispatcher.js';
import {
  createWhatsAppChannel,
  toWhatsAppSendError,
  type WhatsAppChannel,
  type WhatsAppChannelOptions,
} from '../../src/channels/whatsapp.js';
import { interpretReply, renderMenuText } from '../../src/channels/whatsapp-menu.js';
import { createLogger } from '../../src/log.js';
import { FakeWhatsAppClient, type FakeWhatsAppOptions } from '../fakes/whatsapp-client.js';
import { until } from '../helpers/eventually.js';
import { menu } from '../helpers/menus.js';

const PHONE = '79161234567';
const CHAT = `${PHONE}@c.us`;

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A channel on a fake client, with its log lines, terminal output and inbound messages. */
function setup(fake: FakeWhatsAppOptions = { loggedIn: true }, extra: Partial<WhatsAppChannelOptions> = {}) {
  const lines: string[] = [];
  const terminal: string[] = [];
  const inbound: InboundMessage[] = [];
  const client = new FakeWhatsAppClient(fake);
  const channel = createWhatsAppChannel({
    logger: createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(line) } }),
    client,
    dataPath: '/tmp/altegio-bot-test-data',
    reconnect: { delaysMs: [10, 20] },
    terminal: { write: (text: string) => terminal.push(text) },
    ...extra,
  });
  channels.push(channel);
  return {
    client,
    channel,
    terminal,
    inbound,
    logs: () => lines.map((line) => JSON.parse(line) as LogLine),
    start: () => channel.start((message) => inbound.push(message)),
  };
}

const channels: WhatsAppChannel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((channel) => channel.stop()));
});

/** Lets queued inbound handling (a promise chain per sender) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

const reminder = menu('See you tomorrow at 10:00.', 'reminder-42', [
  ['confirm', 'Confirm'],
  ['cancel', 'Cancel'],
]);

describe('whatsapp channel: login', () => {
  it('should print the QR code and ask for a scan on first start, and be running only once ready', async () => {
    const t = setup({ loggedIn: false });
    expect(t.channel.isRunning()).toBe(false);
    await t.start();

    expect(t.client.initializeCalls).toBe(1);
    expect(t.channel.isRunning()).toBe(false);
    expect(t.terminal.join('')).toMatch(/[▄▀█]/);
    const ask = t
      .logs()
      .find((line) => line.msg.startsWith('scan this QR code with WhatsApp on the salon phone'));
    expect(ask?.level).toBe(30);
    expect(ask?.authPath).toBe('/tmp/altegio-bot-test-data/whatsapp-auth');

    t.client.scan();
    expect(t.channel.isRunning()).toBe(true);
    expect(t.logs().map((line) => line.msg)).toEqual(
      expect.arrayContaining(['whatsapp authenticated', 'whatsapp ready']),
    );
  });

  it('should log a failed login at error with what to do', async () => {
    const t = setup({ loggedIn: false });
    await t.start();
    t.client.emit('auth_failure', 'restore session failed');
    const line = t.logs().find((l) => l.level === 50);
    expect(line?.msg).toMatch(/delete the auth folder and start again to scan a new QR code/);
    expect(t.channel.isRunning()).toBe(false);
  });

  it('should resolve start() without waiting for the scan', async () => {
    const t = setup({ loggedIn: false });
    await expect(t.start()).resolves.toBeUndefined();
    expect(t.channel.isRunning()).toBe(false);
  });

  it('should take its pacing from the options over the dispatcher defaults', () => {
    expect(setup().channel.limits).toEqual(DEFAULT_LIMITS.whatsapp);
    expect(setup({}, { limits: { perChatIntervalMs: 10_000 } }).channel.limits).toEqual({
      ...DEFAULT_LIMITS.whatsapp,
      perChatIntervalMs: 10_000,
    });
  });
});

describe('whatsapp channel: sending', () => {
  it('should send options as a numbered menu with a hint to <digits>@c.us', async () => {
    const t = setup();
    await t.start();
    await t.channel.send(PHONE, reminder);
    expect(t.client.sent).toHaveLength(1);
    expect(t.client.sent[0]?.chatId).toBe(CHAT);
    expect(t.client.sent[0]?.text).toBe(
      'See you tomorrow at 10:00.\n\n1. Confirm\n2. Cancel\n\nReply with the number of your choice.',
    );
  });

  it('should send plain text as is, use the given hint phrase and ignore askContact', async () => {
    const t = setup({ loggedIn: true }, { phrases: { menuHint: () => 'Ответьте цифрой.' } });
    await t.start();
    await t.channel.send(CHAT, { text: 'Hello', askContact: true });
    await t.channel.send(CHAT, { text: 'Rate us', options: [{ value: '5', label: '★★★★★' }] });
    expect(t.client.sent.map((s) => s.text)).toEqual(['Hello', 'Rate us\n\n1. ★★★★★\n\nОтветьте цифрой.']);
  });

  it('should refuse with a retryable error before the client is ready', async () => {
    const t = setup({ loggedIn: false });
    await t.start();
    const error = await t.channel.send(CHAT, { text: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelSendError);
    expect((error as ChannelSendError).retryable).toBe(true);
    expect(t.client.sent).toHaveLength(0);
  });

  it('should give up at once on a number that is not on WhatsApp', async () => {
    const t = setup({ loggedIn: true, notOnWhatsApp: [PHONE] });
    await t.start();
    const error = (await t.channel.send(PHONE, { text: 'hi' }).catch((e: unknown) => e)) as ChannelSendError;
    expect(error).toBeInstanceOf(ChannelSendError);
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain(PHONE);
  });

  it('should retry browser failures and give up on invalid ids', async () => {
    const t = setup();
    await t.start();
    t.client.failNext(new Error('Protocol error (Runtime.callFunctionOn): Target closed'));
    const transient = (await t.channel
      .send(CHAT, { text: 'a' })
      .catch((e: unknown) => e)) as ChannelSendError;
    expect(transient.retryable).toBe(true);
    t.client.failNext(new Error(`Evaluation failed: Error: wid error: invalid wid ${CHAT}`));
    const permanent = (await t.channel
      .send(CHAT, { text: 'b' })
      .catch((e: unknown) => e)) as ChannelSendError;
    expect(permanent.retryable).toBe(false);
    expect(permanent.message).not.toContain(PHONE);
    expect(toWhatsAppSendError(new Error('not a phone')).retryable).toBe(true);
  });

  it('should keep an international number as it is (no Russian trunk-prefix rewrite)', async () => {
    const t = setup();
    await t.start();
    await t.channel.send('84912345678', { text: 'Xin chào' });
    expect(t.client.sent[0]?.chatId).toBe('84912345678@c.us');
  });

  it('should refuse a chat id that is neither a phone nor a WhatsApp id, for good', async () => {
    const t = setup();
    await t.start();
    const error = (await t.channel.send('12', { text: 'a' }).catch((e: unknown) => e)) as ChannelSendError;
    expect(error.retryable).toBe(false);
  });
});

describe('whatsapp channel: typing', () => {
  it('should show typing in the client chat while ready, and a failure only at debug', async () => {
    const t = setup();
    t.channel.typing?.(CHAT); // not started: nothing to show it in, and no throw
    await t.start();
    t.channel.typing?.(CHAT);
    t.channel.typing?.(PHONE);
    await until(() => t.client.typing.length === 2);
    expect(t.client.typing).toEqual([CHAT, CHAT]);

    t.client.failNextTyping(new Error(`Evaluation failed: chat ${CHAT} not found`));
    expect(() => t.channel.typing?.(CHAT)).not.toThrow();
    await until(() => t.logs().some((line) => line.msg === 'whatsapp typing failed'));
    const line = t.logs().find((l) => l.msg === 'whatsapp typing failed');
    expect(line?.level).toBe(20);
    expect(JSON.stringify(line)).not.toContain(PHONE);
    // The failure broke nothing: the next typing and a reply still go out.
    t.channel.typing?.(CHAT);
    await t.channel.send(CHAT, { text: 'Here are the free times.' });
    await until(() => t.client.typing.length === 3);
    expect(t.client.sent.map((s) => s.text)).toEqual(['Here are the free times.']);
  });

  it('should show nothing for a number that is not on WhatsApp, nor after a disconnect', async () => {
    const t = setup({ loggedIn: true, notOnWhatsApp: [PHONE] });
    await t.start();
    t.channel.typing?.(CHAT);
    t.client.disconnect('CONFLICT');
    t.channel.typing?.('79160000000@c.us');
    await t.channel.stop(); // waits for typing calls in flight
    expect(t.client.typing).toEqual([]);
    expect(t.logs().some((line) => line.level >= 40 && /typing/.test(line.msg))).toBe(false);
  });
});

describe('whatsapp channel: inbound', () => {
  it('should turn a number answering the open menu into that option with its menuId', async () => {
    const t = setup();
    await t.start();
    await t.channel.send(CHAT, reminder);

    t.client.receive(CHAT, '1');
    t.client.receive(CHAT, ' 2 ');
    await settle();

    expect(t.inbound).toHaveLength(2);
    expect(t.inbound[0]).toMatchObject({
      channel: 'whatsapp',
      chatId: CHAT,
      event: { type: 'user.choice', value: 'confirm' },
      menuId: 'reminder-42',
    });
    expect(t.inbound[0]?.updateId).toMatch(/^false_79161234567@c\.us_/);
    expect(t.inbound[1]).toMatchObject({
      event: { type: 'user.choice', value: 'cancel' },
      menuId: 'reminder-42',
    });
  });

  it('should pass a number outside the menu, or with no menu open, on as text', async () => {
    const t = setup();
    await t.start();
    t.client.receive(CHAT, '1');
    await t.channel.send(CHAT, reminder);
    t.client.receive(CHAT, '7');
    await settle();
    expect(t.inbound.map((m) => m.event)).toEqual([
      { type: 'user.text', text: '1' },
      { type: 'user.text', text: '7' },
    ]);
    expect(t.inbound[1]?.menuId).toBeUndefined();
  });

  it('should keep the shown menu when a send fails, and when plain text follows it', async () => {
    const t = setup();
    await t.start();
    await t.channel.send(CHAT, reminder);
    t.client.failNext(new Error('Target closed'));
    await t.channel
      .send(CHAT, { text: 'Rate', options: [{ value: 'r1', label: '1' }], menuId: 'feedback-1' })
      .catch(() => undefined);
    await t.channel.send(CHAT, { text: 'Your visit was moved.' });
    t.client.receive(CHAT, '2');
    await settle();
    expect(t.inbound[0]).toMatchObject({
      event: { type: 'user.choice', value: 'cancel' },
      menuId: 'reminder-42',
    });
  });

  it('should turn /start, /book and booking words into commands and other text into user.text', async () => {
    const t = setup();
    await t.start();
    for (const body of ['/start', '/book', 'Book', 'Записаться!', 'hello there'])
      t.client.receive(CHAT, body);
    await settle();
    expect(t.inbound.map((m) => m.event)).toEqual([
      { type: 'user.command', name: 'start' },
      { type: 'user.command', name: 'book' },
      { type: 'user.command', name: 'book' },
      { type: 'user.command', name: 'book' },
      { type: 'user.text', text: 'hello there' },
    ]);
  });

  it('should ignore groups, status updates, our own messages and media', async () => {
    const t = setup();
    await t.start();
    t.client.receive('120363012345678901@g.us', '1');
    t.client.receive('status@broadcast', 'my status');
    t.client.receive(CHAT, 'sent from the salon phone', { fromMe: true });
    t.client.receive(CHAT, '', { type: 'image' });
    t.client.receive(CHAT, 'hi');
    await settle();
    expect(t.inbound.map((m) => m.event)).toEqual([{ type: 'user.text', text: 'hi' }]);
  });

  it('should map a @lid sender to its phone chat, keeping the order of its messages', async () => {
    const t = setup({ loggedIn: true, lids: { '123456789012345@lid': CHAT } });
    await t.start();
    await t.channel.send(CHAT, reminder);
    t.client.receive('123456789012345@lid', '1');
    t.client.receive('123456789012345@lid', 'thanks');
    await until(() => t.inbound.length === 2);
    expect(t.inbound.map((m) => [m.chatId, m.event.type])).toEqual([
      [CHAT, 'user.choice'],
      [CHAT, 'user.text'],
    ]);
  });

  it('should use an unmappable @lid as the chat id and say so at debug', async () => {
    const t = setup();
    await t.start();
    t.client.receive('999@lid', 'hi');
    await until(() => t.inbound.length === 1);
    expect(t.inbound[0]?.chatId).toBe('999@lid');
    expect(t.logs().some((line) => line.level === 20 && /privacy id/.test(line.msg))).toBe(true);
  });

  it('should report the sender’s WhatsApp name as displayName', async () => {
    const t = setup();
    await t.start();
    t.client.receive(CHAT, 'hi', { _data: { notifyName: 'Anna' } });
    await settle();
    expect(t.inbound[0]?.displayName).toBe('Anna');
  });

  it('should never write a phone number into the log', async () => {
    const t = setup({ loggedIn: true, notOnWhatsApp: ['79990000000'] });
    await t.start();
    await t.channel.send('79990000000', { text: 'x' }).catch(() => undefined);
    t.client.receive(CHAT, '', { type: 'sticker' });
    await settle();
    const all = JSON.stringify(t.logs());
    expect(all).not.toContain(PHONE);
    expect(all).not.toContain('79990000000');
  });
});

describe('whatsapp channel: reconnecting', () => {
  it('should reconnect after a disconnect, not running meanwhile', async () => {
    const t = setup();
    await t.start();
    expect(t.channel.isRunning()).toBe(true);

    t.client.disconnect('CONFLICT');
    expect(t.channel.isRunning()).toBe(false);
    expect(t.logs().find((line) => line.msg === 'whatsapp disconnected')?.reason).toBe('CONFLICT');
    await expect(t.channel.send(CHAT, { text: 'x' })).rejects.toMatchObject({ retryable: true });

    await until(() => t.client.initializeCalls === 2);
    expect(t.client.destroyCalls).toBe(1);
    expect(t.channel.isRunning()).toBe(true);
  });

  it('should back off further while reconnecting keeps failing', async () => {
    const t = setup();
    await t.start();
    const initialize = t.client.initialize.bind(t.client);
    let failures = 2;
    t.client.initialize = async () => {
      if (failures-- > 0) throw new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/');
      return initialize();
    };
    t.client.disconnect('TIMEOUT');
    await until(() => t.channel.isRunning(), 2000);
    const delays = t
      .logs()
      .filter((line) => line.msg === 'whatsapp reconnecting after a pause')
      .map((line) => line.delayMs);
    expect(delays).toEqual([10, 20, 20]);
  });

  it('should not reconnect after stop()', async () => {
    const t = setup();
    await t.start();
    await t.channel.stop();
    expect(t.client.destroyCalls).toBe(1);
    t.client.disconnect('CONFLICT');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.client.initializeCalls).toBe(1);
    expect(t.channel.isRunning()).toBe(false);
  });

  it('should cancel a pending reconnect on stop()', async () => {
    const t = setup({ loggedIn: true }, { reconnect: { delaysMs: [30] } });
    await t.start();
    t.client.disconnect('UNPAIRED');
    await t.channel.stop();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(t.client.initializeCalls).toBe(1);
  });
});

describe('whatsapp menus', () => {
  it('should accept "2." and a typed label as choices', () => {
    const menu = { menuId: 'm', options: reminder.options };
    expect(interpretReply('2.', menu).event).toEqual({ type: 'user.choice', value: 'cancel' });
    expect(interpretReply('confirm', menu)).toEqual({
      event: { type: 'user.choice', value: 'confirm' },
      menuId: 'm',
    });
    expect(interpretReply('0', menu).event).toEqual({ type: 'user.text', text: '0' });
  });

  it('should number menus past nine', () => {
    const options = Array.from({ length: 12 }, (_, i) => ({ value: `v${i + 1}`, label: `L${i + 1}` }));
    expect(renderMenuText({ text: 'Pick', options }, '')).toContain('\n12. L12');
    expect(interpretReply('12', { menuId: undefined, options }).event).toEqual({
      type: 'user.choice',
      value: 'v12',
    });
  });
});
