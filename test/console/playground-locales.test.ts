import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { consoleT } from '../../src/console/i18n.js';
import { LANGUAGES } from '../../src/domain/settings.js';

/** The controls answer with phrase keys (`key: 'playground.result.…'`), which `t('…')` scans miss. */
describe('playground control answers', () => {
  it('are phrases of console.json in every language', () => {
    const source = readFileSync(new URL('../../src/console/playground/controls.ts', import.meta.url), 'utf8');
    const keys = [...source.matchAll(/\bkey: '([\w.]+)'/g)].map((match) => match[1] as string);
    expect(keys.length).toBeGreaterThan(8);
    for (const language of LANGUAGES) {
      const t = consoleT(language);
      // A missing key comes back as the key itself.
      expect(
        keys.filter((key) => t(key) === key),
        language,
      ).toEqual([]);
    }
  });
});
