import { webChatStyle } from '../channels/web.js';
import type { ChatChannel } from '../domain/channels.js';
import type { Settings } from '../domain/settings.js';
import type { Conversation, ConversationsPort } from '../store/index.js';

export type Recipient =
  | { found: true; channel: ChatChannel; chatId: string; phone: string; note: string }
  | { found: false; reason: string };

/**
 * Where a client's notification goes: the first channel of `general.channelPriority` that is
 * running and knows the phone (WhatsApp: every phone is a chat; Telegram: a chat that shared this
 * phone), skipping chats the messenger reported unreachable (the client blocked the bot). In test mode everything goes to the admin's phone instead. The note and reason say why,
 * for the delivery log.
 */
export async function resolveRecipient(
  clientPhone: string,
  settings: Settings,
  conversations: Pick<ConversationsPort, 'findByPhone' | 'byChat'>,
  isRunning: (channel: ChatChannel) => boolean,
): Promise<Recipient> {
  const testMode = settings.general.testMode;
  const phone = testMode ? settings.general.adminPhone : clientPhone;
  if (!phone) return { found: false, reason: 'test mode is on but general.adminPhone is not set' };
  if (isRunning('web')) {
    const panes = (await conversations.findByPhone(phone)).filter(
      (conversation) => conversation.channel === 'web',
    );
    for (const channel of settings.general.channelPriority) {
      const pane = panes.find((conversation) => webChatStyle(conversation.chatId) === channel);
      if (pane) {
        const note = notes(testMode, [`the playground's ${channel} pane`]);
        return { found: true, channel: 'web', chatId: pane.chatId, phone, note };
      }
    }
  }
  const skipped: string[] = [];
  for (const channel of settings.general.channelPriority) {
    if (!isRunning(channel)) {
      skipped.push(`${channel} is not running`);
      continue;
    }
    if (channel === 'whatsapp') {
      const chatId = `${phone}@c.us`;
      const known = await conversations.byChat(channel, chatId);
      if (known?.unreachableAt != null) {
        skipped.push(unreachable(known));
        continue;
      }
      return { found: true, channel, chatId, phone, note: notes(testMode, skipped) };
    }
    const chats = (await conversations.findByPhone(phone)).filter(
      (conversation) => conversation.channel === channel,
    );
    const chat = chats.find((conversation) => conversation.unreachableAt == null);
    if (chat) return { found: true, channel, chatId: chat.chatId, phone, note: notes(testMode, skipped) };
    const blocked = chats[0];
    skipped.push(blocked ? unreachable(blocked) : `no ${channel} chat has shared this phone`);
  }
  return {
    found: false,
    reason: `no channel reaches the client: ${skipped.join('; ') || 'no channel configured'}`,
  };
}

function notes(testMode: boolean, skipped: string[]): string {
  return [testMode ? 'test mode: sent to the admin phone' : '', ...skipped].filter(Boolean).join('; ');
}

function unreachable(chat: Conversation): string {
  const since = new Date(chat.unreachableAt ?? 0).toISOString();
  // A WhatsApp chat id is the phone number, which stays out of what may reach a log.
  const which =
    chat.channel === 'whatsapp' ? 'the whatsapp chat of this phone' : `${chat.channel} chat ${chat.chatId}`;
  return `${which} is unreachable since ${since} (${chat.unreachableReason ?? 'refused by the messenger'})`;
}
