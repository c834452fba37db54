import type { Env } from './config/env.js';
import type { Settings } from './domain/settings.js';
import type { Logger } from './log.js';

/** One clear log line per part that is switched off, so a newcomer knows what to set. */
export function reportUnconfigured(
  env: Env,
  settings: Settings,
  logger: Logger,
  whatsappInjected: boolean,
): void {
  if (env.sandboxMode) {
    logger.warn('ALTEGIO_PARTNER_TOKEN is not set: running in sandbox mode against a fake salon');
  }
  if (!env.telegramBotToken) logger.warn('TELEGRAM_BOT_TOKEN is not set: Telegram is off');
  if (!env.whatsappEnabled && !whatsappInjected) logger.info('WHATSAPP_ENABLED is not 1: WhatsApp is off');
  if (!env.adminToken) logger.info('ADMIN_TOKEN is not set: the admin API and the web console are off');
  if (!env.sandboxMode && !env.webhookSecret) {
    logger.warn('WEBHOOK_SECRET is not set: Altegio webhooks are refused');
  }
  if (settings.branches.length === 0 && !env.sandboxMode) {
    logger.warn('no branches[] in the settings: no branch is served');
  }
}
