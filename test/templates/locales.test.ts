import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, createActor, fromPromise, SimulatedClock, waitFor } from 'xstate';
import { BOOKING_PHRASE_KEYS, BOOKING_PLURAL_KEYS } from '../../machines/booking/index.js';
import { FEEDBACK_PHRASE_KEYS, type FeedbackInput, feedbackMachine } from '../../machines/feedback/index.js';
import {
  REMINDER_PHRASE_KEYS,
  REMINDER_PLURAL_KEYS,
  type ReminderInput,
  reminderMachine,
} from '../../machines/reminder/index.js';
import type { ReplyMessage, UserEvent } from '../../machines/shared/events.js';
import type { SaveCommentRequest, SaveRatingRequest } from '../../src/domain/feedback.js';
import type {
  CancellationCheck,
  CancelVisitRequest,
  ConfirmVisitRequest,
} from '../../src/domain/reminder.js';
import type { Language } from '../../src/domain/settings.js';
import { BOT_RESOURCES, createBotI18n } from '../../src/templates/i18n.js';
import { formatDay, renderReply } from '../../src/templates/render-reply.js';
import { flattenLocale } from '../helpers/flatten-locale.js';
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
  'common.busyInLine',
  'common.unknownButton',
  'common.menuExpired',
  'common.noActiveDialogue',
  'common.dialogueEndedByUpdate',
  'common.welcome',
  'booking.defaultClientName',
];

