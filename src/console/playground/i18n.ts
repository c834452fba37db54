/**
 * The playground page's own text (`locales/<lng>/playground.json`), in a private i18next instance
 * like the bot's phrases. The page's language is `?lang=`, else the browser's first language the
 * console speaks, else `variables.language`.
 */
import type { TFunction } from 'i18next';
import en from '../../../locales/en/playground.json' with { type: 'json' };
import ru from '../../../locales/ru/playground.json' with { type: 'json' };
import uk from '../../../locales/uk/playground.json' with { type: 'json' };
import { asLanguage, LANGUAGES, type Language } from '../../domain/settings.js';
import { createI18n } from '../../templates/i18n.js';

/** The bundled page text per language (also what the locale test compares). */
export const PLAYGROUND_RESOURCES: Readonly<Record<Language, Record<string, unknown>>> = { en, ru, uk };

const instance = createI18n('playground', PLAYGROUND_RESOURCES);

/** The page text in one language. */
export function playgroundT(language: Language): TFunction {
  return instance.getFixedT(language);
}

/** `?lang=uk`, else the first of `Accept-Language` the page speaks, else the fallback. */
export function pageLanguage(
  query: string | undefined,
  acceptLanguage: string | undefined,
  fallback: Language,
): Language {
  const asked = asLanguage(query);
  if (asked) return asked;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const code = asLanguage(part.split(';')[0]?.trim().slice(0, 2).toLowerCase());
    if (code) return code;
  }
  return fallback;
}

export { LANGUAGES };
