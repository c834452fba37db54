/**
 * Numbered text menus for WhatsApp. Buttons and lists no longer reach WhatsApp clients, so a menu
 * is a numbered list under the text and the client answers with a number. This module renders the
 * menu and turns a reply back into a machine event; it holds no I/O so it can be tested on its own.
 */
import type { UserEvent } from '../../machines/shared/events.js';
import type { OutboundMessage } from './channel.js';

/** The menu last shown in a chat: what each number (and label) stands for. */
export interface OpenMenu {
  menuId: string | undefined;
  options: ReadonlyArray<{ value: string; label: string }>;
}

/** A reply translated into a machine event, with the menu it answered when it was a choice. */
export interface Interpreted {
  event: UserEvent;
  menuId?: string;
}

/**
 * Renders text plus a numbered menu and the hint line. The hint is what tells a client who has
 * never seen a text menu that typing the number is the way to answer; an empty hint is left out.
 */
export function renderMenuText(message: OutboundMessage, hint: string): string {
  const options = message.options ?? [];
  if (options.length === 0) return message.text;
  const lines = options.map((option, index) => `${index + 1}. ${option.label}`);
  const parts = [message.text, lines.join('\n')];
  if (hint.trim() !== '') parts.push(hint);
  return parts.filter((part) => part !== '').join('\n\n');
}

type CommandName = Extract<UserEvent, { type: 'user.command' }>['name'];

/** Slash commands, as on Telegram, so instructions written for one channel work on the other. */
const SLASH_COMMANDS: Record<string, CommandName> = {
  start: 'start',
  book: 'book',
  cancel: 'cancel',
  back: 'back',
};

/**
 * Plain words that start a booking. WhatsApp has no command menu, so clients type a word; English,
 * Russian and Ukrainian cover the salons we serve.
 */
const BOOK_WORDS = new Set(['book', 'записаться', 'записатися', 'запис', 'запись']);

/** `1`, `2.`, `3)`: what people type to pick from a numbered list. */
const NUMBER_REPLY = /^(\d{1,3})[.)]?$/;

/**
 * Translates a text reply. With a menu open, a number in range (or a label typed out in full) is a
 * choice carrying the menu's id; a number out of range is passed on as text so the machine answers
 * it like any other unexpected text (usually by showing the menu again). Without an open menu a
 * number is text as well: after a restart the adapter no longer knows which menu it answered.
 */
export function interpretReply(body: string, menu: OpenMenu | undefined): Interpreted {
  const text = body.trim();
  if (menu) {
    const number = NUMBER_REPLY.exec(text)?.[1];
    const byNumber = number === undefined ? undefined : menu.options[Number(number) - 1];
    const folded = text.toLocaleLowerCase();
    const chosen =
      byNumber ??
      (number === undefined
        ? menu.options.find((option) => option.label.trim().toLocaleLowerCase() === folded)
        : undefined);
    if (chosen) {
      return {
        event: { type: 'user.choice', value: chosen.value },
        ...(menu.menuId === undefined ? {} : { menuId: menu.menuId }),
      };
    }
  }
  const slash = /^\/([A-Za-z_]+)$/.exec(text)?.[1]?.toLowerCase();
  const command = slash === undefined ? undefined : SLASH_COMMANDS[slash];
  if (command) return { event: { type: 'user.command', name: command } };
  const word = text.toLocaleLowerCase().replace(/[\s!.?]+$/u, '');
  if (BOOK_WORDS.has(word)) return { event: { type: 'user.command', name: 'book' } };
  return { event: { type: 'user.text', text: body } };
}
