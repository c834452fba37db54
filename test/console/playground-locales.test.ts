import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAYGROUND_RESOURCES, pageLanguage, playgroundT } from '../../src/console/playground/i18n.js';
import type { Language } from '../../src/domain/settings.js';

const LANGUAGES: Language[] = ['en', 'ru', 'uk'];

function flatten(tree: Record<string, unknown>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of flatten(value as Record<string, unknown>, path)) out.set(k, v);
    } else throw new Error(`${path}: not a string`);
  }
  return out;
}

const flat = Object.fromEntries(
  LANGUAGES.map((language) => [language, flatten(PLAYGROUND_RESOURCES[language])]),
) as Record<Language, Map<string, string>>;
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)/g)].map((match) => match[1]).sort();

describe('playground locales', () => {
  it('have the same keys in every language, none empty, with the same placeholders', () => {
    const en = [...flat.en.keys()].sort();
    expect(en.length).toBeGreaterThan(30);
    for (const language of LANGUAGES) {
      expect([...flat[language].keys()].sort(), language).toEqual(en);
      for (const [key, value] of flat[language]) {
        expect(value.trim(), `${language} ${key}`).not.toBe('');
        expect(placeholders(value), `${language} ${key}`).toEqual(placeholders(flat.en.get(key) ?? ''));
      }
    }
  });

  it('hold every key the playground sources ask for', () => {
    const dir = join(import.meta.dirname, '../../src/console/playground');
    const used = new Set<string>();
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      // t('key'), t(`telegram.title`) and `key: 'result.…'` in the controls' answers.
      for (const match of source.matchAll(/\bt\(\s*'([A-Za-z.]+)'/g)) used.add(match[1] as string);
      for (const match of source.matchAll(/\bkey: '([A-Za-z.]+)'/g)) used.add(match[1] as string);
    }
    for (const style of ['telegram', 'whatsapp'])
      for (const k of ['title', 'hint']) used.add(`${style}.${k}`);
    expect(used.size).toBeGreaterThan(20);
    for (const language of LANGUAGES) {
      expect(
        [...used].filter((key) => !flat[language].has(key)),
        language,
      ).toEqual([]);
    }
  });

  it('speak the language asked for, else the browser’s, else the fallback', () => {
    expect(pageLanguage('uk', 'en-GB,en;q=0.9', 'ru')).toBe('uk');
    expect(pageLanguage(undefined, 'de-DE,en;q=0.8', 'ru')).toBe('en');
    expect(pageLanguage('xx', 'de-DE', 'ru')).toBe('ru');
    expect(playgroundT('uk')('controls.came')).toBe('Позначити, що я прийшов на візит');
  });
});
