import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSOLE_RESOURCES } from '../../src/console/i18n.js';
import { CONSOLE_NAV, SETTINGS_SECTIONS } from '../../src/console/layout.js';
import { LANGUAGES, TASK_STATUSES, TEMPLATE_KINDS } from '../../src/domain/settings.js';
import { TEMPLATE_VARIABLES } from '../../src/domain/template-variables.js';
import { DELIVERY_DECISIONS, TASK_KINDS } from '../../src/store/schema.js';
import { flattenLocale } from '../helpers/flatten-locale.js';

const flat = Object.fromEntries(LANGUAGES.map((lng) => [lng, flattenLocale(CONSOLE_RESOURCES[lng])]));
const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

/** Every literal `t('key')` in the console's code. */
function keysInCode(): string[] {
  const root = new URL('../../src/console/', import.meta.url).pathname;
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const keys = new Set<string>();
  for (const file of files) {
    const source = readFileSync(join(root, file), 'utf8');
    for (const match of source.matchAll(/\bt\(\s*'([a-zA-Z][\w.-]*)'/g)) keys.add(match[1] as string);
  }
  return [...keys];
}

/** Keys the code builds from lists (sections, kinds, statuses, …). */
function builtKeys(): string[] {
  const fields = {
    records: [
      'confirmMenuTtl',
      'cancelNotLaterThan',
      'groupingWindow',
      'useWidgetServiceNames',
      'loadOfflineServices',
      'protectPrepaid',
    ],
    branches: ['bookingLink', 'reviewLink', 'address'],
  };
  const navLabels = (items: typeof CONSOLE_NAV): string[] =>
    items.flatMap((item) => [item.label, ...navLabels(item.children ?? [])]);
  return [
    ...navLabels(CONSOLE_NAV),
    ...SETTINGS_SECTIONS.flatMap((s) => [`settings.${s}.title`, `settings.${s}.intro`]),
    ...Object.entries(fields).flatMap(([section, names]) =>
      names.flatMap((name) => [`settings.${section}.${name}.label`, `settings.${section}.${name}.help`]),
    ),
    ...LANGUAGES.map((lng) => `languages.${lng}`),
    ...TEMPLATE_KINDS.map((kind) => `templates.kinds.${kind}`),
    ...TASK_STATUSES.map((status) => `taskStatuses.${status}`),
    ...TASK_KINDS.map((kind) => `tasks.kinds.${kind}`),
    ...DELIVERY_DECISIONS.map((decision) => `deliveries.decisions.${decision}`),
    ...TEMPLATE_VARIABLES.map((name) => `variables.${name}`),
    'sample.branch',
  ];
}

describe('console text (locales/*/console.json)', () => {
  it('has the same keys in en, ru and uk, none empty, with the same placeholders', () => {
    const en = flat.en as Map<string, string>;
    for (const lng of LANGUAGES) {
      const table = flat[lng] as Map<string, string>;
      expect([...table.keys()].sort(), lng).toEqual([...en.keys()].sort());
      for (const [key, text] of table) {
        expect(text.trim(), `${lng}: ${key}`).not.toBe('');
        expect(placeholders(text), `${lng}: ${key}`).toEqual(placeholders(en.get(key) ?? ''));
      }
    }
  });

  it('has every key the console uses, in every language', () => {
    const used = [...keysInCode(), ...builtKeys()];
    expect(used.length).toBeGreaterThan(100);
    for (const lng of LANGUAGES) {
      const missing = used.filter((key) => !(flat[lng] as Map<string, string>).has(key));
      expect(missing, lng).toEqual([]);
    }
  });

  it('is really translated: ru and uk differ from en and from each other', () => {
    for (const key of ['settings.chatbot.testMode.help', 'settings.records.cancellation.help', 'nav.tasks']) {
      expect(flat.ru?.get(key)).not.toBe(flat.en?.get(key));
      expect(flat.uk?.get(key)).not.toBe(flat.ru?.get(key));
    }
  });
});