const flat = Object.fromEntries(LANGUAGES.map((lng) => [lng, flattenLocale(BOT_RESOURCES[lng])])) as Record<
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
      for (const key of [...BOOKING_PLURAL_KEYS, ...REMINDER_PLURAL_KEYS])
        expect(plurals.has(key), `${lng} ${key}`).toBe(true);
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

  it('contain every phrase the reminder and feedback machines can emit', () => {
    for (const lng of LANGUAGES) {
      const keys = baseKeys(lng);
      for (const key of [...REMINDER_PHRASE_KEYS, ...FEEDBACK_PHRASE_KEYS])
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
      for (const match of source.matchAll(/'((?:booking|common|reminder|feedback)\.[A-Za-z.]+)'/g))
        used.add(match[1] as string);
    }
    expect(used.size).toBeGreaterThan(30 + REMINDER_PHRASE_KEYS.length + FEEDBACK_PHRASE_KEYS.length);
    const listed = new Set<string>([
      ...BOOKING_PHRASE_KEYS,
      ...REMINDER_PHRASE_KEYS,
      ...FEEDBACK_PHRASE_KEYS,
    ]);
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

describe('renderReply: reminders and feedback', () => {
  const HOUR = 3_600_000;
  const VISIT = '2026-05-01T15:00:00+03:00';
  const ISSUED_AT = Date.parse(VISIT) - 24 * HOUR;
  const REMINDER: ReminderInput = {
    dialogueId: 'r',
    text: 'Anna, see you tomorrow at 15:00',
    record: { companyId: 1, recordId: 2, datetime: VISIT, prepaid: false },
    confirmMenuTtlMs: 24 * HOUR,
    cancelNotLaterThanMs: 9 * HOUR,
    confirmation: 'status',
    confirmedColor: '#2ecc71',
    cancellation: 'delete',
    protectPrepaid: true,
    issuedAt: ISSUED_AT,
    retryDelayMs: 1000,
  };
  const FEEDBACK: FeedbackInput = {
    dialogueId: 'f',
    text: 'How was your visit?',
    record: { companyId: 1, recordId: 2 },
    menuTtlMs: 24 * HOUR,
    poorRatingAtMost: 3,
    reviewLink: 'https://example.com/review',
    createTaskOnPoorRating: true,
  };

  type Step = UserEvent | { wait: number };

  /** Runs a machine through `steps` with a simulated clock and returns every reply it emitted. */
  async function replies(
    machine: AnyStateMachine,
    input: ReminderInput | FeedbackInput,
    steps: Step[],
  ): Promise<ReplyMessage[]> {
    const clock = new SimulatedClock();
    const out: ReplyMessage[] = [];
    const actor = createActor(machine, { input, clock });
    actor.on('reply', (emitted: { message: ReplyMessage }) => out.push(emitted.message));
    const settle = () => waitFor(actor, (s) => s.status !== 'active' || !s.hasTag('busy'), { timeout: 1000 });
    actor.start();
    await settle();
    for (const step of steps) {
      if ('wait' in step) clock.increment(step.wait);
      else actor.send(step);
      await settle();
    }
    actor.stop();
    return out;
  }

  const choice = (value: string): UserEvent => ({ type: 'user.choice', value });
  const text = (value: string): UserEvent => ({ type: 'user.text', text: value });

  interface FakeReminder {
    record?: Partial<CancellationCheck['record']>;
    /** Runtime clock at the Cancel check, ms before the visit. */
    before?: number;
    checkFailsFirst?: boolean;
    writesFail?: boolean;
  }

  function reminder(fake: FakeReminder = {}) {
    let checks = 0;
    const write = async (): Promise<void> => {
      if (fake.writesFail) throw new Error('502');
    };
    return reminderMachine.provide({
      actors: {
        checkCancellation: fromPromise(async (): Promise<CancellationCheck> => {
          checks += 1;
          if (fake.checkFailsFirst && checks === 1) throw new Error('503');
          return {
            now: Date.parse(VISIT) - (fake.before ?? 24 * HOUR),
            record: { datetime: VISIT, prepaid: false, deleted: false, ...fake.record },
          };
        }),
        confirmVisit: fromPromise<void, ConfirmVisitRequest>(write),
        cancelVisit: fromPromise<void, CancelVisitRequest>(write),
      },
    });
  }

  /** The feedback machine with saves that succeed, except the first call of `failFirst`. */
  function feedback(failFirst?: 'saveRating' | 'saveComment') {
    let failed = false;
    const save = (name: 'saveRating' | 'saveComment') => async (): Promise<void> => {
      if (name === failFirst && !failed) {
        failed = true;
        throw new Error('busy');
      }
    };
    return feedbackMachine.provide({
      actors: {
        saveRating: fromPromise<void, SaveRatingRequest>(save('saveRating')),
        saveComment: fromPromise<void, SaveCommentRequest>(save('saveComment')),
      },
    });
  }

  it('renders everything the reminder and feedback machines say, in every language, with nothing unfilled', async () => {
    const all: ReplyMessage[] = [];
    all.push(...(await replies(reminder(), REMINDER, [text('hello'), choice('old'), choice('confirm')])));
    all.push(...(await replies(reminder(), REMINDER, [choice('cancel')])));
    all.push(...(await replies(reminder({ record: { prepaid: true } }), REMINDER, [choice('cancel')])));
    all.push(...(await replies(reminder({ record: { deleted: true } }), REMINDER, [choice('cancel')])));
    all.push(...(await replies(reminder({ checkFailsFirst: true }), REMINDER, [choice('cancel')])));
    all.push(
      ...(await replies(reminder({ writesFail: true }), REMINDER, [
        choice('confirm'),
        text('?'),
        { wait: 1000 },
      ])),
      ...(await replies(reminder({ writesFail: true }), REMINDER, [choice('cancel'), { wait: 1000 }])),
      ...(await replies(reminder(), REMINDER, [{ wait: 24 * HOUR }])),
      ...(await replies(reminder({ before: HOUR }), REMINDER, [choice('cancel')])),
      ...(await replies(
        reminder({ before: 10 * 60_000 }),
        { ...REMINDER, cancelNotLaterThanMs: 30 * 60_000 },
        [choice('cancel')],
      )),
    );
    all.push(...(await replies(feedback(), FEEDBACK, [text('great'), choice('9'), choice('5')])));
    all.push(...(await replies(feedback(), { ...FEEDBACK, reviewLink: undefined }, [choice('4')])));
    all.push(
      ...(await replies(feedback('saveRating'), FEEDBACK, [
        choice('2'),
        choice('2'),
        choice('1'),
        text(' '),
      ])),
      ...(await replies(feedback('saveComment'), FEEDBACK, [choice('1'), text('Late'), text('Late')])),
      ...(await replies(feedback(), FEEDBACK, [{ wait: 24 * HOUR }])),
    );

    const keys = new Set(all.map((reply) => reply.text.key));
    const expected = [...REMINDER_PHRASE_KEYS, ...FEEDBACK_PHRASE_KEYS].filter(
      (key) => !key.includes('.option.') && key !== 'reminder.pleaseWait' && key !== 'feedback.pleaseWait',
    );
    expect(expected.filter((key) => !keys.has(key))).toEqual([]);

    const missing: string[] = [];
    for (const lng of LANGUAGES) {
      for (const reply of all) {
        const rendered = renderReply(reply, lng, { onMissing: (key) => missing.push(`${lng}:${key}`) });
        for (const shown of [rendered.text, ...(rendered.options ?? []).map((option) => option.label)]) {
          expect(shown, `${lng} ${reply.text.key}`).not.toMatch(/\{\{|\}\}|^(reminder|feedback|common)\./);
          expect(shown.trim()).not.toBe('');
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('renders every reminder and feedback phrase (pleaseWait and options too) in every language', () => {
    const params = { text: 'T', date: '2026-05-01', time: '15:00', count: 2, link: 'https://x' };
    for (const lng of LANGUAGES) {
      for (const key of [...REMINDER_PHRASE_KEYS, ...FEEDBACK_PHRASE_KEYS]) {
        const shown = renderReply({ text: { key, params } }, lng).text;
        expect(shown, `${lng} ${key}`).not.toMatch(/\{\{|^(reminder|feedback|common)\./);
      }
    }
  });

  it.each(LANGUAGES)('passes the salon’s rendered template through untouched in %s', (lng) => {
    const template = 'Anna & Co <b>tomorrow</b>\n$t(common.tryLater) 100% – see you!';
    for (const key of ['reminder.message', 'feedback.request']) {
      expect(renderReply({ text: { key, params: { text: template } } }, lng).text).toBe(template);
    }
  });

  it('names the visit with its weekday in the chat language', () => {
    const confirmed = { text: { key: 'reminder.confirmed', params: { date: '2026-05-01', time: '15:00' } } };
    expect(renderReply(confirmed, 'en').text).toContain('Fri 1 May at 15:00');
    expect(renderReply(confirmed, 'ru').text).toContain('пт, 1 мая в 15:00');
    expect(renderReply(confirmed, 'uk').text).toContain('пт, 1 травня о 15:00');
  });

  it('uses the right Russian and Ukrainian plural forms for the cancellation limit', () => {
    const hours = (count: number, lng: Language) =>
      renderReply({ text: { key: 'reminder.cancel.tooLateHours', params: { count } } }, lng).text;
    const minutes = (count: number, lng: Language) =>
      renderReply({ text: { key: 'reminder.cancel.tooLateMinutes', params: { count } } }, lng).text;
    expect(hours(1, 'ru')).toContain('за 1 час до');
    expect(hours(3, 'ru')).toContain('за 3 часа до');
    expect(hours(9, 'ru')).toContain('за 9 часов до');
    expect(hours(21, 'ru')).toContain('за 21 час до');
    expect(hours(1, 'uk')).toContain('за 1 годину до');
    expect(hours(24, 'uk')).toContain('за 24 години до');
    expect(hours(12, 'uk')).toContain('за 12 годин до');
    expect(minutes(1, 'ru')).toContain('за 1 минуту до');
    expect(minutes(45, 'ru')).toContain('за 45 минут до');
    expect(minutes(2, 'uk')).toContain('за 2 хвилини до');
    expect(minutes(90, 'uk')).toContain('за 90 хвилин до');
    expect(hours(1, 'en')).toContain('1 hour before');
    expect(hours(9, 'en')).toContain('9 hours before');
    expect(minutes(30, 'en')).toContain('30 minutes before');
  });
});
