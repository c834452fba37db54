/** The Telegram channel's options, phrases and public shape (see `telegram.ts`). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Update } from 'telegraf/types';
import type { Logger } from '../log.js';
import type { ChannelAdapter, ChannelHealth, OutboundMessage } from './channel.js';
import type { CallbackTokenStore } from './telegram-callback.js';
import type { UpdateJournal } from './telegram-journal.js';
import type { PollingOptions } from './telegram-polling.js';

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
  /** Answer to a press in a menu that a newer one has replaced. */
  staleButton(languageCode: string | undefined): string;
  /** Descriptions of the commands in the bot's menu (`undefined`: for every other language). */
  commands(languageCode: string | undefined): Record<(typeof MENU_COMMANDS)[number], string>;
}

/** The commands registered with `setMyCommands`, in menu order. */
export const MENU_COMMANDS = ['start', 'book', 'cancel'] as const;

export const DEFAULT_PHRASES: TelegramPhrases = {
  unknownButton: () => 'Sorry, this button is no longer valid.',
  shareContactButton: () => '📱 Share my phone number',
  contactRejected: () => 'Please share your own phone number with the button below.',
  staleButton: () => 'This menu has been replaced by a newer one.',
  commands: () => ({ start: 'Start', book: 'Book a visit', cancel: 'Cancel what is in progress' }),
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
  /**
   * Keeps each update until it is handled, so that none is lost when the process dies between
   * Telegram's acknowledgement and the step's commit (`telegram-journal.ts`). Without it, an
   * update in flight at a crash is lost.
   */
  journal?: UpdateJournal;
  /** Store for callback data too long to sign inline; in memory by default. */
  callbackStore?: CallbackTokenStore;
  /** Long-poll timeout and the backoff after a failed poll (see `telegram-polling.ts`). */
  polling?: Pick<PollingOptions, 'timeoutSeconds' | 'backoff'>;
  /** Languages the command menu is registered in, besides the default one. Default en, ru, uk. */
  commandLanguages?: readonly string[];
  /**
   * An update that failed, or polling that stopped with an error; the error's text has the
   * token redacted. Default: logged.
   */
  onError?(error: Error, during: string): void;
}

/** A Node request handler for Telegram's webhook calls (telegraf's, wrapped). */
export type TelegramWebhookHandler = (
  req: IncomingMessage & { body?: Update },
  res: ServerResponse,
) => Promise<void>;

/** The Telegram {@link ChannelAdapter}, plus the webhook handler in webhook mode. */
export interface TelegramChannel extends ChannelAdapter {
  readonly name: 'telegram';
  /**
   * Present in webhook mode. Answers 403 for a wrong path, method or secret token and 503 before
   * `start()`. Behind fastify, pass the parsed body along and take over the reply:
   * `reply.hijack(); await handler(Object.assign(request.raw, { body: request.body }), reply.raw)`.
   */
  readonly webhookCallback: TelegramWebhookHandler | undefined;
  prepare(chatId: string, message: OutboundMessage): OutboundMessage[];
  health(): ChannelHealth;
}
