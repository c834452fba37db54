import type { ChatChannel } from '../domain/channels.js';
import type { Settings } from '../domain/settings.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import { botT } from '../templates/i18n.js';
import { resolveRecipient } from './recipients.js';

export interface AdminMessengerOptions {
  store: Store;
  settings: () => Settings;
  isRunning(channel: ChatChannel): boolean;
  logger: Logger;
}

/**
 * Messages for the salon's administrator (`general.adminPhone`), in `variables.language`. Queued
 * in the outbox with the caller's key, so it may be called inside a step's transaction and a
 * repeated step does not send twice. Without an admin phone or channel the message is logged, so
 * nothing the admin should know disappears silently.
 */
export function createAdminMessenger({ store, settings, isRunning, logger }: AdminMessengerOptions) {
  return async function tellAdmin(
    key: string,
    params: Record<string, string | number>,
    idempotencyKey: string,
  ): Promise<void> {
    const current = settings();
    const text = botT(current.variables.language)(key, params);
    const phone = current.general.adminPhone;
    if (!phone) {
      logger.warn({ ...params, message: text }, 'no general.adminPhone: the admin could not be told');
      return;
    }
    // Test mode redirects clients' messages; the admin's own messages go to the admin anyway.
    const direct = { ...current, general: { ...current.general, testMode: false } };
    const recipient = await resolveRecipient(phone, direct, store.conversations, isRunning);
    if (!recipient.found) {
      logger.warn({ ...params, reason: recipient.reason, message: text }, 'the admin could not be told');
      return;
    }
    await store.outbox.enqueue({
      channel: recipient.channel,
      recipient: recipient.chatId,
      payload: { text },
      idempotencyKey,
    });
  };
}

export type AdminMessenger = ReturnType<typeof createAdminMessenger>;
