import { describe, expect, it } from 'vitest';
import {
  defaultSettings,
  durationsOf,
  formatProblems,
  mergeSettings,
  parseSettings,
  reminderOffsetMs,
  type Settings,
  type SettingsInput,
  type SettingsProblem,
  TEMPLATE_KINDS,
  templateLanguage,
} from '../../src/domain/settings.js';
import { isTemplateVariable, scanTemplate } from '../../src/domain/template-variables.js';

function settingsOf(input: unknown): Settings {
  const result = parseSettings(input);
  if (!result.ok) throw new Error(`expected valid settings, got:\n${formatProblems(result.problems)}`);
  return result.settings;
}

function problemsOf(input: unknown): SettingsProblem[] {
  const result = parseSettings(input);
  if (result.ok) throw new Error('expected the settings to be refused');
  return result.problems;
}

/** The formatted line for one path, so tests read like what the admin sees. */
function lineFor(input: unknown, path: string): string {
  const problems = problemsOf(input).filter((problem) => problem.path === path);
  expect(problems, `a problem at ${path}`).toHaveLength(1);
  return formatProblems(problems);
}

describe('defaultSettings', () => {
  it('should hold the default of every key in the design table', () => {
    const { templates, ...rest } = defaultSettings();
    expect(rest).toEqual({
      general: { testMode: false, timezone: 'Europe/Moscow', channelPriority: ['whatsapp', 'telegram'] },
      booking: {
        replyTimeout: '15m',
        chooseStaff: true,
        anyStaffOption: true,
        askFullName: false,
        notifyBlockedStaffIds: [],
      },
      records: {
        cancellation: 'no-show',
        confirmation: 'status',
        confirmedColor: '#2ecc71',
        confirmMenuTtl: '24h',
        cancelNotLaterThan: '9h',
        groupingWindow: '5m',
        useWidgetServiceNames: false,
        loadOfflineServices: true,
        protectPrepaid: true,
      },
      feedback: { menuTtl: '24h', delayAfterVisit: '2h', poorRatingAtMost: 3 },
      birthdays: { sendAt: '10:00' },
      branches: [],
      variables: { language: 'ru', overrides: {} },
      tasks: { onStatusChange: [], onPoorRating: true },
    });
    expect(templates.map((template) => template.kind)).toEqual([...TEMPLATE_KINDS]);
  });

  it('should have no admin phone until one is configured', () => {
    expect('adminPhone' in defaultSettings().general).toBe(false);
  });

  it('should ship enabled Russian templates using only known variables, the reminder 24h ahead', () => {
    for (const template of defaultSettings().templates) {
      expect(template).toMatchObject({ enabled: true, language: 'ru' });
      expect(template.text).toMatch(/[а-я]/);
      const { names, unbalanced } = scanTemplate(template.text);
      expect(unbalanced).toBe(false);
      expect(names).toContain('client_name');
      expect(names.every(isTemplateVariable)).toBe(true);
      // Adding a branch without links must not make the defaults invalid.
      expect(names).not.toContain('booking_link');
      expect(names).not.toContain('review_link');
      expect(names).not.toContain('branch_address');
    }
    expect(defaultSettings().templates.find((template) => template.kind === 'reminder')?.offset).toBe('24h');
  });

  it('should return a fresh copy each time', () => {
    const first = defaultSettings();
    first.booking.notifyBlockedStaffIds.push(1);
    first.templates.pop();
    expect(defaultSettings().booking.notifyBlockedStaffIds).toEqual([]);
    expect(defaultSettings().templates).toHaveLength(6);
  });

  it('should expose the durations in milliseconds', () => {
    expect(durationsOf(defaultSettings())).toEqual({
      bookingReplyTimeout: 15 * 60_000,
      confirmMenuTtl: 24 * 3_600_000,
      cancelNotLaterThan: 9 * 3_600_000,
      groupingWindow: 5 * 60_000,
      feedbackMenuTtl: 24 * 3_600_000,
      feedbackDelayAfterVisit: 2 * 3_600_000,
    });
  });
});

