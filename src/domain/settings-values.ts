/**
 * What the settings schema (`settings.ts`) is made of: the value sets it names and the field
 * builders, each carrying the one message a user needs when a value is wrong.
 *
 * @module
 */
import { z } from 'zod';
import { DURATION_HINT, parseDuration } from './duration.js';
import { normalizePhone } from './phone.js';

export const LANGUAGES = ['ru', 'uk', 'en'] as const;
export const TEMPLATE_KINDS = [
  'new-record',
  'reminder',
  'record-changed',
  'record-cancelled',
  'feedback',
  'birthday',
] as const;
export const TASK_STATUSES = ['confirmed', 'came', 'no-show', 'waiting', 'deleted'] as const;

export type Language = (typeof LANGUAGES)[number];

/** A language code (Telegram's `language_code`, a stored one) if the bot speaks it, else undefined. */
export function asLanguage(code: string | null | undefined): Language | undefined {
  return (LANGUAGES as readonly string[]).includes(code ?? '') ? (code as Language) : undefined;
}
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A reminder without an offset is sent this long before the visit. */
export const DEFAULT_REMINDER_OFFSET = '24h';

// === Field builders: each carries the one message a user needs, whatever went wrong.
//
// Numbers and booleans are strict: `"3"` or `"yes"` is refused (with a hint) rather than coerced,
// so a value always reads back exactly as it was meant. The one exception is a phone number,
// which YAML turns into a number when written without quotes: accepting that is harmless.

export const quoted = (values: readonly string[]): string => values.map((value) => `"${value}"`).join(', ');

export const bool = () => z.boolean({ error: 'must be true or false' });
export const text = () => z.string({ error: 'must be text' });
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${quoted(values)}` });

export function wholeNumber(min: number, max: number, message: string) {
  return z
    .number({ error: message })
    .int({ error: message })
    .min(min, { error: message })
    .max(max, { error: message });
}

export const altegioId = (what: string) =>
  wholeNumber(1, Number.MAX_SAFE_INTEGER, `must be a positive whole number: the ${what} id in Altegio`);

/** `positive`: for menus, where 0s would close the menu before anyone could answer. */
export function duration(options: { positive?: boolean } = {}) {
  return z.string({ error: `${DURATION_HINT}, written as text with its unit` }).superRefine((value, ctx) => {
    const result = parseDuration(value);
    if (!result.ok) ctx.addIssue({ code: 'custom', message: result.reason });
    else if (options.positive && result.ms === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be longer than 0s: a menu that closes at once cannot be answered',
      });
    }
  });
}

export const PHONE_HINT = 'must be a phone number with country code, e.g. "+7 916 123-45-67"';
export const phone = z.union([z.string(), z.number()], { error: PHONE_HINT }).transform((raw, ctx) => {
  const normalized = normalizePhone(raw);
  if (normalized === null) {
    ctx.addIssue({ code: 'custom', message: PHONE_HINT });
    return z.NEVER;
  }
  // Stored normalised (digits, country code first) so every consumer compares like with like.
  return normalized;
});

export function isTimeZone(value: string): boolean {
  if (value === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const link = text().refine((value) => value === '' || /^https?:\/\/\S+$/.test(value), {
  error: 'must be a link starting with https:// (or http://), or empty',
});
