/**
 * The console channel: one client chatting from a terminal (`altegio-bot chat`). Lines typed on the
 * input become machine events; replies are printed as text with numbered menus, exactly as
 * WhatsApp shows them, so every dialogue can be tried without a messenger account.
 *
 * It touches nothing but the two streams it is given, so tests drive it with `PassThrough`s.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { normalizePhone } from '../domain/phone.js';
import type { Logger } from '../log.js';
import { type ChannelAdapter, ChannelSendError, describeError, type OutboundMessage } from './channel.js';
import { createInboundSlot } from './inbound.js';
import { interpretReply, type OpenMenu, renderMenuText } from './whatsapp-menu.js';

/**
 * Lines the adapter adds on its own, in the language of `languageCode` (the option of the same
 * name, `undefined` when none was given). Supplied by the caller so i18n stays out of the adapter;
 * any left out fall back to English.
 */
export interface ConsolePhrases {
  /** The line under a numbered menu. */
  menuHint(languageCode: string | undefined): string;
  /** The line under a question that asks for the client's phone: a terminal has no contact button. */
  contactHint(languageCode: string | undefined): string;
}

const DEFAULT_PHRASES: ConsolePhrases = {
  menuHint: () => 'Reply with the number of your choice.',
  contactHint: () => 'Or type your phone number with the country code, e.g. +44 20 7946 0958.',
};

/** What the embedder chooses; the engine adds the logger and the phrases. */
export interface ConsoleChatOptions {
  /** Where the client's lines come from (`process.stdin`). */
  input: Readable;
  /** Where the bot's replies are printed (`process.stdout`). */
  output: Writable;
  /** The one chat this console is; default `console`. */
  chatId?: string;
  /** Reported with every message as the client's language (`en`, `ru`, `uk`); default none. */
  languageCode?: string;
  /** The client's name, used for the booking when the salon does not ask for one. */
  displayName?: string;
  /**
   * Called once when the input ends (Ctrl-D, end of a piped file), after its last line was handed
   * over; not when `stop()` closes the reader.
   */
  onInputEnd?: () => void;
}

/** Options of {@link createConsoleChannel}. */
export interface ConsoleChannelOptions extends ConsoleChatOptions {
  logger: Logger;
  phrases?: Partial<ConsolePhrases>;
}

/** The console {@link ChannelAdapter}. */
export interface ConsoleChannel extends ChannelAdapter {
  readonly name: 'console';
  /** The chat id its messages carry; replies to any other chat id are refused. */
  readonly chatId: string;
}

/**
 * `+44 20 7946 0958`, `8 (916) 123-45-67`: digits and the usual separators only, so that a sentence
 * that happens to hold digits stays text. Too few digits (a menu number) fail `normalizePhone`.
 */
const PHONE_LIKE = /^\+?[\d\s().-]+$/;

/**
 * Creates the console channel. Nothing is read until `start()`.
 *
 * Inbound: `/start` `/book` `/cancel` `/back` (and the plain word `book`) → `user.command`; a number
 * answering the last menu → `user.choice` with that menu's id; a phone typed after a question that
 * asked for one (`askContact`) → `user.contact` with normalised digits; anything else `user.text`.
 * Empty lines are ignored. No `updateId`: a terminal never redelivers a line, and a counter would
 * restart at 1 with the next process and look like a replay to the runtime.
 *
 * Outbound: text, then the numbered menu and its hint, then the phone hint when asked; a blank line
 * separates messages.
 */
export function createConsoleChannel(options: ConsoleChannelOptions): ConsoleChannel {
  const logger = options.logger.child({ channel: 'console' });
  const phrases: ConsolePhrases = { ...DEFAULT_PHRASES, ...options.phrases };
  const chatId = options.chatId ?? 'console';
  const { input, output, languageCode, displayName } = options;

  /**
   * The last menu and whether the last question asked for a phone. Both are replaced together by
   * the next message that carries a menu or asks for a phone; a plain message (an error, "please
   * wait") leaves them, so the client can still answer the question shown above it.
   */
  let menu: OpenMenu | undefined;
  let askedContact = false;
  let reader: Interface | undefined;
  const inbound = createInboundSlot(logger);
  let running = false;

  const onLine = (line: string): void => {
    if (!running || line.trim() === '') return;
    const base = {
      channel: 'console' as const,
      chatId,
      ...(languageCode === undefined ? {} : { languageCode }),
      ...(displayName === undefined ? {} : { displayName }),
    };
    const phone = askedContact ? typedPhone(line) : undefined;
    if (phone !== undefined) {
      inbound.deliver({ ...base, event: { type: 'user.contact', phone } });
      return;
    }
    const { event, menuId } = interpretReply(line, menu);
    inbound.deliver({ ...base, event, ...(menuId === undefined ? {} : { menuId }) });
  };

  const write = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      output.write(text, (error) => (error ? reject(error) : resolve()));
    });

  return {
    name: 'console',
    chatId,

    async start(handler) {
      if (running) return;
      inbound.attach(handler);
      running = true;
      const current = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
      reader = current;
      current.on('line', onLine);
      current.on('close', () => {
        // stop() closes the reader too; only an input that really ended is reported.
        if (reader !== current) return;
        reader = undefined;
        logger.debug('console input ended');
        options.onInputEnd?.();
      });
      logger.debug({ chatId }, 'console chat started');
    },

    async stop() {
      if (!running) return;
      running = false;
      const current = reader;
      reader = undefined;
      // Pauses the input as well, so a terminal's stdin no longer keeps the process alive.
      current?.close();
      inbound.detach();
      logger.debug('console chat stopped');
    },

    async send(to, message: OutboundMessage) {
      if (!running) throw new ChannelSendError('the console chat is not running', true);
      if (to !== chatId) throw new ChannelSendError(`the console serves chat "${chatId}" only`, false);
      const options = message.options ?? [];
      const hint = phrases.menuHint(languageCode);
      const lines = [renderMenuText(message, hint)];
      if (message.askContact === true) lines.push(phrases.contactHint(languageCode));
      // Set before writing, as on WhatsApp: a quick answer must not beat the menu it answers.
      const previous = { menu, askedContact };
      if (options.length > 0 || message.askContact === true) {
        menu = options.length > 0 ? { menuId: message.menuId, options } : undefined;
        askedContact = message.askContact === true;
      }
      try {
        await write(`${lines.filter((line) => line !== '').join('\n\n')}\n\n`);
      } catch (error) {
        ({ menu, askedContact } = previous);
        // A closed terminal or a broken pipe does not come back.
        throw new ChannelSendError(`console write failed: ${describeError(error)}`, false, undefined, {
          cause: error,
        });
      }
    },

    isRunning: () => running,
  };
}

/** The digits of a line that is written like a phone number, or `undefined`. */
function typedPhone(line: string): string | undefined {
  const text = line.trim();
  if (!PHONE_LIKE.test(text)) return undefined;
  return normalizePhone(text) ?? undefined;
}