describe('parseSettings', () => {
  it('should fill every key left out with its default', () => {
    const settings = settingsOf({ booking: { replyTimeout: '30s' }, records: { cancellation: 'delete' } });
    expect(settings.booking).toEqual({ ...defaultSettings().booking, replyTimeout: '30s' });
    expect(settings.records.cancellation).toBe('delete');
    expect(settings.records.confirmation).toBe('status');
    expect(settings.general).toEqual(defaultSettings().general);
    expect(durationsOf(settings).bookingReplyTimeout).toBe(30_000);
  });

  it('should take a partial document typed as SettingsInput', () => {
    const input: SettingsInput = { feedback: { poorRatingAtMost: 2 }, branches: [{ id: 3 }] };
    const settings = settingsOf(input);
    expect(settings.feedback).toEqual({ menuTtl: '24h', delayAfterVisit: '2h', poorRatingAtMost: 2 });
    expect(settings.branches[0]?.excludedClientCategoryIds).toEqual([]);
  });

  it('should treat a missing document as all defaults', () => {
    expect(settingsOf(undefined)).toEqual(defaultSettings());
    expect(settingsOf({})).toEqual(defaultSettings());
  });

  it('should accept its own output unchanged', () => {
    const settings = settingsOf({
      general: { testMode: true, adminPhone: '+7 (916) 123-45-67' },
      branches: [{ id: 5, bookingLink: 'https://n5.alteg.io/' }],
      templates: [{ kind: 'reminder', text: 'Hi {{client_name}}' }],
    });
    expect(settingsOf(settings)).toEqual(settings);
  });

  it('should refuse a value outside an enumeration, saying what is allowed', () => {
    expect(lineFor({ records: { cancellation: 'cancel' } }, 'records.cancellation')).toBe(
      'records.cancellation: "cancel" is not allowed; must be one of "no-show", "delete"',
    );
    expect(lineFor({ records: { confirmation: 'colour' } }, 'records.confirmation')).toBe(
      'records.confirmation: "colour" is not allowed; must be one of "status", "color"',
    );
    expect(lineFor({ variables: { language: 'de' } }, 'variables.language')).toBe(
      'variables.language: "de" is not allowed; must be one of "ru", "uk", "en"',
    );
  });

  it('should report every problem at once, from every section', () => {
    const problems = problemsOf({
      general: { timezone: 'Mars/Olympus' },
      booking: { replyTimeout: 15 },
      feedback: { poorRatingAtMost: 9 },
      templates: [{ kind: 'reminder', text: '{{nope}}' }],
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      'general.timezone',
      'booking.replyTimeout',
      'feedback.poorRatingAtMost',
      'templates[0].text',
    ]);
  });

  describe('durations', () => {
    it('should refuse a duration without a unit', () => {
      expect(lineFor({ booking: { replyTimeout: '15' } }, 'booking.replyTimeout')).toBe(
        'booking.replyTimeout: "15" is not allowed; needs a unit after 15: s, m, h or d (e.g. "15m")',
      );
    });

    it('should refuse a bare number', () => {
      expect(lineFor({ records: { groupingWindow: 5 } }, 'records.groupingWindow')).toMatch(
        /^records\.groupingWindow: 5 is not allowed; must be a duration like .*written as text with its unit$/,
      );
    });

    it('should refuse 0s for menus, which would close before anyone answers', () => {
      for (const input of [
        { booking: { replyTimeout: '0s' } },
        { records: { confirmMenuTtl: '0s' } },
        { feedback: { menuTtl: '0s' } },
      ]) {
        expect(problemsOf(input)[0]?.message).toMatch(/longer than 0s/);
      }
    });

    it('should allow 0s where it means "off" or "at once"', () => {
      const settings = settingsOf({
        records: { groupingWindow: '0s', cancelNotLaterThan: '0s' },
        feedback: { delayAfterVisit: '0s' },
      });
      expect(durationsOf(settings)).toMatchObject({
        groupingWindow: 0,
        cancelNotLaterThan: 0,
        feedbackDelayAfterVisit: 0,
      });
    });
  });

  describe('numbers and booleans', () => {
    it('should refuse a quoted number and say to drop the quotes', () => {
      expect(lineFor({ feedback: { poorRatingAtMost: '3' } }, 'feedback.poorRatingAtMost')).toBe(
        'feedback.poorRatingAtMost: "3" is not allowed; must be a whole number from 1 to 5 (write it without quotes)',
      );
    });

    it.each([0, 6, 2.5])('should refuse poorRatingAtMost %s', (value) => {
      expect(problemsOf({ feedback: { poorRatingAtMost: value } })[0]?.message).toBe(
        'must be a whole number from 1 to 5',
      );
    });

    it('should accept poorRatingAtMost from 1 to 5', () => {
      expect(settingsOf({ feedback: { poorRatingAtMost: 1 } }).feedback.poorRatingAtMost).toBe(1);
      expect(settingsOf({ feedback: { poorRatingAtMost: 5 } }).feedback.poorRatingAtMost).toBe(5);
    });

    it('should refuse "yes" for a boolean', () => {
      expect(lineFor({ booking: { chooseStaff: 'yes' } }, 'booking.chooseStaff')).toBe(
        'booking.chooseStaff: "yes" is not allowed; must be true or false (write true or false, without quotes)',
      );
    });

    it('should refuse staff ids that are not positive whole numbers', () => {
      const problems = problemsOf({ booking: { notifyBlockedStaffIds: [12, '13', -1] } });
      expect(problems.map((problem) => problem.path)).toEqual([
        'booking.notifyBlockedStaffIds[1]',
        'booking.notifyBlockedStaffIds[2]',
      ]);
    });
  });

  describe('general', () => {
    it('should accept an IANA time zone and refuse anything else', () => {
      expect(settingsOf({ general: { timezone: 'Asia/Yekaterinburg' } }).general.timezone).toBe(
        'Asia/Yekaterinburg',
      );
      expect(settingsOf({ general: { timezone: 'UTC' } }).general.timezone).toBe('UTC');
      expect(lineFor({ general: { timezone: 'Moscow' } }, 'general.timezone')).toBe(
        'general.timezone: "Moscow" is not allowed; must be an IANA time zone such as "Europe/Moscow" or "UTC"',
      );
      expect(problemsOf({ general: { timezone: '' } })[0]?.path).toBe('general.timezone');
    });

    it('should accept channels in any order and refuse unknown, repeated or none', () => {
      expect(settingsOf({ general: { channelPriority: ['telegram'] } }).general.channelPriority).toEqual([
        'telegram',
      ]);
      const problems = problemsOf({ general: { channelPriority: ['telegram', 'sms', 'telegram'] } });
      expect(formatProblems(problems)).toBe(
        [
          'general.channelPriority[1]: "sms" is not allowed; must be one of "whatsapp", "telegram"',
          'general.channelPriority[2]: "telegram" is not allowed; each channel may be listed only once',
        ].join('\n'),
      );
      expect(problemsOf({ general: { channelPriority: [] } })[0]?.message).toMatch(/at least one channel/);
    });

    it('should require the admin phone in test mode', () => {
      expect(formatProblems(problemsOf({ general: { testMode: true } }))).toBe(
        'general.adminPhone: is required when general.testMode is true: test mode sends every notification to this phone',
      );
    });

    it('should store the admin phone as digits, whether written as text or number', () => {
      const fromText = settingsOf({ general: { testMode: true, adminPhone: '+7 (916) 123-45-67' } });
      expect(fromText.general.adminPhone).toBe('79161234567');
      expect(settingsOf({ general: { adminPhone: 79161234567 } }).general.adminPhone).toBe('79161234567');
    });

    it('should refuse an admin phone that is not a phone', () => {
      expect(lineFor({ general: { testMode: true, adminPhone: '12345' } }, 'general.adminPhone')).toBe(
        'general.adminPhone: "12345" is not allowed; must be a phone number with country code, e.g. "+7 916 123-45-67"',
      );
    });
  });

  describe('records and birthdays', () => {
    it('should accept a #rrggbb colour and refuse other notations', () => {
      expect(
        settingsOf({ records: { confirmation: 'color', confirmedColor: '#FF8800' } }).records,
      ).toMatchObject({
        confirmation: 'color',
        confirmedColor: '#FF8800',
      });
      for (const colour of ['red', '2ecc71', '#fff', '#2ecc7g']) {
        expect(
          lineFor({ records: { confirmation: 'color', confirmedColor: colour } }, 'records.confirmedColor'),
        ).toMatch(/must be a colour written as #rrggbb/);
      }
    });

    it('should accept HH:MM from 00:00 to 23:59 for birthdays', () => {
      expect(settingsOf({ birthdays: { sendAt: '00:00' } }).birthdays.sendAt).toBe('00:00');
      expect(settingsOf({ birthdays: { sendAt: '23:59' } }).birthdays.sendAt).toBe('23:59');
      for (const time of ['24:00', '9:00', '10:60', '10am']) {
        expect(problemsOf({ birthdays: { sendAt: time } })[0]?.message).toBe(
          'must be a time of day written as HH:MM, from 00:00 to 23:59',
        );
      }
    });
  });

  describe('branches', () => {
    it('should fill branch fields with empty defaults', () => {
      expect(settingsOf({ branches: [{ id: 42 }] }).branches).toEqual([
        { id: 42, bookingLink: '', reviewLink: '', address: '', excludedClientCategoryIds: [] },
      ]);
    });

    it('should require a positive id', () => {
      expect(formatProblems(problemsOf({ branches: [{ address: 'Main st' }] }))).toBe(
        'branches[0].id: is required; must be a positive whole number: the branch id in Altegio',
      );
      expect(problemsOf({ branches: [{ id: 0 }] })[0]?.path).toBe('branches[0].id');
    });

    it('should refuse the same id twice, naming both', () => {
      expect(lineFor({ branches: [{ id: 7 }, { id: 8 }, { id: 7 }] }, 'branches[2].id')).toBe(
        'branches[2].id: 7 is not allowed; branch ids must be unique; 7 is already used by branches[0]',
      );
    });

    it('should report a duplicate id next to another branch problem', () => {
      const problems = problemsOf({ branches: [{ id: 7 }, { id: 7, reviewLink: 'not a link' }] });
      expect(problems.map((problem) => problem.path).sort()).toEqual([
        'branches[1].id',
        'branches[1].reviewLink',
      ]);
    });

    it('should refuse links that are not http(s) links', () => {
      expect(lineFor({ branches: [{ id: 1, bookingLink: 'n1.alteg.io' }] }, 'branches[0].bookingLink')).toBe(
        'branches[0].bookingLink: "n1.alteg.io" is not allowed; must be a link starting with https:// (or http://), or empty',
      );
    });
  });

  describe('variables', () => {
    it('should accept overrides per language for known variables', () => {
      const settings = settingsOf({
        variables: { language: 'en', overrides: { en: { branch_name: 'Beauty Lab' } } },
      });
      expect(settings.variables).toEqual({
        language: 'en',
        overrides: { en: { branch_name: 'Beauty Lab' } },
      });
    });

    it('should refuse an override of an unknown variable or language', () => {
      expect(
        formatProblems(problemsOf({ variables: { overrides: { ru: { branchname: 'x' }, de: {} } } })),
      ).toBe(
        [
          'variables.overrides.ru.branchname: unknown setting; did you mean variables.overrides.ru.branch_name?',
          'variables.overrides.de: unknown setting; known here: ru, uk, en',
        ].join('\n'),
      );
    });
  });

  describe('templates', () => {
    it('should replace the whole default list with the list given', () => {
      const settings = settingsOf({
        templates: [{ kind: 'birthday', text: 'С днём рождения, {{client_name}}!' }],
      });
      expect(settings.templates).toEqual([
        { kind: 'birthday', text: 'С днём рождения, {{client_name}}!', enabled: true },
      ]);
    });

    it('should let a template without a language follow variables.language', () => {
      const settings = settingsOf({
        variables: { language: 'uk' },
        templates: [
          { kind: 'feedback', text: 'Rate us' },
          { kind: 'feedback', text: 'Rate us', language: 'en' },
        ],
      });
      const [implicit, explicit] = settings.templates;
      expect(implicit && templateLanguage(settings, implicit)).toBe('uk');
      expect(explicit && templateLanguage(settings, explicit)).toBe('en');
    });

    it('should send reminders 24h ahead unless an offset is given', () => {
      const settings = settingsOf({
        templates: [
          { kind: 'reminder', text: 'Soon' },
          { kind: 'reminder', text: 'Very soon', offset: '2h' },
        ],
      });
      expect(settings.templates.map((template) => template.offset)).toEqual(['24h', '2h']);
      expect(settings.templates.map(reminderOffsetMs)).toEqual([86_400_000, 7_200_000]);
    });

    it('should refuse an offset on a template that is not a reminder', () => {
      expect(
        lineFor({ templates: [{ kind: 'feedback', text: 'x', offset: '1h' }] }, 'templates[0].offset'),
      ).toBe(
        'templates[0].offset: "1h" is not allowed; only reminder templates have an offset; remove it from the feedback template',
      );
    });

    it('should refuse an unknown variable, naming the template and the variable', () => {
      const [problem] = problemsOf({
        templates: [
          { kind: 'new-record', text: 'ok {{client_name}}' },
          { kind: 'reminder', text: 'Hello {{clientName}}, see you {{ date }}' },
        ],
      });
      expect(problem).toMatchObject({ path: 'templates[1].text', kind: 'invalid' });
      expect(problem?.message).toMatch(
        /^unknown variable \{\{clientName\}\} in the reminder template; allowed: \{\{client_name\}\}, /,
      );
    });

    it('should refuse stray braces that would reach a client verbatim', () => {
      expect(problemsOf({ templates: [{ kind: 'birthday', text: 'Hi {{client_name' }] })[0]?.message).toBe(
        'the birthday template has a "{{" or "}}" that does not belong to a variable',
      );
    });

    it('should refuse an empty text and an unknown kind', () => {
      const problems = problemsOf({ templates: [{ kind: 'promo', text: '' }] });
      expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
        [
          'templates[0].kind',
          'must be one of "new-record", "reminder", "record-changed", "record-cancelled", "feedback", "birthday"',
        ],
        ['templates[0].text', 'must not be empty'],
      ]);
    });

    it('should refuse a branch variable while a branch leaves its field empty, naming both', () => {
      const input = {
        branches: [
          { id: 1, bookingLink: 'https://n1.alteg.io/' },
          { id: 2, reviewLink: 'https://maps.example/2' },
          { id: 3 },
        ],
        templates: [{ kind: 'feedback', text: 'Leave a review: {{review_link}}' }],
      };
      expect(formatProblems(problemsOf(input))).toBe(
        'templates[0].text: "Leave a review: {{review_link}}" is not allowed; the feedback template uses {{review_link}}, but branches 1, 3 have an empty reviewLink; fill it in or remove the variable',
      );
      expect(
        problemsOf({ ...input, templates: [{ kind: 'new-record', text: '{{branch_address}}' }] })[0]?.message,
      ).toBe(
        'the new-record template uses {{branch_address}}, but branches 1, 2, 3 have an empty address; fill it in or remove the variable',
      );
    });

    it('should accept branch variables once every branch has the field, and ignore disabled templates', () => {
      const branches = [{ id: 1, bookingLink: 'https://n1.alteg.io/' }, { id: 2 }];
      expect(
        parseSettings({
          branches: [branches[0]],
          templates: [{ kind: 'reminder', text: '{{booking_link}}' }],
        }).ok,
      ).toBe(true);
      expect(
        parseSettings({
          branches,
          templates: [{ kind: 'reminder', text: '{{booking_link}}', enabled: false }],
        }).ok,
      ).toBe(true);
    });
  });

  describe('tasks', () => {
    it('should accept status-change tasks for the five statuses', () => {
      const onStatusChange = ['confirmed', 'came', 'no-show', 'waiting', 'deleted'].map((status) => ({
        status,
        title: `Record ${status}`,
      }));
      expect(settingsOf({ tasks: { onStatusChange, onPoorRating: false } }).tasks).toEqual({
        onStatusChange,
        onPoorRating: false,
      });
    });

    it('should refuse an unknown status or an empty title', () => {
      const problems = problemsOf({ tasks: { onStatusChange: [{ status: 'paid', title: '' }] } });
      expect(problems.map((problem) => problem.path)).toEqual([
        'tasks.onStatusChange[0].status',
        'tasks.onStatusChange[0].title',
      ]);
    });
  });

  describe('unknown keys', () => {
    it('should refuse a typo and suggest the key meant', () => {
      expect(formatProblems(problemsOf({ booking: { replyTimout: '5m' } }))).toBe(
        'booking.replyTimout: unknown setting; did you mean booking.replyTimeout?',
      );
    });

    it('should refuse unknown keys at the top, in list items, and list the known ones when nothing is close', () => {
      const problems = problemsOf({
        webhooks: {},
        branches: [{ id: 1, phone: '1' }],
        templates: [{ kind: 'reminder', text: 'x', offfset: '1h' }],
      });
      expect(formatProblems(problems)).toBe(
        [
          'branches[0].phone: unknown setting; known here: id, bookingLink, reviewLink, address, excludedClientCategoryIds',
          'templates[0].offfset: unknown setting; did you mean templates[0].offset?',
          'webhooks: unknown setting; known here: general, booking, records, feedback, birthdays, branches, variables, templates, tasks',
        ].join('\n'),
      );
      expect(problems.every((problem) => problem.kind === 'unknown')).toBe(true);
    });

    it('should refuse a section that is not a group of keys', () => {
      expect(formatProblems(problemsOf({ general: 'on', branches: {} }))).toBe(
        [
          'general: "on" is not allowed; must be a group of settings (key: value)',
          'branches: {} is not allowed; must be a list',
        ].join('\n'),
      );
    });
  });
});

