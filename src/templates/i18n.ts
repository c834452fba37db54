/**
 * i18next for the bot's own phrases (`locales/<lng>/bot.json`). One private instance, made with
 * `createInstance()` so nothing else in the process (or a library) can change its language under
 * us; callers pick the language per call, since every chat has its own.
 *
 * @module
 */
import { createInstance, type i18n, type TFunction } from 'i18next';
import en from '../../locales/en/bot.json' with { type: 'json' };
import ru from '../../locales/ru/bot.json' with { type: 'json' };
import uk from '../../locales/uk/bot.json' with { type: 'json' };
import type { Language } from '../domain/settings.js';

/** The namespace of the bot's phrases. */
export const BOT_NAMESPACE = 'bot';

/** The bundled phrase resources, per language (also what the locale tests compare). */
export const BOT_RESOURCES: Readonly<Record<Language, Record<string, unknown>>> = { en, ru, uk };

/**
 * A new, initialised private instance holding one namespace in all three languages. Private (not
 * the global `i18next`) so nothing else in the process can switch its language between two
 * renders; English is the fallback so that a phrase missing in one translation still reaches the
 * client in some language.
 */
export function createI18n(
  namespace: string,
  resources: Readonly<Record<Language, Record<string, unknown>>>,
): i18n {
  const instance = createInstance();
  // Resources are in memory and `initAsync: false` makes init finish before it returns, so the
  // promise carries nothing worth awaiting.
  void instance.init({
    initAsync: false,
    lng: 'en',
    fallbackLng: 'en',
    supportedLngs: ['en', 'ru', 'uk'],
    ns: [namespace],
    defaultNS: namespace,
    resources: {
      en: { [namespace]: resources.en },
      ru: { [namespace]: resources.ru },
      uk: { [namespace]: resources.uk },
    },
    // Messages are plain text for messengers, not HTML: escaping would show `&amp;` to clients.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return instance;
}

/** A new instance with the bot's phrases. */
export function createBotI18n(): i18n {
  return createI18n(BOT_NAMESPACE, BOT_RESOURCES);
}

let shared: i18n | undefined;

/** The process-wide instance, made on first use. */
export function botI18n(): i18n {
  shared ??= createBotI18n();
  return shared;
}

/** A translate function bound to one language. */
export function botT(language: Language): TFunction {
  return botI18n().getFixedT(language);
}
