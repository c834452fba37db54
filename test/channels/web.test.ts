import { describe, expect, it } from 'vitest';
import { ChannelSendError, type InboundMessage } from '../../src/channels/channel.js';
import { createDispatcher } from '../../src/channels/dispatcher.js';
import { createWebChannel, type WebChatEntry, webChatId, webChatStyle } from '../../src/channels/web.js';
import { createLogger } from '../../src/log.js';
import { menu } from '../helpers/menus.js';

const SERVICES = menu('Choose a service:', '17', [
  ['s:301', "Women's haircut"],
  ['s:302', "Men's haircut"],
]);

const TG = webChatId('telegram', 'abc');
const WA = webChatId('whatsapp', 'abc');

async function setup() {
  const inbound: InboundMessage[] = [];
  const added: Array<[string, WebChatEntry]> = [];
  const channel = createWebChannel({
    logger: createLogger({ level: 'silent' }),
    phrases: { menuHint: (code) => (code === 'ru' ? 'Ответьте цифрой.' : 'Reply with a number.') },
  });
  channel.subscribe((chatId, entry) => added.push([chatId, entry]));
  await channel.start((message) => inbound.push(message));
  return { channel, inbound, added };
}

describe('web channel', () => {
  it('names its chats by the messenger they imitate', () => {
    expect(TG).toBe('tg:abc');
    expect(webChatStyle(TG)).toBe('telegram');
    expect(webChatStyle(WA)).toBe('whatsapp');
    expect(webChatStyle('79161234567@c.us')).toBeUndefined();
  });

  it('shows options as buttons in the Telegram-style chat, and a press is a choice in that menu', async () => {
    const { channel, inbound, added } = await setup();
    await channel.send(TG, SERVICES);
    const [shown] = channel.history(TG);
    expect(shown).toMatchObject({
      from: 'bot',
      text: 'Choose a service:',
      buttons: SERVICES.options.map((o) => o.label),
    });
    expect(added).toEqual([[TG, shown]]);

    const pressed = channel.receive(
      TG,
      { type: 'press', entryId: shown?.id ?? 0, index: 1 },
      { languageCode: 'en' },
    );
    expect(pressed).toMatchObject({
      ok: true,
      entry: { from: 'client', text: "Men's haircut", pressed: true },
    });
    expect(inbound).toEqual([
      {
        channel: 'web',
        chatId: TG,
        event: { type: 'user.choice', value: 's:302' },
        menuId: '17',
        languageCode: 'en',
      },
    ]);
  });

  it('refuses a button that was never shown, and passes nothing on', async () => {
    const { channel, inbound } = await setup();
    await channel.send(TG, SERVICES);
    const id = channel.history(TG)[0]?.id ?? 0;
    expect(channel.receive(TG, { type: 'press', entryId: id, index: 2 })).toEqual({
      ok: false,
      reason: 'no-such-button',
    });
    expect(channel.receive(TG, { type: 'press', entryId: id + 5, index: 0 })).toMatchObject({ ok: false });
    // The WhatsApp-style chat has no buttons at all.
    await channel.send(WA, SERVICES);
    const waId = channel.history(WA)[0]?.id ?? 0;
    expect(channel.receive(WA, { type: 'press', entryId: waId, index: 0 })).toMatchObject({ ok: false });
    expect(inbound).toEqual([]);
  });

  it('renders the WhatsApp numbered menu and reads a typed number back as a choice', async () => {
    const { channel, inbound } = await setup();
    channel.receive(WA, { type: 'text', text: 'book' }, { languageCode: 'ru' });
    await channel.send(WA, SERVICES);
    const bot = channel.history(WA).at(-1);
    expect(bot?.text).toBe("Choose a service:\n\n1. Women's haircut\n2. Men's haircut\n\nОтветьте цифрой.");
    expect(bot?.buttons).toBeUndefined();
    channel.receive(WA, { type: 'text', text: '2' }, { languageCode: 'ru' });
    expect(inbound.map((message) => [message.event, message.menuId])).toEqual([
      [{ type: 'user.command', name: 'book' }, undefined],
      [{ type: 'user.choice', value: 's:302' }, '17'],
    ]);
  });

  it('writes its own lines in the language the page opened the chat in, before the client wrote', async () => {
    const { channel } = await setup();
    channel.open(WA, { languageCode: 'ru' });
    await channel.send(WA, SERVICES);
    expect(channel.history(WA).at(-1)?.text).toMatch(/Ответьте цифрой\.$/);
  });

  it('in the Telegram style a typed number stays text, and a slash command is a command', async () => {
    const { channel, inbound } = await setup();
    await channel.send(TG, SERVICES);
    channel.receive(TG, { type: 'text', text: '2' });
    channel.receive(TG, { type: 'text', text: '/start' });
    expect(inbound.map((message) => message.event)).toEqual([
      { type: 'user.text', text: '2' },
      { type: 'user.command', name: 'start' },
    ]);
  });

  it('offers the phone in the Telegram style when asked, and a shared phone is a contact', async () => {
    const { channel, inbound } = await setup();
    await channel.send(TG, { text: 'Your phone?', askContact: true });
    expect(channel.history(TG)[0]).toMatchObject({ askContact: true });
    channel.receive(TG, { type: 'contact', phone: '79990001122', label: 'Share my phone' });
    expect(inbound.map((message) => message.event)).toEqual([{ type: 'user.contact', phone: '79990001122' }]);
    expect(channel.history(TG).at(-1)).toMatchObject({ from: 'client', text: 'Share my phone' });
  });

  it('ignores empty text and answers a clear refusal for a chat it does not serve', async () => {
    const { channel, inbound } = await setup();
    expect(channel.receive(TG, { type: 'text', text: '   ' })).toEqual({ ok: false, reason: 'empty' });
    expect(channel.receive('x:1', { type: 'text', text: 'hi' })).toEqual({
      ok: false,
      reason: 'unknown-chat',
    });
    await expect(channel.send('x:1', { text: 'hi' })).rejects.toMatchObject({ retryable: false });
    expect(inbound).toEqual([]);
  });

  it('is not running before start and after stop: a send is retryable, an action refused', async () => {
    const { channel } = await setup();
    await channel.stop();
    expect(channel.isRunning()).toBe(false);
    const failure = await channel.send(TG, { text: 'hi' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChannelSendError);
    expect((failure as ChannelSendError).retryable).toBe(true);
    expect(channel.receive(TG, { type: 'text', text: 'hi' })).toEqual({ ok: false, reason: 'not-running' });
  });

  it('keeps only the newest messages of a chat, and buttons of a dropped message no longer work', async () => {
    const inbound: InboundMessage[] = [];
    const channel = createWebChannel({ logger: createLogger({ level: 'silent' }), historyLimit: 3 });
    await channel.start((message) => inbound.push(message));
    await channel.send(TG, SERVICES);
    const first = channel.history(TG)[0]?.id ?? 0;
    for (const n of [1, 2, 3]) await channel.send(TG, { text: `note ${n}` });
    expect(channel.history(TG).map((entry) => entry.text)).toEqual(['note 1', 'note 2', 'note 3']);
    expect(channel.receive(TG, { type: 'press', entryId: first, index: 0 })).toMatchObject({ ok: false });
    expect(inbound).toEqual([]);
  });

  it('receives its messages through the dispatcher, in order, like every channel', async () => {
    const { channel } = await setup();
    const sent: string[] = [];
    const dispatcher = createDispatcher({
      channels: { web: channel },
      onSent: (item) => sent.push(item.message.text),
    });
    for (const text of ['one', 'two', 'three'])
      dispatcher.enqueue({ channel: 'web', chatId: WA, message: { text } });
    await dispatcher.idle();
    expect(sent).toEqual(['one', 'two', 'three']);
    expect(channel.history(WA).map((entry) => entry.text)).toEqual(['one', 'two', 'three']);
    await dispatcher.stop();
  });
});
