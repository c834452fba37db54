/**
 * What every dialogue machine hears and says. Channel adapters translate platform updates into
 * these events and render the emitted replies; machines never see a platform type, a language or
 * a clock.
 */

/** Inbound events, normalised by the channel adapter. */
export type UserEvent =
  | { type: 'user.text'; text: string }
  | { type: 'user.choice'; value: string }
  | { type: 'user.contact'; phone: string }
  | { type: 'user.command'; name: 'start' | 'book' | 'cancel' | 'back' };

/**
 * A phrase to be translated by the runtime in the conversation's language (`locales/<lng>/bot.json`).
 * Machines name phrases instead of holding text, so one machine serves every language.
 */
export interface Phrase {
  key: string;
  /**
   * Interpolated into the text. By convention a `date` param holds a calendar day `YYYY-MM-DD`
   * (branch-local), which the renderer shows with weekday in the chat's language; `count` selects
   * plural forms.
   */
  params?: Record<string, string | number>;
}

/** One option of a menu: Telegram shows a button, WhatsApp a numbered line. */
export interface ReplyOption {
  /** Short and stable (it travels in Telegram's 64-byte callback data). */
  value: string;
  /** A phrase to translate, or data shown as is (a service or staff name). */
  label: Phrase | string;
}

/** A channel-neutral message. */
export interface ReplyMessage {
  text: Phrase;
  options?: ReplyOption[];
  /** Ask the client to share their phone (Telegram's request_contact keyboard). */
  askContact?: boolean;
}

/** Intents a machine emits; the runtime turns them into outbox rows. */
export type EmittedEvent = { type: 'reply'; message: ReplyMessage };
