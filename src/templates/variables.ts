/**
 * i18next for the values of system variables (`locales/<lng>/variables.json`): weekday and month
 * names, the date layout, list separators, and the option labels of the reminder and feedback
 * menus. It is a namespace of its own, apart from the bot's phrases, because these values follow a
 * notification template's `language`, not the language of the chat.
 *
 * @module
 */
import type { i18n, TFunction } from 'i18next';
import en from '../../locales/en/variables.json' with { type: 'json' };
import ru from '../../locales/ru/variables.json' with { type: 'json' };
import uk from '../../locales/uk/variables.json' with { type: 'json' };
import { CHOICE } from '../../machines/reminder/menus.js';
import { RATINGS } from '../domain/feedback.js';
import type { Language } from '../domain/settings.js';
import { createI18n } from './i18n.js';

/** The namespace of system-variable values. */
export const VARIABLES_NAMESPACE = 'variables';

/** The bundled resources, per language (also what the locale tests compare). */
export const VARIABLE_RESOURCES: Readonly<Record<Language, Record<string, unknown>>> = { en, ru, uk };

/** A new instance with the values of system variables. */
export function createVariablesI18n(): i18n {
  return createI18n(VARIABLES_NAMESPACE, VARIABLE_RESOURCES);
}

let shared: i18n | undefined;

/** A translate function for variable values, bound to one language. */
export function variablesT(language: Language): TFunction {
  shared ??= createVariablesI18n();
  return shared.getFixedT(language);
}

/** Weekday keys in ISO order (1 = Monday), as date-fns' `i` token numbers them. */
export const WEEKDAY_KEYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

/** Month keys, January first. */
export const MONTH_KEYS = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
] as const;

/** A menu option as the channels lay it out (Telegram button, WhatsApp numbered line). */
export interface MenuOption {
  value: string;
  label: string;
}

/** A localised menu: a line to put under the template's text, and the options in their fixed order. */
export interface RenderedMenu {
  hint: string;
  options: MenuOption[];
}

/**
 * The option labels of the reminder (confirm/cancel) and feedback (ratings 1–5) menus, in the
 * template's language, for a channel that shows labels in that language rather than the chat's.
 *
 * The values and their order are the machines' contract, not a choice made here: WhatsApp
 * clients answer `1` to confirm and `2` to cancel, and a rating's value is its digit
 * (`machines/reminder/menus.ts`, `machines/feedback/menus.ts`).
 */
export function renderMenu(kind: 'reminder' | 'feedback', language: Language): RenderedMenu {
  const t = variablesT(language);
  if (kind === 'reminder') {
    return {
      hint: t('menu.confirmHint'),
      options: [
        { value: CHOICE.confirm, label: t('menu.confirm') },
        { value: CHOICE.cancel, label: t('menu.cancel') },
      ],
    };
  }
  return {
    hint: t('menu.ratingHint'),
    options: RATINGS.map((rating) => ({ value: String(rating), label: t(`menu.rating.${rating}`) })),
  };
}
