import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOOKING_PHRASE_KEYS, BOOKING_PLURAL_KEYS } from '../../machines/booking/index.js';
import type { ReplyMessage } from '../../machines/shared/events.js';
import type { Language } from '../../src/domain/settings.js';
import { BOT_RESOURCES, createBotI18n } from '../../src/templates/i18n.js';
import { formatDay, renderReply } from '../../src/templates/render-reply.js';
import {
  FULL_INPUT,
  type StartOptions,
  type Step,
  startBooking,
  TIMES,
} from '../machines/booking-harness.js';

const LANGUAGES: Language[] = ['en', 'ru', 'uk'];
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;
/** Keys the runtime and channels use outside the booking machine. */
const COMMON_KEYS = [
  'common.tryLater',
  'common.unknownButton',
  'common.menuExpired',
  'common.noActiveDialogue',
  'common.dialogueEndedByUpdate',
  'common.welcome',
  'booking.defaultClientName',
];

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

const flat = Object.fromEntries(LANGUAGES.map((lng) => [lng, flatten(BOT_RESOURCES[lng])])) as Record<
  Language,
  Map<string, string>
>;
const baseKeys = (lng: Language) =>
  new Set([...flat[lng].keys()].map((key) => key.replace(PLURAL_SUFFIX, '')));
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)/g)].map((match) => match[1]).sort();

describe('locales', () => {
  it('have the same keys in every language', () => {
    const en = [...baseKeys('en')].sort();
    expect(en.length).toBeGreaterThan(40);
    for (const lng of LANGUAGES) expect([...baseKeys(lng)].sort(), lng).toEqual(en);
  });

  it('give every plural key exactly the forms its language uses', () => {
    for (const lng of LANGUAGES) {
      const categories = new Intl.PluralRules(lng).resolvedOptions().pluralCategories.slice().sort();
      const plurals = new Map<string, string[]>();
      for (const key of flat[lng].keys()) {
        const match = PLURAL_SUFFIX.exec(key);
        if (!match?.[1]) continue;
        const base = key.replace(PLURAL_SUFFIX, '');
        plurals.set(base, [...(plurals.get(base) ?? []), match[1]]);
      }
      for (const key of BOOKING_PLURAL_KEYS) expect(plurals.has(key), `${lng} ${key}`).toBe(true);
      for (const [base, forms] of plurals) expect(forms.sort(), `${lng} ${base}`).toEqual(categories);
    }
  });

  it('use the same placeholders in every translation of a key, and no empty text', () => {
    for (const [key, text] of flat.en) {
      const base = key.replace(PLURAL_SUFFIX, '');
      const expected = placeholders(text);
      for (const lng of LANGUAGES) {
        for (const [other, translated] of flat[lng]) {
          if (other.replace(PLURAL_SUFFIX, '') !== base) continue;
          expect(translated.trim(), `${lng} ${other}`).not.toBe('');
          expect(placeholders(translated), `${lng} ${other}`).toEqual(expected);
        }
      }
    }
  });

  it('contain every phrase the booking machine can emit and the keys the runtime needs', () => {
    for (const lng of LANGUAGES) {
      const keys = baseKeys(lng);
      for (const key of [...BOOKING_PHRASE_KEYS, ...COMMON_KEYS])
        expect(keys.has(key), `${lng}: ${key}`).toBe(true);
    }
  });

  it('list every phrase key written in the machine sources', () => {
    const dir = join(import.meta.dirname, '../../machines');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.ts'),
    );
    const used = new Set<string>();
    for (const file of files) {
      const source = readFileSync(join(dir, file), 'utf8');
      for (const match of source.matchAll(/'((?:booking|common)\.[A-Za-z.]+)'/g))
        used.add(match[1] as string);
    }
    expect(used.size).toBeGreaterThan(30);
    const listed = new Set<string>(BOOKING_PHRASE_KEYS);
    expect([...used].filter((key) => !listed.has(key))).toEqual([]);
  });
});

