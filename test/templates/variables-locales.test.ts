import { describe, expect, it } from 'vitest';
import { RATINGS } from '../../src/domain/feedback.js';
import type { Language } from '../../src/domain/settings.js';
import { MONTH_KEYS, VARIABLE_RESOURCES, variablesT, WEEKDAY_KEYS } from '../../src/templates/variables.js';
import { flattenLocale } from '../helpers/flatten-locale.js';

const LANGUAGES: Language[] = ['en', 'ru', 'uk'];
const INTL_LOCALE: Record<Language, string> = { en: 'en-GB', ru: 'ru-RU', uk: 'uk-UA' };

const flat = Object.fromEntries(
  LANGUAGES.map((language) => [language, flattenLocale(VARIABLE_RESOURCES[language])]),
) as Record<Language, Map<string, string>>;

describe('variables locales', () => {
  it('have the same keys in every language, none empty', () => {
    const en = [...flat.en.keys()].sort();
    expect(en.length).toBeGreaterThan(25);
    for (const language of LANGUAGES) {
      expect([...flat[language].keys()].sort(), language).toEqual(en);
      for (const [key, value] of flat[language]) expect(value.trim(), `${language} ${key}`).not.toBe('');
    }
  });

  it('have every key the renderer asks for', () => {
    const needed = [
      'date',
      'list.separator',
      'fallback.clientName',
      'menu.confirmHint',
      'menu.confirm',
      'menu.cancel',
      'menu.ratingHint',
      ...WEEKDAY_KEYS.map((key) => `weekday.${key}`),
      ...MONTH_KEYS.map((key) => `month.${key}`),
      ...RATINGS.map((rating) => `menu.rating.${rating}`),
    ];
    for (const language of LANGUAGES) {
      for (const key of needed) expect(flat[language].has(key), `${language} ${key}`).toBe(true);
    }
  });

  it('name weekdays as the language does (ru and uk in lower case), Monday first', () => {
    for (const language of LANGUAGES) {
      const intl = new Intl.DateTimeFormat(INTL_LOCALE[language], { weekday: 'long', timeZone: 'UTC' });
      // 23 November 2026 is a Monday.
      const expected = WEEKDAY_KEYS.map((_, index) => intl.format(Date.UTC(2026, 10, 23 + index)));
      expect(
        WEEKDAY_KEYS.map((key) => flat[language].get(`weekday.${key}`)),
        language,
      ).toEqual(expected);
    }
    for (const language of ['ru', 'uk'] as const) {
      for (const key of WEEKDAY_KEYS) {
        const name = flat[language].get(`weekday.${key}`) ?? '';
        expect(name, `${language} ${key}`).toBe(name.toLowerCase());
      }
    }
  });

  it('lay a date out with only the parameters the renderer passes', () => {
    const allowed = new Set(['day', 'dd', 'month', 'mm', 'year']);
    for (const language of LANGUAGES) {
      const layout = flat[language].get('date') ?? '';
      const used = [...layout.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1]);
      expect(used.length, language).toBeGreaterThan(0);
      for (const name of used) expect(allowed.has(name ?? ''), `${language} {{${name}}}`).toBe(true);
    }
  });

  it('resolve through i18next in each language, never as a raw key', () => {
    for (const language of LANGUAGES) {
      const t = variablesT(language);
      for (const key of flat.en.keys()) {
        if (key === 'date') continue;
        expect(t(key), `${language} ${key}`).toBe(flat[language].get(key));
      }
    }
  });
});
