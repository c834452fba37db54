/**
 * The `channels` part: the messengers clients write on. Built early (the dialogues send
 * through them), started after the HTTP server (the playground's chats and Telegram's webhook
 * come in through it), each channel stopped in reverse so inbound ends before the work it feeds.
 *
 * @module
 */
import { dirname } from 'node:path';
import type { ChannelAdapter, InboundMessage } from '../channels/channel.js';
import { type ConsoleChatOptions, createConsoleChannel } from '../channels/console.js';
import type { TelegramChannel } from '../channels/telegram.js';
import type { UpdateJournal } from '../channels/telegram-journal.js';
import { telegramFromEnv } from '../channels/telegram-setup.js';
import {
  createWhatsAppChannel,
  type WhatsAppChannel,
  type WhatsAppClientLike,
} from '../channels/whatsapp.js';
import type { Env } from '../config/env.js';
import type { Language } from '../dialogues/registry.js';
import type { ChatChannel } from '../domain/channels.js';
import type { Logger } from '../log.js';
import { botT } from '../templates/i18n.js';
import type { EngineErrorHandler } from './errors.js';
import type { Part } from './lifecycle.js';

export type ChannelMap = Partial<Record<ChatChannel, ChannelAdapter>>;

export interface ChannelsPart extends Part {
  /** Every channel of this engine, by name (the playground's `web` joins once it is made). */
  readonly channels: ChannelMap;
  readonly telegram: TelegramChannel | undefined;
  readonly whatsapp: WhatsAppChannel | undefined;
  isRunning(name: ChatChannel): boolean;
  /** Where inbound messages go; set before the part starts. Its promise settles once handled. */
  onInbound?: (message: InboundMessage) => Promise<void>;
}

export interface ChannelsOptions {
  env: Env;
  logger: Logger;
  languageFor(code: string | undefined): Language;
  defaultLanguage(): Language;
  whatsappClient?: WhatsAppClientLike | undefined;
  consoleChat?: ConsoleChatOptions | undefined;
  /** Keeps Telegram updates until handled (the store's inbound ledger). */
  telegramJournal?: UpdateJournal;
  onError: EngineErrorHandler;
}

export function createChannelsPart(options: ChannelsOptions): ChannelsPart {
  const { env, logger, languageFor } = options;
  const channels: ChannelMap = {};
  const telegram = telegramFromEnv(
    env,
    logger,
    languageFor,
    (error, during) => options.onError({ part: 'telegram', error, during }),
    options.telegramJournal,
  );
  if (telegram) channels.telegram = telegram;
  const whatsapp =
    options.whatsappClient || env.whatsappEnabled
      ? createWhatsAppChannel({
          logger,
          dataPath: dirname(env.databasePath),
          ...(env.chromiumPath ? { chromiumPath: env.chromiumPath } : {}),
          ...(options.whatsappClient ? { client: options.whatsappClient } : {}),
          phrases: { menuHint: () => botT(options.defaultLanguage())('common.menuHint') },
        })
      : undefined;
  if (whatsapp) channels.whatsapp = whatsapp;
  if (options.consoleChat) {
    channels.console = createConsoleChannel({
      ...options.consoleChat,
      logger,
      phrases: {
        menuHint: (code) => botT(languageFor(code))('common.menuHint'),
        contactHint: (code) => botT(languageFor(code))('common.typePhoneHint'),
      },
    });
  }
  const started: ChannelAdapter[] = [];
  // Telegram first, the console last: the order they were always started in.
  const order: ChatChannel[] = ['telegram', 'whatsapp', 'web', 'console'];

  const part: ChannelsPart = {
    name: 'channels',
    channels,
    telegram,
    whatsapp,
    isRunning: (name) => channels[name]?.isRunning() ?? false,
    async start() {
      const onInbound = part.onInbound;
      if (!onInbound) throw new Error('the channels part has no inbound handler');
      try {
        for (const name of order) {
          const channel = channels[name];
          if (!channel) continue;
          // WhatsApp logs in in the background (a QR code on first start); until then it is skipped.
          await channel.start(onInbound);
          started.push(channel);
          if (name === 'telegram')
            logger.info(env.telegramWebhookUrl ? 'Telegram: webhook mode' : 'Telegram: long polling');
        }
      } catch (error) {
        await part.stop();
        throw error;
      }
    },
    async stop() {
      for (const channel of started.splice(0).reverse()) await channel.stop();
    },
  };
  return part;
}