describe('renderReply', () => {
  /** Routes that together make the machine say every kind of thing it says on the way to a booking. */
  const routes: Array<{ options: StartOptions; steps: Step[] }> = [
    {
      options: {},
      steps: [
        'branch:2',
        { text: 'hello' },
        'svc:11',
        'staff:5',
        'date:2026-05-01',
        'time:10:00',
        { text: 'x' },
        { text: 'Ivanova Anna Sergeevna' },
        { text: 'call me' },
        { text: '+79161234567' },
        'confirm',
      ],
    },
    {
      options: {
        input: { askFullName: false, phone: '79990001122' },
        altegio: { createBooking: async (request) => ({ recordId: 1, datetime: request.datetime }) },
      },
      steps: ['branch:1', 'svc:12', 'staff:0', 'date:2026-05-02', 'time:12:30', 'phone:linked', 'confirm'],
    },
    {
      options: { altegio: { createBooking: () => Promise.reject({ kind: 'slot-taken' }) } },
      steps: [
        'branch:1',
        'svc:11',
        'staff:5',
        'date:2026-05-01',
        'time:10:00',
        { text: 'Ab Cd' },
        { text: '+79161234567' },
        'confirm',
      ],
    },
  ];

  it('renders everything the machine says on the way in every language, with nothing left unfilled', async () => {
    const replies: ReplyMessage[] = [];
    for (const { options, steps } of routes) {
      const bot = await startBooking(options);
      await bot.run(steps);
      replies.push(...bot.replies);
    }
    expect(replies.length).toBeGreaterThan(25);
    const missing: string[] = [];
    for (const lng of LANGUAGES) {
      for (const reply of replies) {
        const rendered = renderReply(reply, lng, { onMissing: (key) => missing.push(`${lng}:${key}`) });
        for (const text of [rendered.text, ...(rendered.options ?? []).map((option) => option.label)]) {
          expect(text, `${lng} ${reply.text.key}`).not.toMatch(/\{\{|\}\}|^(booking|common)\./);
          expect(text.trim()).not.toBe('');
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it.each(LANGUAGES)('renders the success message in %s with local date, time and address', async (lng) => {
    const bot = await startBooking({ input: { ...FULL_INPUT, askFullName: false } });
    await bot.run([
      'branch:2',
      'svc:11',
      'staff:5',
      'date:2026-05-01',
      'time:15:00',
      { text: '+79161234567' },
      'confirm',
    ]);
    expect(bot.last.text.key).toBe('booking.done');
    const { text, options } = renderReply(bot.last, lng);
    expect(options).toBeUndefined();
    expect(text).not.toContain('{{');
    for (const part of [
      'Riverside',
      'Haircut',
      'Anna',
      '15:00',
      '5 River Road',
      formatDay('2026-05-01', lng),
    ]) {
      expect(text).toContain(part);
    }
    expect(TIMES.map((slot) => slot.time)).toContain('15:00');
  });

  it('formats a day with its weekday in the chat language', () => {
    expect(formatDay('2026-05-01', 'en')).toBe('Fri 1 May');
    expect(formatDay('2026-05-01', 'ru')).toBe('пт, 1 мая');
    expect(formatDay('2026-05-01', 'uk')).toBe('пт, 1 травня');
    expect(formatDay('not a day', 'en')).toBe('not a day');
    // A calendar day stays itself in any process zone.
    expect(formatDay('2026-12-31', 'en')).toBe('Thu 31 December');
  });

  it('uses the right Russian and Ukrainian plural forms', () => {
    const render = (count: number, lng: Language) =>
      renderReply({ text: { key: 'booking.time.ask', params: { count, date: '2026-05-01' } } }, lng).text;
    expect(render(1, 'ru')).toContain('1 свободное окно');
    expect(render(2, 'ru')).toContain('2 свободных окна');
    expect(render(5, 'ru')).toContain('5 свободных окон');
    expect(render(21, 'ru')).toContain('21 свободное окно');
    expect(render(22, 'uk')).toContain('22 вільні віконця');
    expect(render(11, 'uk')).toContain('11 вільних віконець');
    expect(render(1, 'en')).toContain('1 free time.');
    expect(render(3, 'en')).toContain('3 free times.');
  });

  it('keeps data labels as they are and does not HTML-escape values', () => {
    const rendered = renderReply(
      {
        text: { key: 'booking.service.optionPrice', params: { name: 'Cut & <style>', price: '1500' } },
        options: [
          { value: 'svc:1', label: 'Tom & Jerry' },
          { value: 'back', label: { key: 'booking.option.back' } },
        ],
        askContact: true,
      },
      'ru',
    );
    expect(rendered).toEqual({
      text: 'Cut & <style> · 1500',
      options: [
        { value: 'svc:1', label: 'Tom & Jerry' },
        { value: 'back', label: '◀ Назад' },
      ],
      askContact: true,
    });
  });

  it('never shows a raw key: a missing phrase is reported and replaced by "try later"', () => {
    const missing: string[] = [];
    const rendered = renderReply({ text: { key: 'booking.noSuchPhrase' } }, 'uk', {
      onMissing: (key, lng) => missing.push(`${lng}:${key}`),
    });
    expect(missing).toEqual(['uk:booking.noSuchPhrase']);
    expect(rendered.text).toBe(flat.uk.get('common.tryLater'));
  });

  it('uses a private i18next instance per call site', () => {
    const a = createBotI18n();
    const b = createBotI18n();
    void a.changeLanguage('ru');
    expect(b.language).toBe('en');
    expect(a.t('booking.cancelled', { lng: 'uk' })).toBe(flat.uk.get('booking.cancelled'));
  });
});
