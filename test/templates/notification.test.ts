import { afterEach, describe, expect, it } from 'vitest';
import type { AltegioRecord } from '../../src/altegio/schemas.js';
import { type Language, parseSettings, type Settings, type Template } from '../../src/domain/settings.js';
import {
  type NotificationBranch,
  type NotificationRecord,
  notificationRecordFrom,
  notificationVariables,
  renderNotification,
  serviceName,
} from '../../src/templates/notification.js';
import { renderMenu } from '../../src/templates/variables.js';

function settingsWith(input: Record<string, unknown> = {}): Settings {
  const result = parseSettings({
    branches: [
      {
        id: 7,
        address: 'Abay Ave 10, Almaty',
        bookingLink: 'https://n123.alteg.io',
        reviewLink: 'https://example.com/review/7',
      },
    ],
    ...input,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.settings;
}

const template = (text: string, language?: Language): Template =>
  language
    ? { kind: 'new-record', text, language, enabled: true }
    : { kind: 'new-record', text, enabled: true };

const ALMATY: NotificationBranch = { id: 7, title: 'Salon Dostyk', timezone: 'Asia/Almaty' };
const NEW_YORK: NotificationBranch = { id: 7, title: 'Salon Hudson', timezone: 'America/New_York' };

/** Wednesday 25 November 2026, 10:00 in Almaty (UTC+5 all year). */
const RECORD: NotificationRecord = {
  datetime: '2026-11-25T10:00:00+05:00',
  services: [{ id: 1, title: 'Стрижка' }],
  staff: ['Анна'],
  clientName: 'Ольга',
};

const VISIT = '{{date}} ({{weekday}}) {{time}}';

/** A new-record template of `text` rendered for RECORD at ALMATY, unless `over` says otherwise. */
function renderSample(
  text: string,
  language: Language | undefined,
  settings: Settings = settingsWith(),
  over: { branch?: NotificationBranch; record?: NotificationRecord } = {},
) {
  return renderNotification({
    template: template(text, language),
    settings,
    branch: over.branch ?? ALMATY,
    record: over.record ?? RECORD,
  });
}

function visit(record: NotificationRecord, language: Language, branch = ALMATY): string {
  return renderSample(VISIT, language, undefined, { branch, record }).text;
}

describe('renderNotification: languages', () => {
  it('shows the right weekday in a ru and a uk template for the same record, and in en', () => {
    expect(visit(RECORD, 'ru')).toBe('25.11.2026 (среда) 10:00');
    expect(visit(RECORD, 'uk')).toBe('25.11.2026 (середа) 10:00');
    expect(visit(RECORD, 'en')).toBe('25 Nov 2026 (Wednesday) 10:00');
  });

  it('names every weekday of a week correctly in each language', () => {
    const names: Record<Language, string[]> = { ru: [], uk: [], en: [] };
    for (let day = 23; day <= 29; day += 1) {
      for (const language of ['ru', 'uk', 'en'] as const) {
        const record = { ...RECORD, datetime: `2026-11-${day}T12:00:00+05:00` };
        const rendered = renderSample('{{weekday}}', language, undefined, { record });
        names[language].push(rendered.text);
      }
    }
    expect(names.ru).toEqual([
      'понедельник',
      'вторник',
      'среда',
      'четверг',
      'пятница',
      'суббота',
      'воскресенье',
    ]);
    expect(names.uk).toEqual(['понеділок', 'вівторок', 'середа', 'четвер', 'пʼятниця', 'субота', 'неділя']);
    expect(names.en).toEqual(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']);
  });

  it('uses variables.language for a template without its own language, and says which it used', () => {
    const settings = settingsWith({ variables: { language: 'uk' } });
    const rendered = renderSample('{{weekday}}', undefined, settings);
    expect(rendered).toEqual({ text: 'середа', language: 'uk', problems: [] });
    const own = renderSample('{{weekday}}', 'en', settings);
    expect(own.language).toBe('en');
  });

  it('renders a whole template with every variable', () => {
    const text =
      '{{client_name}}, {{branch_name}} (#{{branch_id}}, {{branch_address}}) ждёт вас {{date}} ({{weekday}}) в {{time}}: ' +
      '{{services}}, мастер {{staff}}. Запись: {{booking_link}} Отзыв: {{review_link}}';
    const rendered = renderSample(text, 'ru');
    expect(rendered.text).toBe(
      'Ольга, Salon Dostyk (#7, Abay Ave 10, Almaty) ждёт вас 25.11.2026 (среда) в 10:00: Стрижка, мастер Анна. ' +
        'Запись: https://n123.alteg.io Отзыв: https://example.com/review/7',
    );
    expect(rendered.problems).toEqual([]);
  });
});

describe('renderNotification: time zones', () => {
  const original = process.env.TZ;
  afterEach(() => {
    if (original === undefined) delete process.env.TZ;
    else process.env.TZ = original;
  });

  it('shows date and time on the branch clock (Asia/Almaty, +05:00) whatever the server zone', () => {
    // 01:30 on Thursday in Almaty is still Wednesday evening in UTC.
    const lateNight = { ...RECORD, datetime: '2026-11-26T01:30:00+05:00' };
    const sameInstantInUtc = { ...RECORD, datetime: '2026-11-25T20:30:00Z' };
    for (const zone of ['UTC', 'America/Los_Angeles', 'Asia/Tokyo']) {
      process.env.TZ = zone;
      expect(visit(lateNight, 'ru'), zone).toBe('26.11.2026 (четверг) 01:30');
      expect(visit(sameInstantInUtc, 'ru'), zone).toBe('26.11.2026 (четверг) 01:30');
    }
  });

  it('keeps 10:00 local on both sides of the DST changes in America/New_York', () => {
    const at = (datetime: string) => visit({ ...RECORD, datetime }, 'en', NEW_YORK);
    // Spring forward on Sun 8 March 2026: 10:00 EST is 15:00Z, 10:00 EDT is 14:00Z.
    expect(at('2026-03-07T15:00:00Z')).toBe('7 Mar 2026 (Saturday) 10:00');
    expect(at('2026-03-08T14:00:00Z')).toBe('8 Mar 2026 (Sunday) 10:00');
    // Fall back on Sun 1 November 2026.
    expect(at('2026-10-31T14:00:00Z')).toBe('31 Oct 2026 (Saturday) 10:00');
    expect(at('2026-11-01T15:00:00Z')).toBe('1 Nov 2026 (Sunday) 10:00');
    // As Altegio writes it: the visit's own offset.
    expect(at('2026-11-01T10:00:00-05:00')).toBe('1 Nov 2026 (Sunday) 10:00');
    // The same UTC hour on either side of the change is a different local hour.
    expect(at('2026-03-07T14:00:00Z')).toBe('7 Mar 2026 (Saturday) 09:00');
  });

  it('reads a datetime without an offset as the branch wall clock, not the server one', () => {
    process.env.TZ = 'Asia/Tokyo';
    expect(visit({ ...RECORD, datetime: '2026-03-08T10:00:00' }, 'en', NEW_YORK)).toBe(
      '8 Mar 2026 (Sunday) 10:00',
    );
  });

  it('falls back to the clock written in the record when the branch zone is invalid, and reports it', () => {
    const rendered = renderSample(VISIT, 'ru', undefined, {
      branch: { ...ALMATY, timezone: 'Mars/Olympus' },
      record: { ...RECORD, datetime: '2026-11-26T01:30:00+05:00' },
    });
    expect(rendered.text).toBe('26.11.2026 (четверг) 01:30');
    expect(rendered.problems.map((item) => `${item.variable}:${item.reason}`)).toEqual([
      'date:bad-timezone',
      'time:bad-timezone',
      'weekday:bad-timezone',
    ]);
  });

  it('reports an unreadable datetime instead of showing "Invalid Date"', () => {
    const rendered = renderSample('{{time}}|{{services}}', 'en', undefined, {
      record: { ...RECORD, datetime: 'soon' },
    });
    expect(rendered.text).toBe('|Стрижка');
    expect(rendered.problems).toEqual([
      { variable: 'time', reason: 'bad-datetime', detail: 'unreadable record datetime "soon"' },
    ]);
  });
});

describe('renderNotification: overrides', () => {
  it('replaces a computed value in templates of that language only', () => {
    const settings = settingsWith({
      variables: { language: 'ru', overrides: { ru: { branch_name: 'Салон «Достык»', weekday: 'в среду' } } },
    });
    const render = (language: Language) =>
      renderSample('{{branch_name}}: {{weekday}}', language, settings).text;
    expect(render('ru')).toBe('Салон «Достык»: в среду');
    expect(render('uk')).toBe('Salon Dostyk: середа');
    expect(render('en')).toBe('Salon Dostyk: Wednesday');
  });

  it('treats an empty override as not edited', () => {
    const settings = settingsWith({ variables: { overrides: { en: { staff: '' } } } });
    const rendered = renderSample('{{staff}}', 'en', settings);
    expect(rendered.text).toBe('Анна');
  });

  it('fills a value that could not be computed, and then reports nothing for it', () => {
    const settings = settingsWith({
      branches: [],
      variables: { overrides: { en: { booking_link: 'https://book.example.com' } } },
    });
    const rendered = renderSample('{{booking_link}} {{review_link}}', 'en', settings);
    expect(rendered.text).toBe('https://book.example.com ');
    expect(rendered.problems).toEqual([
      { variable: 'review_link', reason: 'no-value', detail: 'branch 7 is not in settings.branches' },
    ]);
  });

  it('puts a value in as written, even one that looks like a variable', () => {
    const settings = settingsWith({ variables: { overrides: { en: { branch_name: '{{staff}} & Co' } } } });
    const rendered = renderSample('{{client_name}} / {{branch_name}}', 'en', settings, {
      record: { ...RECORD, clientName: '{{time}}' },
    });
    expect(rendered.text).toBe('{{time}} / {{staff}} & Co');
  });
});

describe('service names', () => {
  const record: AltegioRecord = {
    id: 501,
    companyId: 7,
    staffId: 3,
    staff: { id: 3, name: 'Anna', specialization: 'stylist' },
    services: [
      { id: 1, title: 'Стрижка женская', cost: 0, firstCost: 0, discount: 0, amount: 1 },
      { id: 2, title: 'Укладка', cost: 0, firstCost: 0, discount: 0, amount: 1 },
      { id: 3, title: 'Маска', cost: 0, firstCost: 0, discount: 0, amount: 1 },
    ],
    client: { id: 9, name: 'Olga', phone: '77011234567', email: '', birthday: null, categoryIds: [] },
    datetime: '2026-11-25T10:00:00+05:00',
    startsAt: Date.parse('2026-11-25T10:00:00+05:00'),
    date: '2026-11-25 10:00:00',
    seanceLength: 3600,
    attendance: 0,
    visitAttendance: 0,
    confirmed: false,
    deleted: false,
    paid: false,
    createDate: null,
    lastChangeDate: null,
    comment: '',
    customColor: '',
    visitId: null,
    online: true,
    apiId: null,
    labelIds: [],
    shortLink: null,
  };
  // Service 2 has no widget name; service 3 is not in the branch's list at all.
  const branchServices = [
    { id: 1, title: 'Стрижка женская', bookingTitle: "Women's haircut" },
    { id: 2, title: 'Укладка', bookingTitle: '' },
  ];

  const render = (useWidgetServiceNames: boolean) =>
    renderNotification({
      template: template('{{services}} · {{staff}} · {{client_name}}', 'en'),
      settings: settingsWith({ records: { useWidgetServiceNames } }),
      branch: ALMATY,
      record: notificationRecordFrom(record, branchServices),
    }).text;

  it('uses titles when records.useWidgetServiceNames is off', () => {
    expect(render(false)).toBe('Стрижка женская, Укладка, Маска · Anna · Olga');
  });

  it('uses booking_title when on, falling back to title when it is empty or unknown', () => {
    expect(render(true)).toBe("Women's haircut, Укладка, Маска · Anna · Olga");
  });

  it('builds a neutral record from an Altegio record', () => {
    expect(notificationRecordFrom({ ...record, staff: null, client: null }, branchServices)).toEqual({
      datetime: '2026-11-25T10:00:00+05:00',
      services: [
        { id: 1, title: 'Стрижка женская', bookingTitle: "Women's haircut" },
        { id: 2, title: 'Укладка' },
        { id: 3, title: 'Маска' },
      ],
      staff: [],
      clientName: '',
    });
    expect(serviceName({ id: 1, title: 'T', bookingTitle: '  ' }, true)).toBe('T');
  });
});

describe('branch variables', () => {
  it('come from the branch entry in settings matched by id', () => {
    const settings = settingsWith({
      branches: [
        { id: 7, address: 'Abay Ave 10', bookingLink: 'https://b/7', reviewLink: 'https://r/7' },
        { id: 8, address: 'Satpayev St 2', bookingLink: 'https://b/8', reviewLink: 'https://r/8' },
      ],
    });
    const text = '{{branch_id}} {{branch_name}} {{branch_address}} {{booking_link}} {{review_link}}';
    const render = (branch: NotificationBranch) =>
      renderNotification({ template: template(text, 'en'), settings, branch, record: RECORD }).text;
    expect(render(ALMATY)).toBe('7 Salon Dostyk Abay Ave 10 https://b/7 https://r/7');
    expect(render({ id: 8, title: 'Salon Satpayev', timezone: 'Asia/Almaty' })).toBe(
      '8 Salon Satpayev Satpayev St 2 https://b/8 https://r/8',
    );
  });

  it('report an empty field or a branch missing from settings when the template uses it', () => {
    const settings = settingsWith({ branches: [{ id: 7, address: 'Abay Ave 10' }] });
    const rendered = renderSample('{{branch_address}} {{review_link}}', 'en', settings);
    expect(rendered.text).toBe('Abay Ave 10 ');
    expect(rendered.problems).toEqual([
      { variable: 'review_link', reason: 'no-value', detail: 'branch 7 has an empty reviewLink in settings' },
    ]);
  });
});

describe('grouped notifications', () => {
  const first: NotificationRecord = {
    datetime: '2026-11-25T10:00:00+05:00',
    services: [{ id: 1, title: 'Стрижка' }],
    staff: ['Анна'],
    clientName: 'Ольга',
  };
  const second: NotificationRecord = {
    datetime: '2026-11-25T11:30:00+05:00',
    services: [
      { id: 2, title: 'Маникюр' },
      { id: 1, title: 'Стрижка' },
    ],
    staff: ['Мария'],
    clientName: 'Ольга',
  };
  const text =
    '{{client_name}}, вы записаны на {{date}} ({{weekday}}) в {{time}}: {{services}}, мастер {{staff}}.';

  it('lists the services and staff of all records, in the order of the visits', () => {
    const rendered = renderNotification({
      template: template(text, 'ru'),
      settings: settingsWith(),
      branch: ALMATY,
      // Given out of order on purpose: the notice follows the visits, not the webhooks.
      records: [second, first],
    });
    expect(rendered.text).toBe(
      'Ольга, вы записаны на 25.11.2026 (среда) в 10:00, 11:30: Стрижка, Маникюр, мастер Анна, Мария.',
    );
    expect(rendered.problems).toEqual([]);
  });

  it('names each day once when the records are on different days', () => {
    const later = { ...second, datetime: '2026-11-27T11:30:00+05:00' };
    const rendered = renderNotification({
      template: template('{{date}} ({{weekday}}) {{time}}', 'uk'),
      settings: settingsWith(),
      branch: ALMATY,
      records: [first, later],
    });
    expect(rendered.text).toBe('25.11.2026, 27.11.2026 (середа, пʼятниця) 10:00, 11:30');
  });

  it('renders a template about no visit (a birthday) from the client name alone', () => {
    const rendered = renderNotification({
      template: {
        kind: 'birthday',
        text: '{{client_name}}, {{branch_name}} поздравляет вас!',
        enabled: true,
      },
      settings: settingsWith(),
      branch: ALMATY,
      records: [],
      clientName: 'Ольга',
    });
    expect(rendered).toEqual({ text: 'Ольга, Salon Dostyk поздравляет вас!', language: 'ru', problems: [] });
  });
});

describe('client name', () => {
  const render = (record: NotificationRecord, language: Language, clientName?: string) =>
    renderNotification({
      template: template('{{client_name}}', language),
      settings: settingsWith(),
      branch: ALMATY,
      record,
      ...(clientName === undefined ? {} : { clientName }),
    }).text;

  it('prefers the name given by the caller, then the record, then a polite address', () => {
    expect(render(RECORD, 'ru', 'Оля')).toBe('Оля');
    expect(render(RECORD, 'ru')).toBe('Ольга');
    expect(render({ ...RECORD, clientName: ' ' }, 'ru')).toBe('Уважаемый клиент');
    expect(render({ ...RECORD, clientName: '' }, 'uk')).toBe('Шановний клієнте');
    expect(render({ ...RECORD, clientName: '' }, 'en')).toBe('Dear client');
  });
});

describe('defensive rendering', () => {
  it('leaves an unknown variable out and reports it (settings refuse these)', () => {
    const rendered = renderSample('Hi {{ client_name }}{{price}}!', 'en');
    expect(rendered.text).toBe('Hi Ольга!');
    expect(rendered.problems).toEqual([
      { variable: 'price', reason: 'unknown-variable', detail: '{{price}} is not a system variable' },
    ]);
  });

  it('reports record variables used by a template rendered without records', () => {
    const { problems } = notificationVariables({
      template: template('{{date}}', 'en'),
      settings: settingsWith(),
      branch: ALMATY,
      records: [],
    });
    expect(problems.map((item) => item.variable)).toEqual(['date', 'time', 'weekday', 'services', 'staff']);
  });

  it('keeps a text without variables as it is', () => {
    const rendered = renderSample('See you soon!', 'en');
    expect(rendered).toEqual({ text: 'See you soon!', language: 'en', problems: [] });
  });
});

describe('renderMenu', () => {
  it('gives confirm and cancel, in that order, in the template language', () => {
    expect(renderMenu('reminder', 'ru').options).toEqual([
      { value: 'confirm', label: 'Подтвердить' },
      { value: 'cancel', label: 'Отменить' },
    ]);
    expect(renderMenu('reminder', 'uk').options.map((option) => option.label)).toEqual([
      'Підтвердити',
      'Скасувати',
    ]);
    expect(renderMenu('reminder', 'en').options.map((option) => option.label)).toEqual(['Confirm', 'Cancel']);
  });

  it('gives ratings 1 to 5 whose values are their digits', () => {
    for (const language of ['ru', 'uk', 'en'] as const) {
      const menu = renderMenu('feedback', language);
      expect(menu.options.map((option) => option.value)).toEqual(['1', '2', '3', '4', '5']);
      for (const option of menu.options) expect(option.label.startsWith(option.value)).toBe(true);
      expect(menu.hint).toMatch(/1.*5/);
    }
    expect(renderMenu('feedback', 'en').options[4]?.label).toBe('5 – Excellent');
  });
});
