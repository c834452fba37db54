/**
 * The Telegram channel: telegraf on the Bot API (long polling by default, or a webhook handler the
 * HTTP server mounts), translating updates into machine events and machine replies into messages
 * with keyboards.
 */
import { Telegraf } from 'telegraf';
import type { CallbackQuery, Message, Update } from 'telegraf/types';
import type { UserEvent } from '../../machines/shared/events.js';
import { normalizePhone } from '../domain/phone.js';
import { sameSecret } from '../http/secret.js';
import { LruMap } from '../lru.js';
import { ChannelSendError, describeError, type OutboundMessage } from './channel.js';
import { createInboundSlot } from './inbound.js';
import { type CallbackCodec, createCallbackCodec } from './telegram-callback.js';
import { toChannelSendError } from './telegram-errors.js';
import { renderKeyboard } from './telegram-keyboard.js';
import {
  DEFAULT_PHRASES,
  MENU_COMMANDS,
  type TelegramChannel,
  type TelegramChannelOptions,
  type TelegramPhrases,
} from './telegram-options.js';
import { type Polling, startPolling } from './telegram-polling.js';
import { fitsOneMessage, MAX_MESSAGE_TEXT, splitMessage } from './telegram-text.js';

export { toChannelSendError } from './telegram-errors.js';
export {
  MENU_COMMANDS,
  type TelegramChannel,
  type TelegramChannelOptions,
  type TelegramPhrases,
  type TelegramWebhookHandler,
} from './telegram-options.js';

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
  /**
   * Per chat, the message id of the latest menu sent. Message ids grow within a chat, so a press
   * under an older message is in a superseded menu. In memory: after a restart the runtime's own
   * check (the menu's dialogue) is what catches an old press.
   */
  const latestMenu = new LruMap<string, number>(CHAT_MEMORY);
  /** Per chat, the message whose inline keyboard is still on screen, to take off when superseded. */
  const shownKeyboard = new LruMap<string, number>(CHAT_MEMORY);
  const sideCalls = new Set<Promise<unknown>>();
  const inbound = createInboundSlot(logger, (message) => ({ chatId: message.chatId }));
  let running = false;
  let polling: Polling | undefined;

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

  const handleMessage = (update: Update, message: Message): unknown => {
    if (message.chat.type !== 'private' || !message.from || message.from.is_bot) return undefined;
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
        return undefined;
      }
      return inbound.deliver({ ...base, event: { type: 'user.contact', phone } });
    }
    if (!('text' in message)) return undefined;

    const text = message.text;
    const menu = replyKeyboards.get(chatId);
    const chosen = menu?.valueByLabel.get(text);
    if (menu && chosen !== undefined) {
      return inbound.deliver({
        ...base,
        event: { type: 'user.choice', value: chosen },
        ...(menu.menuId === undefined ? {} : { menuId: menu.menuId }),
      });
    }
    const command = /^\/([A-Za-z_]+)(?:@\w+)?(?:\s|$)/.exec(text)?.[1]?.toLowerCase();
    const name = command === undefined ? undefined : COMMANDS[command];
    return inbound.deliver({
      ...base,
      event: name ? { type: 'user.command', name } : { type: 'user.text', text },
    });
  };

  const handleCallback = (update: Update, query: CallbackQuery): unknown => {
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
      return undefined;
    }
    if (languageCode !== undefined) languages.set(chatId, languageCode);
    const latest = latestMenu.get(chatId);
    if (message && latest !== undefined && message.message_id < latest) {
      // An old copy of a menu: nothing changes, the client is told why, and its buttons go.
      logger.info({ chatId, messageId: message.message_id }, 'press in a superseded menu ignored');
      sideCall('answerStale', () =>
        bot.telegram.answerCbQuery(query.id, phrases.staleButton(languageCode ?? languages.get(chatId))),
      );
      if ('reply_markup' in message && message.reply_markup) dropKeyboard(chatId, message.message_id);
      return undefined;
    }
    sideCall('answer', () => bot.telegram.answerCbQuery(query.id));
    if (message && data !== undefined) markChosen(chatId, message, data);
    return inbound.deliver({
      channel: 'telegram',
      chatId,
      updateId: String(update.update_id),
      event: { type: 'user.choice', value: choice.value },
      ...(choice.menuId === undefined ? {} : { menuId: choice.menuId }),
      ...(languageCode === undefined ? {} : { languageCode }),
    });
  };

  const dropKeyboard = (chatId: string, messageId: number): void => {
    if (shownKeyboard.get(chatId) === messageId) shownKeyboard.delete(chatId);
    sideCall('dropKeyboard', () =>
      bot.telegram.editMessageReplyMarkup(chatId, messageId, undefined, undefined),
    );
  };

  /**
   * Shows the choice under the menu's text and drops its keyboard, so an old menu no longer invites
   * presses and the chat reads as a record of what was picked. Without the text (messages older
   * than Telegram keeps in callbacks), or when the text would grow past Telegram's limit, only the
   * keyboard goes.
   */
  const markChosen = (chatId: string, message: NonNullable<CallbackQuery['message']>, data: string): void => {
    const text = 'text' in message ? message.text : undefined;
    const markup = 'reply_markup' in message ? message.reply_markup : undefined;
    const label = markup?.inline_keyboard
      .flat()
      .find((button) => 'callback_data' in button && button.callback_data === data)?.text;
    const marked = text === undefined || label === undefined ? undefined : `${text}\n\n› ${label}`;
    if (marked !== undefined && fitsOneMessage(marked)) {
      if (shownKeyboard.get(chatId) === message.message_id) shownKeyboard.delete(chatId);
      sideCall('markChosen', () =>
        bot.telegram.editMessageText(chatId, message.message_id, undefined, marked),
      );
      return;
    }
    if (marked !== undefined) {
      logger.info(
        { chatId, length: marked.length, limit: MAX_MESSAGE_TEXT },
        'choice not written under the menu: the text would exceed Telegram’s limit; buttons removed only',
      );
    }
    dropKeyboard(chatId, message.message_id);
  };

  /** A new menu went out as `messageId`: the previous one's buttons come off. */
  const supersede = (chatId: string, messageId: number, inline: boolean): void => {
    latestMenu.set(chatId, messageId);
    const previous = shownKeyboard.get(chatId);
    if (inline) shownKeyboard.set(chatId, messageId);
    else shownKeyboard.delete(chatId);
    if (previous !== undefined && previous !== messageId) {
      sideCall('dropSuperseded', () =>
        bot.telegram.editMessageReplyMarkup(chatId, previous, undefined, undefined),
      );
    }
  };

  const registerCommands = (): void => {
    const languages: Array<string | undefined> = [
      undefined,
      ...(options.commandLanguages ?? ['en', 'ru', 'uk']),
    ];
    for (const languageCode of languages) {
      const described = phrases.commands(languageCode);
      const commands = MENU_COMMANDS.map((command) => ({ command, description: described[command] }));
      sideCall(`setMyCommands ${languageCode ?? 'default'}`, () =>
        bot.telegram.setMyCommands(
          commands,
          languageCode === undefined ? {} : { language_code: languageCode },
        ),
      );
    }
  };

  /** Hands a kept update's message over; the journal hears once it was handled, however it went. */
  bot.use((ctx) => {
    const update = ctx.update;
    const handled =
      'message' in update
        ? handleMessage(update, update.message)
        : 'callback_query' in update
          ? handleCallback(update, update.callback_query)
          : undefined;
    const { journal } = options;
    if (!journal) return;
    const settled = () =>
      journal.done(update.update_id).catch((error: unknown) => {
        // It is then handed over once more at the next start, where the runtime drops it as seen.
        logger.warn({ error: describeError(error), updateId: update.update_id }, 'update not marked handled');
      });
    void Promise.resolve(handled).then(settled, settled);
  });

  /** Keeps an update before Telegram hears it arrived; false for one kept before, which is dropped. */
  const keep = (update: Update): Promise<boolean> =>
    options.journal ? options.journal.keep(update) : Promise.resolve(true);
  // A throwing handler would otherwise stop polling and set the process exit code.
  bot.catch((error, ctx) => {
    if (options.onError)
      options.onError(new Error(redact(describeError(error))), 'handling a Telegram update');
    else
      logger.error(
        { error: redact(describeError(error)), updateId: ctx.update.update_id },
        'telegram update failed',
      );
  });

  return {
    name: 'telegram',

    webhookCallback: options.webhook
      ? (() => {
          const inner = bot.webhookCallback(options.webhook.path, {
            secretToken: options.webhook.secretToken,
          });
          const { secretToken } = options.webhook;
          return async (req, res) => {
            if (!running) {
              // Telegram retries a webhook that failed with 5xx, so nothing is lost before start.
              res.statusCode = 503;
              res.end();
              return;
            }
            const update = req.body;
            // Only a genuine update is kept; telegraf answers the rest (403, 415).
            if (
              update &&
              typeof update.update_id === 'number' &&
              sameSecret(String(req.headers['x-telegram-bot-api-secret-token'] ?? ''), secretToken)
            ) {
              const fresh = await keep(update).catch((error: unknown) => {
                logger.error(
                  { error: describeError(error) },
                  'could not keep a Telegram update; asking for it again',
                );
                return undefined;
              });
              if (fresh !== true) {
                // 5xx: Telegram sends it again. 200 for one kept before: it is handled, or will be.
                res.statusCode = fresh === undefined ? 503 : 200;
                res.end();
                return;
              }
            }
            await inner(req, res);
          };
        })()
      : undefined,

    async start(handler) {
      if (running) return;
      inbound.attach(handler);
      try {
        // Fetched up front so that start() fails on a bad token; telegraf needs it to route updates.
        bot.botInfo = await bot.telegram.getMe();
        // getUpdates is refused while a webhook is set, so polling mode takes over from one. If this
        // fails, polling still starts: a webhook left behind shows as a 409 there, with backoff.
        if (!options.webhook) {
          await bot.telegram.deleteWebhook().catch((error: unknown) => {
            logger.warn({ error: redact(describeError(error)) }, 'deleteWebhook failed; polling anyway');
          });
        } else if (options.webhook.url !== undefined) {
          await bot.telegram.setWebhook(options.webhook.url, {
            secret_token: options.webhook.secretToken,
            allowed_updates: ['message', 'callback_query'],
          });
        }
      } catch (error) {
        throw toChannelSendError(error, redact);
      }
      // Updates a process died with: handed over before any new one, so each chat keeps its order.
      const pending = (await options.journal?.pending()) ?? [];
      for (const update of pending) void bot.handleUpdate(update);
      if (pending.length > 0)
        logger.info({ updates: pending.length }, 'handling updates left over from the last run');
      running = true;
      logger.info(
        { username: bot.botInfo.username, mode: options.webhook ? 'webhook' : 'polling' },
        'telegram started',
      );
      registerCommands();
      if (options.webhook) return;
      polling = startPolling({
        telegram: bot.telegram,
        handle: async (update) => {
          if (await keep(update)) await bot.handleUpdate(update);
        },
        allowedUpdates: ['message', 'callback_query'],
        logger,
        redact,
        ...options.polling,
        ...(options.onError ? { onError: options.onError } : {}),
        // Outbox rows then wait for a restart instead of failing against a dead token.
        onGiveUp: () => {
          running = false;
        },
      });
    },

    async stop() {
      if (!running && !polling) return;
      running = false;
      const stopping = polling;
      polling = undefined;
      await stopping?.stop();
      await Promise.allSettled([...sideCalls]);
      inbound.detach();
    },

    prepare(chatId, message) {
      let parts: OutboundMessage[];
      try {
        parts = splitMessage(message);
      } catch (error) {
        logger.warn({ chatId, error: describeError(error) }, 'message refused before sending');
        throw error;
      }
      if (parts.length > 1) {
        logger.info(
          { chatId, length: message.text.length, limit: MAX_MESSAGE_TEXT, parts: parts.length },
          'message text exceeds Telegram’s limit: sent as several messages',
        );
      }
      return parts;
    },

    health() {
      if (polling) return polling.health();
      return running ? { status: 'ok' } : { status: 'stopped', reason: 'not started' };
    },

    async send(chatId, message) {
      if (!fitsOneMessage(message.text)) {
        // Only reached when a caller skips `prepare`; never sent to fail at Telegram.
        const refused = new ChannelSendError(
          `message text of ${message.text.trim().length} characters is outside Telegram’s 1–${MAX_MESSAGE_TEXT}; not sent`,
          false,
        );
        logger.warn({ chatId, error: refused.message }, 'message refused before sending');
        throw refused;
      }
      const markup = renderKeyboard(message, {
        chatId,
        codec,
        shareContactLabel: phrases.shareContactButton(languages.get(chatId)),
        replyKeyboardShown: replyKeyboards.has(chatId),
      });
      let sent: Message.TextMessage;
      try {
        sent = await bot.telegram.sendMessage(chatId, message.text, markup ? { reply_markup: markup } : {});
      } catch (error) {
        throw toChannelSendError(error, redact);
      }
      if (message.askContact || message.options?.length) {
        supersede(chatId, sent.message_id, !message.askContact);
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

    typing(chatId) {
      // The Bot API shows it for 5 s or until the next message; callers repeat it while waiting.
      if (running) sideCall('typing', () => bot.telegram.sendChatAction(chatId, 'typing'));
    },
  };
}
