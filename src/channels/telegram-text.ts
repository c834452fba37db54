/**
 * Telegram's limits on message text: 1 to 4,096 characters, counted in UTF-16 code units as the
 * Bot API counts them (https://core.telegram.org/bots/api#sendmessage), after leading and trailing
 * whitespace is stripped. A text over the limit goes out as several messages, cut where a reader
 * would (a blank line, a line end, a space), never inside a character.
 */
import { ChannelSendError, type OutboundMessage } from './channel.js';

export const MAX_MESSAGE_TEXT = 4096;

/** A message too long for one Telegram message as several; only the last keeps the menu. */
export function splitMessage(message: OutboundMessage, max = MAX_MESSAGE_TEXT): OutboundMessage[] {
  const text = message.text.trim();
  if (text.length === 0) {
    throw new ChannelSendError('message text is empty; Telegram would refuse it, so it was not sent', false);
  }
  if (text.length <= max) return [text === message.text ? message : { ...message, text }];
  const parts = splitText(text, max);
  return parts.map((part, index) =>
    index === parts.length - 1 ? { ...message, text: part } : { text: part },
  );
}

/** Cuts `text` into pieces of at most `max` UTF-16 units, none empty. */
export function splitText(text: string, max = MAX_MESSAGE_TEXT): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const cut = cutPoint(rest, max);
    const part = rest.slice(0, cut).trimEnd();
    if (part.length > 0) parts.push(part);
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

function cutPoint(text: string, max: number): number {
  // Prefer a boundary in the second half, so that no piece is needlessly short.
  const floor = Math.floor(max / 2);
  for (const boundary of ['\n\n', '\n', ' ']) {
    const at = text.lastIndexOf(boundary, max - boundary.length);
    if (at >= floor) return at + boundary.length;
  }
  // No boundary: a hard cut, moved back one unit if it would split a surrogate pair.
  const code = text.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}

/** Whether `text` fits one message (non-empty after trimming, at most the limit). */
export function fitsOneMessage(text: string, max = MAX_MESSAGE_TEXT): boolean {
  const trimmed = text.trim();
  return trimmed.length > 0 && trimmed.length <= max;
}
