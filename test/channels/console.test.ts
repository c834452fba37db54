import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelSendError, type InboundMessage } from '../../src/channels/channel.js';
import {
  type ConsoleChannel,
  type ConsoleChannelOptions,
  createConsoleChannel,
} from '../../src/channels/console.js';
import { createLogger } from '../../src/log.js';
import { until } from '../helpers/eventually.js';
import { menu } from '../helpers/menus.js';

const SERVICES = menu('Choose a service:', 'dlg-1', [
  ['s:301', "Women's haircut"],
  ['s:302', "Men's haircut"],
  ['back', '← Back'],
]);

/** A console channel on two PassThrough streams, with what it printed and handed over. */
function setup(extra: Partial<ConsoleChannelOptions> = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk) => {
    printed += String(chunk);
  });
  const inbound: InboundMessage[] = [];
  const channel = createConsoleChannel({
    input,
    output,
    logger: createLogger({ level: 'silent' }),
    ...extra,
  });
  channels.push(channel);
  return {
    input,
    channel,
    inbound,
    printed: () => printed,
    start: () => channel.start((message) => inbound.push(message)),
    /** Types a line and waits until the channel has handed it over. */
    type: async (line: string) => {
      const before = inbound.length;
      input.write(`${line}\n`);
      await until(() => inbound.length > before);
      return inbound[inbound.length - 1];
    },
  };
}

const channels: ConsoleChannel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((channel) => channel.stop()));
});

