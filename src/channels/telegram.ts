/**
 * The Telegram channel: telegraf on the Bot API (long polling by default, or a webhook handler the
 * HTTP server mounts), translating updates into machine events and machine replies into messages
 * with keyboards.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Telegraf, TelegramError } from 'telegraf';
import type {
  CallbackQuery,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  KeyboardButton,
  Message,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
  Update,
} from 'telegraf/types';
import type { UserEvent } from '../../machines/shared/events.js';
import { normalizePhone } from '../domain/phone.js';
import type { Logger } from '../log.js';
import { LruMap } from '../lru.js';
import {
  type Channel,
  ChannelSendError,
  describeError,
  type InboundMessage,
  type OutboundMessage,
} from './channel.js';
import { type CallbackCodec, type CallbackTokenStore, createCallbackCodec } from './telegram-callback.js';

/**
 * The few phrases the adapter says on its own, each in the client's language as Telegram reports
 * it (`undefined` when it does not). Supplied by the caller so that i18n stays out of the adapter;
 * any left out fall back to English.
 */
export interface TelegramPhrases {
  /** Answer to a press of a button we cannot verify (forged, altered, another chat's, forgotten). */
  unknownButton(languageCode: string | undefined): string;
  /** Label of the reply-keyboard button that shares the client's phone. */
  shareContactButton(languageCode: string | undefined): string;
  /** Reply to a shared contact that is not the client's own, or holds no usable number. */
  contactRejected(languageCode: string | undefined): string;
}

const DEFAULT_PHRASES: TelegramPhrases = {
  unknownButton: () => 'Sorry, this button is no longer valid.',
  shareContactButton: () => '📱 Share my phone number',
  contactRejected: () => 'Please share your own phone number with the button below.',
};

/** Options of {@link createTelegramChannel}. */
export interface TelegramChannelOptions {
  /** Bot token; it is part of every API URL, so it is never logged. */
  token: string;
  /** Bot API origin (`TELEGRAM_API_ROOT`); default `https://api.telegram.org`. A path needs a trailing `/`. */
  apiRoot?: string;
  logger: Logger;
  /** Key material for signing callback data (see `telegram-callback.ts`). */
  secret: string;
  /**
   * Webhook mode instead of long polling: `path` is the exact request path the handler accepts
   * (`/webhooks/telegram`), `secretToken` the expected `X-Telegram-Bot-Api-Secret-Token`. With `url`
   * set, `start()` also registers the webhook with Telegram; without it, registration is left to
   * the operator.
   */
  webhook?: { path: string; secretToken: string; url?: string };
  phrases?: Partial<TelegramPhrases>;
  /** Store for callback data too long to sign inline; in memory by default. */
  callbackStore?: CallbackTokenStore;
}

/** A Node request handler for Telegram's webhook calls (telegraf's, wrapped). */
export type TelegramWebhookHandler = (
  req: IncomingMessage & { body?: Update },
  res: ServerResponse,
) => Promise<void>;

/** The Telegram {@link Channel}, plus the webhook handler in webhook mode. */
export interface TelegramChannel extends Channel {
  readonly name: 'telegram';
  /**
   * Present in webhook mode. Answers 403 for a wrong path, method or secret token and 503 before
   * `start()`. Behind fastify, pass the parsed body along and take over the reply:
   * `reply.hijack(); await handler(Object.assign(request.raw, { body: request.body }), reply.raw)`.
   */
  readonly webhookCallback: TelegramWebhookHandler | undefined;
}

/** Telegram shows at most 100 inline buttons under a message. */
const MAX_INLINE_BUTTONS = 100;
/** Labels up to this long sit two to a row (times, dates, Yes/No); longer ones get a row each. */
const SHORT_LABEL = 14;
/** Per-chat memory (language, shown reply keyboards) for this many recent chats. */
const CHAT_MEMORY = 20_000;

/** A menu shown as a reply keyboard: its labels come back as plain text. */
interface ReplyMenu {
  menuId: string | undefined;
  valueByLabel: Map<string, string>;
}

const COMMANDS: Record<string, Extract<UserEvent, { type: 'user.command' }>['name']> = {
  start: 'start',
  book: 'book',
  cancel: 'cancel',
  back: 'back',
};

