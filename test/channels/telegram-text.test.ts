import { describe, expect, it } from 'vitest';
import { ChannelSendError } from '../../src/channels/channel.js';
import { MAX_MESSAGE_TEXT, splitMessage, splitText } from '../../src/channels/telegram-text.js';

describe('Telegram message text limits', () => {
  it('keeps a text of up to 4,096 UTF-16 units whole, trimmed as Telegram trims it', () => {
    const message = { text: '  Hello  ', options: [{ value: 'a', label: 'A' }] };
    expect(splitMessage(message)).toEqual([{ ...message, text: 'Hello' }]);
    const full = { text: 'я'.repeat(MAX_MESSAGE_TEXT) };
    expect(splitMessage(full)).toEqual([full]);
  });

  it('refuses an empty or blank text', () => {
    for (const text of ['', ' ', '\n\t ']) {
      expect(() => splitMessage({ text })).toThrow(ChannelSendError);
      expect(() => splitMessage({ text })).toThrow(/empty/);
    }
  });

  it('cuts at a blank line, then a line end, then a space, never past the limit', () => {
    const paragraphs = `${'a'.repeat(3000)}\n\n${'b'.repeat(3000)}`;
    expect(splitText(paragraphs)).toEqual(['a'.repeat(3000), 'b'.repeat(3000)]);
    const lines = `${'a'.repeat(3000)}\n${'b'.repeat(3000)}`;
    expect(splitText(lines)).toEqual(['a'.repeat(3000), 'b'.repeat(3000)]);
    const words = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ');
    const parts = splitText(words);
    expect(parts.every((part) => part.length <= MAX_MESSAGE_TEXT && part.length > 0)).toBe(true);
    expect(parts.join(' ')).toBe(words);
  });

  it('cuts a text without spaces hard, but never between the halves of an emoji', () => {
    const text = `${'x'.repeat(MAX_MESSAGE_TEXT - 1)}😀${'y'.repeat(10)}`;
    const parts = splitText(text);
    expect(parts).toEqual(['x'.repeat(MAX_MESSAGE_TEXT - 1), `😀${'y'.repeat(10)}`]);
    expect(parts.join('')).toBe(text);
  });

  it('puts the menu under the last part only', () => {
    const options = [{ value: 'ok', label: 'OK' }];
    const parts = splitMessage({ text: 'z'.repeat(MAX_MESSAGE_TEXT * 2 + 1), options, menuId: 'm1' });
    expect(parts.map((part) => part.text.length)).toEqual([4096, 4096, 1]);
    expect(parts.map((part) => part.options)).toEqual([undefined, undefined, options]);
    expect(parts[2]?.menuId).toBe('m1');
  });
});