describe('mergeSettings', () => {
  const current = settingsOf({
    general: { adminPhone: '79161234567' },
    branches: [{ id: 1 }, { id: 2 }],
    booking: { replyTimeout: '30m', chooseStaff: false },
  });

  it('should merge objects key by key, keeping what the change leaves out', () => {
    const result = mergeSettings(current, { booking: { replyTimeout: '5m' }, general: { testMode: true } });
    expect(result.ok && result.settings.booking).toEqual({ ...current.booking, replyTimeout: '5m' });
    expect(result.ok && result.settings.general).toEqual({ ...current.general, testMode: true });
    expect(result.ok && result.settings.branches).toEqual(current.branches);
  });

  it('should replace lists wholesale', () => {
    const result = mergeSettings(current, {
      branches: [{ id: 3 }],
      templates: [{ kind: 'reminder', text: '{{time}}' }],
    });
    expect(result.ok && result.settings.branches.map((branch) => branch.id)).toEqual([3]);
    expect(result.ok && result.settings.templates).toEqual([
      { kind: 'reminder', text: '{{time}}', offset: '24h', enabled: true },
    ]);
  });

  it('should put a key back to its default when given null', () => {
    const result = mergeSettings(current, { general: { adminPhone: null }, booking: { replyTimeout: null } });
    expect(result.ok && 'adminPhone' in result.settings.general).toBe(false);
    expect(result.ok && result.settings.booking.replyTimeout).toBe('15m');
  });

  it('should validate the merged document whole, leaving the current settings untouched', () => {
    const withoutPhone = settingsOf({});
    const result = mergeSettings(withoutPhone, { general: { testMode: true } });
    expect(!result.ok && formatProblems(result.problems)).toMatch(
      /^general\.adminPhone: is required when general\.testMode is true/,
    );
    expect(withoutPhone.general.testMode).toBe(false);

    const bad = mergeSettings(current, { records: { cancellation: 'cancel' } });
    expect(!bad.ok && bad.problems.map((problem) => problem.path)).toEqual(['records.cancellation']);
    expect(current.records.cancellation).toBe('no-show');
  });

  it('should refuse a branch variable that the current branches cannot fill', () => {
    const result = mergeSettings(current, { templates: [{ kind: 'feedback', text: '{{review_link}}' }] });
    expect(!result.ok && result.problems[0]?.message).toMatch(/branches 1, 2 have an empty reviewLink/);
  });

  it('should refuse unknown keys, including __proto__', () => {
    const typo = mergeSettings(current, { records: { cancelation: 'delete' } });
    expect(!typo.ok && formatProblems(typo.problems)).toBe(
      'records.cancelation: unknown setting; did you mean records.cancellation?',
    );
    const polluted = mergeSettings(current, JSON.parse('{"__proto__": {"testMode": true}}'));
    expect(!polluted.ok && polluted.problems.map((problem) => problem.path)).toEqual(['__proto__']);
    expect(({} as { testMode?: boolean }).testMode).toBeUndefined();
  });

  it('should refuse a change that is not a group of keys', () => {
    for (const partial of [null, [], 'x']) {
      const result = mergeSettings(current, partial);
      expect(!result.ok && result.problems[0]?.message).toMatch(/settings must be a group of keys/);
    }
  });
});
