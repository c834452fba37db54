/**
 * The web channel: chats held by the playground page in a browser (sandbox mode). It is a
 * {@link ChannelAdapter} like Telegram and WhatsApp: what a client does in the page becomes a machine
 * event handed to the runtime, and the engine's messages arrive through the outbox and the
 * dispatcher. Each chat imitates one messenger, named by its id's prefix:
 * - `tg:<session>` shows options as buttons under the message (Telegram's inline keyboard) and a
 *   "share my phone" button when the phone is asked;
 * - `wa:<session>` shows the numbered menu WhatsApp clients get and reads typed numbers back
 *   (`whatsapp-menu.ts`, the same code the WhatsApp adapter uses).
 *
 * The channel keeps each chat's recent messages in memory (the page shows them and is told of new
 * ones); it does no HTTP itself, so tests drive it directly.
 */
import type { Logger } from '../log.js';
import { LruMap } from '../lru.js';
import { type ChannelAdapter, ChannelSendError, describeError, type OutboundMessage } from './channel.js';
import { createInboundSlot } from './inbound.js';
import { interpretReply, type OpenMenu, renderMenuText } from './whatsapp-menu.js';

/** Which messenger a chat imitates. */
export type WebChatStyle = 'telegram' | 'whatsapp';

const PREFIX: Record<WebChatStyle, string> = { telegram: 'tg:', whatsapp: 'wa:' };

/** The chat id of a session's pane in one style. */
export function webChatId(style: WebChatStyle, session: string): string {
  return `${PREFIX[style]}${session}`;
}

/** The style a chat id names, or `undefined` for an id this channel does not serve. */
export function webChatStyle(chatId: string): WebChatStyle | undefined {
  if (chatId.startsWith(PREFIX.telegram)) return 'telegram';
  if (chatId.startsWith(PREFIX.whatsapp)) return 'whatsapp';
  return undefined;
}

/** One message as the page shows it. */
export interface WebChatEntry {
  /** Increases within a chat; the page skips entries it already shows. */
  id: number;
  from: 'bot' | 'client';
  text: string;
  /** Labels of the buttons under a bot message (Telegram style only). */
  buttons?: string[];
  /** The bot asked for the phone: the Telegram-style pane offers "share my phone". */
  askContact?: boolean;
  /** A client entry that is a button press rather than typed text. */
  pressed?: boolean;
  at: number;
}

/** What a client did in a pane. */
export type WebAction =
  | { type: 'text'; text: string }
  /** A button under bot message `entryId`; the value is looked up here, never taken from the page. */
  | { type: 'press'; entryId: number; index: number }
  /** "Share my phone": the phone is the session's, supplied by the server. */
  | { type: 'contact'; phone: string; label: string };

/** Why an action was not passed on. */
export type WebRefusal = 'not-running' | 'unknown-chat' | 'empty' | 'no-such-button';

export interface WebChannelPhrases {
  /** The line under a numbered menu, in the chat's language. */
  menuHint(languageCode: string | undefined): string;
}

const DEFAULT_PHRASES: WebChannelPhrases = { menuHint: () => 'Reply with the number of your choice.' };

export interface WebChannelOptions {
  logger: Logger;
  phrases?: Partial<WebChannelPhrases>;
  /** Messages kept per chat; older ones leave. Default 200. */
  historyLimit?: number;
  /** Chats kept in memory; the least recently used leave. Default 2,000. */
  chatLimit?: number;
  /** Wall clock for entry stamps. */
  now?: () => number;
}

/** Details the page knows about the client, passed with each action. */
export interface WebClientDetails {
  languageCode?: string;
  displayName?: string;
}

/** The web {@link ChannelAdapter}, plus what the playground page needs. */
export interface WebChannel extends ChannelAdapter {
  readonly name: 'web';
  /** Hands a client's action to the engine; the entry it added to the chat, or why not. */
  receive(
    chatId: string,
    action: WebAction,
    details?: WebClientDetails,
  ): { ok: true; entry: WebChatEntry } | { ok: false; reason: WebRefusal };
  /**
   * The page showed the chat in a language: its own lines (the menu hint) follow it, also in
   * messages the engine starts before the client has written there (a reminder).
   */
  open(chatId: string, details: { languageCode: string }): void;
  /** The chat's messages, oldest first (at most `historyLimit`). */
  history(chatId: string): readonly WebChatEntry[];
  /** Called with every entry added to any chat; returns the unsubscribe function. */
  subscribe(listener: (chatId: string, entry: WebChatEntry) => void): () => void;
}

interface BotMessage {
  entryId: number;
  options: ReadonlyArray<{ value: string; label: string }>;
  menuId: string | undefined;
}

interface ChatState {
  entries: WebChatEntry[];
  nextId: number;
  /** Telegram style: the bot messages with buttons, by entry id (the newest `historyLimit`). */
  buttons: Map<number, BotMessage>;
  /** WhatsApp style: the menu the numbers answer (as the WhatsApp adapter keeps it). */
  menu: OpenMenu | undefined;
  languageCode: string | undefined;
}

