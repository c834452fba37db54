/**
 * What a client is told when their step has waited long for the Altegio budget: that the bot is
 * busy and their request is in line. Queued through the outbox like any reply, so it keeps the
 * chat's order and the channel's pace.
 *
 * @module
 */
import type { Clock } from '../domain/clock.js';
import type { OutboxPort } from '../store/ports.js';
import { botT } from '../templates/i18n.js';
import type { Language } from './registry.js';
import type { WaitingChat } from './waiting.js';

export function createBusyNotice(deps: {
  outbox: Pick<OutboxPort, 'enqueue'>;
  clock: Clock;
  languageFor(code: string | undefined): Language;
  /** The outbox worker's wake, so the notice goes out now rather than at the next poll. */
  onOutbox(): void;
}): (chat: WaitingChat) => Promise<void> {
  return async (chat) => {
    await deps.outbox.enqueue({
      channel: chat.channel,
      recipient: chat.chatId,
      payload: { text: botT(deps.languageFor(chat.languageCode))('common.busyInLine') },
      // One notice per long wait: a later wait of the same chat is a new notice.
      idempotencyKey: `busy:${chat.channel}:${chat.chatId}:${deps.clock.now()}`,
    });
    deps.onOutbox();
  };
}
