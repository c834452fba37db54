/** How a channel-neutral menu looks in Telegram: an inline keyboard, or a reply keyboard. */
import type {
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  KeyboardButton,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
} from 'telegraf/types';
import { ChannelSendError, type OutboundMessage } from './channel.js';
import type { CallbackCodec } from './telegram-callback.js';

/** Telegram shows at most 100 inline buttons under a message. */
export const MAX_INLINE_BUTTONS = 100;
/** Labels up to this long sit two to a row (times, dates, Yes/No); longer ones get a row each. */
const SHORT_LABEL = 14;

export type TelegramMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove;

export interface KeyboardContext {
  chatId: string;
  codec: CallbackCodec;
  /** Label of the button that shares the phone, in the client's language. */
  shareContactLabel: string;
  /** A reply keyboard we showed may still be open in the client's app. */
  replyKeyboardShown: boolean;
}

/** The `reply_markup` for a message, if it needs one. */
export function renderKeyboard(
  message: OutboundMessage,
  context: KeyboardContext,
): TelegramMarkup | undefined {
  const options = message.options ?? [];
  if (message.askContact) {
    // One message can carry one keyboard: with a contact request, the menu's options (Back,
    // Cancel) join the reply keyboard and come back as text we map to choices.
    const contactButton: KeyboardButton = { text: context.shareContactLabel, request_contact: true };
    return {
      keyboard: [[contactButton], ...options.map((option) => [{ text: option.label }])],
      one_time_keyboard: true,
      resize_keyboard: true,
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
      callback_data: context.codec.encode(context.chatId, {
        value: option.value,
        ...(message.menuId === undefined ? {} : { menuId: message.menuId }),
      }),
    }));
    const perRow = options.every((option) => [...option.label].length <= SHORT_LABEL) ? 2 : 1;
    const rows: InlineKeyboardButton[][] = [];
    for (let i = 0; i < buttons.length; i += perRow) rows.push(buttons.slice(i, i + perRow));
    // An inline keyboard cannot also remove a reply keyboard; a one-time contact keyboard has
    // folded away by now anyway, and the next plain message removes it for good.
    return { inline_keyboard: rows };
  }
  if (context.replyKeyboardShown) return { remove_keyboard: true };
  return undefined;
}
