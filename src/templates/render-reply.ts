/**
 * Turns a machine's channel-neutral {@link ReplyMessage} into text in one language. Channels then
 * lay the options out their own way (inline keyboard, numbered list).
 *
 * @module
 */
import type { Phrase, ReplyMessage } from '../../machines/shared/events.js';
import type { Language } from '../domain/settings.js';
import { botI18n } from './i18n.js';

/** A reply ready for a channel: {@link OutboundMessage} without the channel's own fields. */
export interface RenderedReply {
  text: string;
  options?: Array<{ value: string; label: string }>;
  askContact?: boolean;
}

/** Optional hooks of {@link renderReply}. */
export interface RenderReplyOptions {
  /**
   * Called when a phrase key exists in no language; the client then gets `common.tryLater`
   * instead of a raw key. Log it: the locale tests should have caught it.
   */
  onMissing?: (key: string, language: Language) => void;
}

const INTL_LOCALE: Record<Language, string> = { en: 'en-GB', ru: 'ru-RU', uk: 'uk-UA' };
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateFormats = new Map<Language, Intl.DateTimeFormat>();

/**
 * `2026-05-01` → "Fri 1 May" / "пт, 1 мая" / "пт, 1 травня". The day is a calendar day (already
 * branch-local), so it is formatted in UTC to keep the process's own zone from shifting it.
 */
export function formatDay(date: string, language: Language): string {
  const match = ISO_DATE.exec(date);
  if (!match) return date;
  let format = dateFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(INTL_LOCALE[language], {
      weekday: 'short',
      day: 'numeric',
      month: 'long',
      timeZone: 'UTC',
    });
    dateFormats.set(language, format);
  }
  return format.format(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
}

/** Params as i18next gets them: a `date` holding `YYYY-MM-DD` becomes a localised day with weekday. */
function localiseParams(params: Phrase['params'], language: Language): Record<string, string | number> {
  if (!params) return {};
  const date = params.date;
  return typeof date === 'string' ? { ...params, date: formatDay(date, language) } : { ...params };
}

/**
 * Phrases already translated, per language, key and params. The bot's phrases are fixed for the
 * life of the process, and a dialogue step renders the same labels (Back, Cancel, the days of the
 * week) again and again: i18next's lookup and interpolation then cost more than the rest of a step.
 */
const translated = new Map<string, string | null>();
/** Beyond this many distinct phrases (client names in summaries), the memo starts afresh. */
const MEMO_LIMIT = 10_000;

/** Translates one phrase; `null` when the key exists in no language. */
export function translatePhrase(phrase: Phrase, language: Language): string | null {
  const memoKey = phrase.params
    ? `${language}\u0000${phrase.key}\u0000${JSON.stringify(phrase.params)}`
    : `${language}\u0000${phrase.key}`;
  const known = translated.get(memoKey);
  if (known !== undefined) return known;
  const i18n = botI18n();
  const options = { ...localiseParams(phrase.params, language), lng: language };
  const text = i18n.exists(phrase.key, options) ? i18n.t(phrase.key, options) : null;
  if (translated.size >= MEMO_LIMIT) translated.clear();
  translated.set(memoKey, text);
  return text;
}

/**
 * Renders a reply in `language`: phrase keys translated with their params, option labels that
 * are data (service or staff names) kept as they are.
 *
 * @example
 * ```ts
 * renderReply({ text: { key: 'booking.cancelled' } }, 'en'); // { text: 'Booking cancelled. …' }
 * ```
 */
export function renderReply(
  message: ReplyMessage,
  language: Language,
  options: RenderReplyOptions = {},
): RenderedReply {
  const render = (phrase: Phrase): string => {
    const text = translatePhrase(phrase, language);
    if (text !== null) return text;
    options.onMissing?.(phrase.key, language);
    return translatePhrase({ key: 'common.tryLater' }, language) ?? '…';
  };
  const rendered: RenderedReply = { text: render(message.text) };
  if (message.options) {
    rendered.options = message.options.map((option) => ({
      value: option.value,
      label: typeof option.label === 'string' ? option.label : render(option.label),
    }));
  }
  if (message.askContact) rendered.askContact = true;
  return rendered;
}