describe('console channel', () => {
  it('prints a message with its menu numbered, then the hint', async () => {
    const chat = setup();
    await chat.start();
    await chat.channel.send('console', SERVICES);
    expect(chat.printed()).toBe(
      "Choose a service:\n\n1. Women's haircut\n2. Men's haircut\n3. ← Back\n\nReply with the number of your choice.\n\n",
    );
    await chat.channel.send('console', { text: 'Please wait…' });
    expect(chat.printed().endsWith('Please wait…\n\n')).toBe(true);
  });

  it('takes a number as the choice in the last menu, with its menu id', async () => {
    const chat = setup();
    await chat.start();
    await chat.channel.send('console', SERVICES);
    expect(await chat.type('2')).toEqual({
      channel: 'console',
      chatId: 'console',
      event: { type: 'user.choice', value: 's:302' },
      menuId: 'dlg-1',
    });
    // A plain message in between leaves the menu answerable.
    await chat.channel.send('console', { text: 'One moment.' });
    expect((await chat.type('1'))?.event).toEqual({ type: 'user.choice', value: 's:301' });
    // Out of range: text, so the dialogue can show the menu again.
    expect((await chat.type('9'))?.event).toEqual({ type: 'user.text', text: '9' });
  });

  it('turns slash commands into commands and other lines into text', async () => {
    const chat = setup({ languageCode: 'en', displayName: 'Ann' });
    await chat.start();
    expect(await chat.type('/book')).toEqual({
      channel: 'console',
      chatId: 'console',
      event: { type: 'user.command', name: 'book' },
      languageCode: 'en',
      displayName: 'Ann',
    });
    expect((await chat.type('/cancel'))?.event).toEqual({ type: 'user.command', name: 'cancel' });
    expect((await chat.type('/back'))?.event).toEqual({ type: 'user.command', name: 'back' });
    expect((await chat.type('/start'))?.event).toEqual({ type: 'user.command', name: 'start' });
    // No menu shown yet: a number is just text.
    expect((await chat.type('2'))?.event).toEqual({ type: 'user.text', text: '2' });
    expect((await chat.type('hello there'))?.event).toEqual({ type: 'user.text', text: 'hello there' });
  });

  it('ignores empty lines', async () => {
    const chat = setup();
    await chat.start();
    chat.input.write('\n   \n');
    expect((await chat.type('hi'))?.event).toEqual({ type: 'user.text', text: 'hi' });
    expect(chat.inbound).toHaveLength(1);
  });

  it('after a phone question, hints at typing it and takes a typed phone as a contact', async () => {
    const chat = setup();
    await chat.start();
    // Before any phone question, a phone is ordinary text.
    expect((await chat.type('+7 916 000-11-22'))?.event).toEqual({
      type: 'user.text',
      text: '+7 916 000-11-22',
    });
    await chat.channel.send('console', {
      text: 'Please share your phone number.',
      options: [{ value: 'back', label: '← Back' }],
      askContact: true,
      menuId: 'dlg-2',
    });
    expect(chat.printed()).toContain(
      '1. ← Back\n\nReply with the number of your choice.\n\nOr type your phone number',
    );
    expect((await chat.type('+7 (916) 000-11-22'))?.event).toEqual({
      type: 'user.contact',
      phone: '79160001122',
    });
    // The menu still answers by number, and text that is not a phone stays text.
    expect(await chat.type('1')).toMatchObject({
      event: { type: 'user.choice', value: 'back' },
      menuId: 'dlg-2',
    });
    expect((await chat.type('call me at 79160001122'))?.event.type).toBe('user.text');
    expect((await chat.type('12345'))?.event).toEqual({ type: 'user.text', text: '12345' });
    // A later menu without the question ends it.
    await chat.channel.send('console', SERVICES);
    expect((await chat.type('+79160001122'))?.event).toEqual({ type: 'user.text', text: '+79160001122' });
  });

  it('uses the phrases it is given', async () => {
    const chat = setup({
      languageCode: 'ru',
      phrases: { menuHint: (code) => `hint:${code}`, contactHint: (code) => `phone:${code}` },
    });
    await chat.start();
    await chat.channel.send('console', { ...SERVICES, askContact: true });
    expect(chat.printed()).toContain('3. ← Back\n\nhint:ru\n\nphone:ru\n\n');
  });

  it('is running between start and stop, and stops cleanly without reporting an input end', async () => {
    let ends = 0;
    const chat = setup({ onInputEnd: () => (ends += 1) });
    expect(chat.channel.isRunning()).toBe(false);
    await expect(chat.channel.send('console', { text: 'early' })).rejects.toMatchObject({ retryable: true });
    await chat.start();
    expect(chat.channel.isRunning()).toBe(true);
    await chat.channel.stop();
    expect(chat.channel.isRunning()).toBe(false);
    chat.input.write('/book\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(chat.inbound).toHaveLength(0);
    expect(ends).toBe(0);
    const error = await chat.channel.send('console', { text: 'late' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChannelSendError);
    expect(chat.printed()).toBe('');
    await chat.channel.stop(); // twice is fine
  });

  it('reports the end of its input after handing over the last line, and can still print', async () => {
    let ended = false;
    const chat = setup({ onInputEnd: () => (ended = true) });
    await chat.start();
    chat.input.end('/book');
    await until(() => ended);
    expect(chat.inbound.map((message) => message.event)).toEqual([{ type: 'user.command', name: 'book' }]);
    await chat.channel.send('console', { text: 'Bye' });
    expect(chat.printed()).toBe('Bye\n\n');
  });

  it('refuses replies to another chat', async () => {
    const chat = setup({ chatId: 'me' });
    await chat.start();
    expect(chat.channel.chatId).toBe('me');
    await expect(chat.channel.send('console', { text: 'x' })).rejects.toMatchObject({ retryable: false });
    expect((await chat.type('/book'))?.chatId).toBe('me');
  });

  it('fails a send for good when the output is gone, keeping the previous menu', async () => {
    let broken = false;
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        callback(broken ? new Error('EPIPE') : null);
      },
    });
    output.on('error', () => {});
    const chat = setup({ output });
    await chat.start();
    await chat.channel.send('console', SERVICES);
    broken = true;
    await expect(
      chat.channel.send('console', {
        text: 'Choose a day:',
        options: [{ value: 'd:1', label: 'Mon' }],
        menuId: 'dlg-9',
      }),
    ).rejects.toMatchObject({ name: 'ChannelSendError', retryable: false });
    expect(await chat.type('2')).toMatchObject({
      event: { type: 'user.choice', value: 's:302' },
      menuId: 'dlg-1',
    });
  });
});