/** Creates the web channel; nothing is accepted until `start()`. */
export function createWebChannel(options: WebChannelOptions): WebChannel {
  const logger = options.logger.child({ channel: 'web' });
  const phrases: WebChannelPhrases = { ...DEFAULT_PHRASES, ...options.phrases };
  const historyLimit = options.historyLimit ?? 200;
  const now = options.now ?? Date.now;
  const chats = new LruMap<string, ChatState>(options.chatLimit ?? 2000);
  const listeners = new Set<(chatId: string, entry: WebChatEntry) => void>();
  const inbound = createInboundSlot(logger);
  let running = false;

  const chat = (chatId: string): ChatState => {
    let found = chats.get(chatId);
    if (!found) {
      found = { entries: [], nextId: 1, buttons: new Map(), menu: undefined, languageCode: undefined };
      chats.set(chatId, found);
    }
    return found;
  };

  const append = (chatId: string, state: ChatState, entry: Omit<WebChatEntry, 'id' | 'at'>): WebChatEntry => {
    const full: WebChatEntry = { ...entry, id: state.nextId++, at: now() };
    state.entries.push(full);
    if (state.entries.length > historyLimit) {
      const dropped = state.entries.splice(0, state.entries.length - historyLimit);
      for (const old of dropped) state.buttons.delete(old.id);
    }
    for (const listener of listeners) {
      try {
        listener(chatId, full);
      } catch (error) {
        logger.error({ error: describeError(error) }, 'web chat listener threw');
      }
    }
    return full;
  };

  return {
    name: 'web',

    async start(handler) {
      inbound.attach(handler);
      running = true;
    },

    async stop() {
      running = false;
      inbound.detach();
    },

    isRunning: () => running,

    async send(chatId, message: OutboundMessage) {
      if (!running) throw new ChannelSendError('the web channel is not running', true);
      const style = webChatStyle(chatId);
      if (!style) throw new ChannelSendError(`"${chatId}" is not a web chat`, false);
      const state = chat(chatId);
      const options = message.options ?? [];
      if (style === 'whatsapp') {
        // As on WhatsApp: the menu is set before the text shows, so a quick answer finds it.
        if (options.length > 0) state.menu = { menuId: message.menuId, options };
        append(chatId, state, {
          from: 'bot',
          text: renderMenuText(message, phrases.menuHint(state.languageCode)),
        });
        return;
      }
      const entry = append(chatId, state, {
        from: 'bot',
        text: message.text,
        ...(options.length > 0 ? { buttons: options.map((option) => option.label) } : {}),
        ...(message.askContact === true ? { askContact: true } : {}),
      });
      if (options.length > 0) {
        state.buttons.set(entry.id, { entryId: entry.id, options, menuId: message.menuId });
      }
    },

    receive(chatId, action, details = {}) {
      if (!running) return { ok: false, reason: 'not-running' };
      const style = webChatStyle(chatId);
      if (!style) return { ok: false, reason: 'unknown-chat' };
      const state = chat(chatId);
      if (details.languageCode !== undefined) state.languageCode = details.languageCode;
      const base = {
        channel: 'web' as const,
        chatId,
        ...(details.languageCode === undefined ? {} : { languageCode: details.languageCode }),
        ...(details.displayName === undefined ? {} : { displayName: details.displayName }),
      };
      if (action.type === 'press') {
        const message = state.buttons.get(action.entryId);
        const option = message?.options[action.index];
        if (!message || !option || style !== 'telegram') return { ok: false, reason: 'no-such-button' };
        const entry = append(chatId, state, { from: 'client', text: option.label, pressed: true });
        inbound.deliver({
          ...base,
          event: { type: 'user.choice', value: option.value },
          ...(message.menuId === undefined ? {} : { menuId: message.menuId }),
        });
        return { ok: true, entry };
      }
      if (action.type === 'contact') {
        const entry = append(chatId, state, { from: 'client', text: action.label, pressed: true });
        inbound.deliver({ ...base, event: { type: 'user.contact', phone: action.phone } });
        return { ok: true, entry };
      }
      const text = action.text.trim();
      if (text === '') return { ok: false, reason: 'empty' };
      const entry = append(chatId, state, { from: 'client', text });
      // Telegram style: commands and text; a typed number is text there, as in Telegram.
      const { event, menuId } = interpretReply(text, style === 'whatsapp' ? state.menu : undefined);
      inbound.deliver({ ...base, event, ...(menuId === undefined ? {} : { menuId }) });
      return { ok: true, entry };
    },

    open(chatId, details) {
      if (webChatStyle(chatId)) chat(chatId).languageCode = details.languageCode;
    },

    history: (chatId) => chats.get(chatId)?.entries ?? [],

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
