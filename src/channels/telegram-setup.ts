/** The Telegram channel as the engine configures it from the environment and the bot's phrases. */
import { createHash } from 'node:crypto';
import type { Env } from '../config/env.js';
import type { Language } from '../domain/settings.js';
import type { Logger } from '../log.js';
import { botT } from '../templates/i18n.js';
import { createTelegramChannel, type TelegramChannel } from './telegram.js';
import type { UpdateJournal } from './telegram-journal.js';

/** The request path Telegram posts updates to in webhook mode (the HTTP contract). */
export const TELEGRAM_WEBHOOK_PATH = '/webhooks/telegram';

/** The channel, or undefined without `TELEGRAM_BOT_TOKEN`. `languageFor` maps `language_code`. */
export function telegramFromEnv(
  env: Env,
  logger: Logger,
  languageFor: (code: string | undefined) => Language,
  onError?: (error: Error, during: string) => void,
  journal?: UpdateJournal,
): TelegramChannel | undefined {
  const token = env.telegramBotToken;
  if (!token) return undefined;
  const t = (code: string | undefined) => botT(languageFor(code));
  return createTelegramChannel({
    token,
    apiRoot: env.telegramApiRoot,
    logger,
    ...(onError ? { onError } : {}),
    ...(journal ? { journal } : {}),
    // Derived from the token so that buttons sent before a restart still verify after it.
    secret: createHash('sha256').update(`callback-data:${token}`).digest('hex'),
    phrases: {
      unknownButton: (code) => t(code)('common.unknownButton'),
      shareContactButton: (code) => t(code)('common.shareContactButton'),
      contactRejected: (code) => t(code)('common.contactRejected'),
      staleButton: (code) => t(code)('common.staleButton'),
      commands: (code) => ({
        start: t(code)('commands.start'),
        book: t(code)('commands.book'),
        cancel: t(code)('commands.cancel'),
      }),
    },
    ...(env.telegramWebhookUrl
      ? {
          webhook: {
            path: TELEGRAM_WEBHOOK_PATH,
            secretToken: createHash('sha256').update(`webhook:${token}`).digest('hex'),
            url: `${env.telegramWebhookUrl.replace(/\/$/, '')}${TELEGRAM_WEBHOOK_PATH}`,
          },
        }
      : {}),
  });
}