/**
 * Creates the Telegram channel. Nothing touches the network until `start()`.
 *
 * Inbound: `/start` `/book` `/cancel` `/back` → `user.command`; other text → `user.text` (or
 * `user.choice` when it is a label of the reply keyboard we showed); the client's own contact →
 * `user.contact` with normalised digits; a verified button press → `user.choice` with its `menuId`.
 * Only private chats are served. Every update is handed over and the handler returns at once;
 * ordering and de-duplication (by `updateId`) belong to the runtime.
 */
export function createTelegramChannel(options: TelegramChannelOptions): TelegramChannel {
  const { token, logger: parentLogger } = options;
  const logger = parentLogger.child({ channel: 'telegram' });
  const phrases: TelegramPhrases = { ...DEFAULT_PHRASES, ...options.phrases };
  const codec: CallbackCodec = createCallbackCodec({
    secret: options.secret,
    ...(options.callbackStore === undefined ? {} : { store: options.callbackStore }),
  });
  const bot = new Telegraf(token, {
    telegram: {
      ...(options.apiRoot === undefined ? {} : { apiRoot: options.apiRoot }),
      // Webhook replies would hide the result (and any error) of answerCallbackQuery; plain calls don't.
      webhookReply: false,
    },
  });

  const languages = new LruMap<string, string>(CHAT_MEMORY);
  const replyKeyboards = new LruMap<string, ReplyMenu>(CHAT_MEMORY);
  const sideCalls = new Set<Promise<unknown>>();
  let onInbound: ((message: InboundMessage) => void) | undefined;
  let running = false;
  let polling: Promise<void> | undefined;

  const redact = (text: string): string => text.split(token).join('<token>');

  /** Fire-and-forget API calls (answers, edits): awaited only on stop, failures logged. */
  const sideCall = (what: string, call: () => Promise<unknown>): void => {
    const promise = call()
      .catch((error: unknown) => {
        logger.debug({ what, error: redact(describeError(error)) }, 'telegram side call failed');
      })
      .finally(() => sideCalls.delete(promise));
    sideCalls.add(promise);
  };

  const deliver = (message: InboundMessage): void => {
    if (!onInbound) return;
    try {
      onInbound(message);
    } catch (error) {
      logger.error({ error: describeError(error), chatId: message.chatId }, 'inbound handler threw');
    }
  };

  const handleMessage = (update: Update, message: Message): void => {
    if (message.chat.type !== 'private' || !message.from || message.from.is_bot) return;
    const chatId = String(message.chat.id);
    const languageCode = message.from.language_code;
    if (languageCode !== undefined) languages.set(chatId, languageCode);
    const displayName = [message.from.first_name, message.from.last_name].filter(Boolean).join(' ');
    const base = {
      channel: 'telegram' as const,
      chatId,
      updateId: String(update.update_id),
      ...(languageCode === undefined ? {} : { languageCode }),
      ...(displayName === '' ? {} : { displayName }),
    };

    if ('contact' in message) {
      const phone = normalizePhone(message.contact.phone_number);
      if (message.contact.user_id !== message.from.id || phone === null) {
        logger.info({ chatId }, 'contact rejected: not the sender’s own phone');
        // Sent directly, not through the dispatcher: a rare, immediate answer to the client's own action.
        sideCall('contactRejected', () =>
          bot.telegram.sendMessage(chatId, phrases.contactRejected(languageCode)),
        );
        return;
      }
      deliver({ ...base, event: { type: 'user.contact', phone } });
      return;
    }
    if (!('text' in message)) return;

    const text = message.text;
    const menu = replyKeyboards.get(chatId);
    const chosen = menu?.valueByLabel.get(text);
    if (menu && chosen !== undefined) {
      deliver({
        ...base,
        event: { type: 'user.choice', value: chosen },
        ...(menu.menuId === undefined ? {} : { menuId: menu.menuId }),
      });
      return;
    }
    const command = /^\/([A-Za-z_]+)(?:@\w+)?(?:\s|$)/.exec(text)?.[1]?.toLowerCase();
    const name = command === undefined ? undefined : COMMANDS[command];
    deliver({ ...base, event: name ? { type: 'user.command', name } : { type: 'user.text', text } });
  };

  const handleCallback = (update: Update, query: CallbackQuery): void => {
    const languageCode = query.from.language_code;
    const message = query.message;
    const chatId = String(message?.chat.id ?? query.from.id);
    const data = 'data' in query ? query.data : undefined;
    const choice = data === undefined ? undefined : codec.decode(chatId, data);
    if (!choice || (message && message.chat.type !== 'private')) {
      logger.warn({ chatId, updateId: update.update_id }, 'callback data failed verification; press ignored');
      sideCall('answerUnknown', () =>
        bot.telegram.answerCbQuery(query.id, phrases.unknownButton(languageCode ?? languages.get(chatId))),
      );
      return;
    }
    if (languageCode !== undefined) languages.set(chatId, languageCode);
    sideCall('answer', () => bot.telegram.answerCbQuery(query.id));
    if (message && data !== undefined) markChosen(chatId, message, data);
    deliver({
      channel: 'telegram',
      chatId,
      updateId: String(update.update_id),
      event: { type: 'user.choice', value: choice.value },
      ...(choice.menuId === undefined ? {} : { menuId: choice.menuId }),
      ...(languageCode === undefined ? {} : { languageCode }),
    });
  };

  /**
   * Shows the choice under the menu's text and drops its keyboard, so an old menu no longer invites
   * presses and the chat reads as a record of what was picked. Without the text (messages older
   * than Telegram keeps in callbacks) only the keyboard goes.
   */
  const markChosen = (chatId: string, message: NonNullable<CallbackQuery['message']>, data: string): void => {
    const text = 'text' in message ? message.text : undefined;
    const markup = 'reply_markup' in message ? message.reply_markup : undefined;
    const label = markup?.inline_keyboard
      .flat()
      .find((button) => 'callback_data' in button && button.callback_data === data)?.text;
    if (text !== undefined && label !== undefined) {
      sideCall('markChosen', () =>
        bot.telegram.editMessageText(chatId, message.message_id, undefined, `${text}\n\n› ${label}`),
      );
    } else {
      sideCall('dropKeyboard', () =>
        bot.telegram.editMessageReplyMarkup(chatId, message.message_id, undefined, undefined),
      );
    }
  };

  bot.use((ctx) => {
    const update = ctx.update;
    if ('message' in update) handleMessage(update, update.message);
    else if ('callback_query' in update) handleCallback(update, update.callback_query);
  });
  // A throwing handler would otherwise stop polling and set the process exit code.
  bot.catch((error, ctx) => {
    logger.error(
      { error: redact(describeError(error)), updateId: ctx.update.update_id },
      'telegram update failed',
    );
  });

  const render = (
    chatId: string,
    message: OutboundMessage,
  ): { reply_markup?: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove } => {
    const options = message.options ?? [];
    if (message.askContact) {
      // One message can carry one keyboard: with a contact request, the menu's options (Back,
      // Cancel) join the reply keyboard and come back as text we map to choices.
      const contactButton: KeyboardButton = {
        text: phrases.shareContactButton(languages.get(chatId)),
        request_contact: true,
      };
      return {
        reply_markup: {
          keyboard: [[contactButton], ...options.map((option) => [{ text: option.label }])],
          one_time_keyboard: true,
          resize_keyboard: true,
        },
      };
    }
    if (options.length > 0) {
      if (options.length > MAX_INLINE_BUTTONS) {
        throw new ChannelSendError(
          `${options.length} options exceed Telegram's ${MAX_INLINE_BUTTONS} buttons`,
          false,
        );
      }
      const buttons: InlineKeyboardButton[] = options.map((option) => ({
        text: option.label,
        callback_data: codec.encode(chatId, {
          value: option.value,
          ...(message.menuId === undefined ? {} : { menuId: message.menuId }),
        }),
      }));
      const perRow = options.every((option) => [...option.label].length <= SHORT_LABEL) ? 2 : 1;
      const rows: InlineKeyboardButton[][] = [];
      for (let i = 0; i < buttons.length; i += perRow) rows.push(buttons.slice(i, i + perRow));
      // An inline keyboard cannot also remove a reply keyboard; a one-time contact keyboard has
      // folded away by now anyway, and the next plain message removes it for good.
      return { reply_markup: { inline_keyboard: rows } };
    }
    if (replyKeyboards.has(chatId)) return { reply_markup: { remove_keyboard: true } };
    return {};
  };

  return {
    name: 'telegram',

    webhookCallback: options.webhook
      ? (() => {
          const inner = bot.webhookCallback(options.webhook.path, {
            secretToken: options.webhook.secretToken,
          });
          return async (req, res) => {
            if (!running) {
              // Telegram retries a webhook that failed with 5xx, so nothing is lost before start.
              res.statusCode = 503;
              res.end();
              return;
            }
            await inner(req, res);
          };
        })()
      : undefined,

    async start(handler) {
      if (running) return;
      onInbound = handler;
      try {
        // Fetched up front so that start() fails on a bad token, and telegraf skips its own getMe.
        bot.botInfo = await bot.telegram.getMe();
        if (options.webhook?.url !== undefined) {
          await bot.telegram.setWebhook(options.webhook.url, {
            secret_token: options.webhook.secretToken,
            allowed_updates: ['message', 'callback_query'],
          });
        }
      } catch (error) {
        throw toChannelSendError(error, redact);
      }
      running = true;
      logger.info(
        { username: bot.botInfo.username, mode: options.webhook ? 'webhook' : 'polling' },
        'telegram started',
      );
      if (options.webhook) return;
      // launch() settles only when polling ends, so it is watched, not awaited.
      polling = bot.launch({ allowedUpdates: ['message', 'callback_query'] }).catch((error: unknown) => {
        running = false;
        logger.error({ error: redact(describeError(error)) }, 'telegram polling stopped with an error');
      });
    },

    async stop() {
      if (!running && !polling) return;
      running = false;
      if (polling) {
        const launched = polling;
        let ended = false;
        void launched.then(() => {
          ended = true;
        });
        // bot.stop() throws until launch() has reached its polling loop (it first calls
        // deleteWebhook), so a stop right after start has to wait for that moment.
        while (!ended) {
          try {
            bot.stop('channel stopped');
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }
        await launched;
        polling = undefined;
      }
      await Promise.allSettled([...sideCalls]);
      onInbound = undefined;
    },

    async send(chatId, message) {
      const extra = render(chatId, message);
      try {
        await bot.telegram.sendMessage(chatId, message.text, extra);
      } catch (error) {
        throw toChannelSendError(error, redact);
      }
      if (message.askContact) {
        replyKeyboards.set(chatId, {
          menuId: message.menuId,
          valueByLabel: new Map((message.options ?? []).map((option) => [option.label, option.value])),
        });
      } else if (!message.options?.length) {
        replyKeyboards.delete(chatId);
      } else {
        // A newer inline menu supersedes the reply keyboard's choices, though the keyboard may linger.
        const shown = replyKeyboards.get(chatId);
        if (shown) shown.valueByLabel.clear();
      }
    },

    isRunning: () => running,
  };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * What the dispatcher needs from a failed API call: 429 → retry after the server's `retry_after`;
 * 5xx and network failures → retry with backoff; other API errors (400 bad request, 403 bot blocked,
 * 401 bad token) → give up. The token is scrubbed from the message and no raw cause is kept, since
 * network errors carry the request URL.
 */
export function toChannelSendError(
  error: unknown,
  redact: (text: string) => string = (text) => text,
): ChannelSendError {
  if (error instanceof ChannelSendError) return error;
  if (error instanceof TelegramError) {
    const summary = redact(`telegram ${error.code}: ${error.description}`);
    if (error.code === 429) {
      const seconds = error.parameters?.retry_after ?? 1;
      return new ChannelSendError(summary, true, seconds * 1000);
    }
    return new ChannelSendError(summary, error.code >= 500);
  }
  const network =
    error instanceof Error &&
    (error.name === 'FetchError' ||
      error.name === 'AbortError' ||
      NETWORK_CODES.has(String((error as Error & { code?: unknown }).code)));
  return new ChannelSendError(redact(`telegram call failed: ${describeError(error)}`), network);
}
