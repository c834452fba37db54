/**
 * The salon's settings: one zod schema for every key of the README's settings table, with its
 * defaults. The document keeps durations as the strings people write (`15m`); `durationsOf`
 * gives the milliseconds the engine needs, so the file, `GET /api/settings` and the code never
 * disagree about units.
 */
import { z } from 'zod';
import { MESSENGERS } from './channels.js';
import { DURATION_HINT, ms, parseDuration } from './duration.js';
import { normalizePhone } from './phone.js';
import { type SettingsProblem, toProblems } from './settings-problems.js';
import {
  BRANCH_FIELD_VARIABLES,
  isTemplateVariable,
  scanTemplate,
  TEMPLATE_VARIABLES,
  type TemplateVariable,
} from './template-variables.js';

export { formatProblems, type SettingsProblem } from './settings-problems.js';

export const LANGUAGES = ['ru', 'uk', 'en'] as const;
export const TEMPLATE_KINDS = [
  'new-record',
  'reminder',
  'record-changed',
  'record-cancelled',
  'feedback',
  'birthday',
] as const;
export const TASK_STATUSES = ['confirmed', 'came', 'no-show', 'waiting', 'deleted'] as const;

export type Language = (typeof LANGUAGES)[number];

/** A language code (Telegram's `language_code`, a stored one) if the bot speaks it, else undefined. */
export function asLanguage(code: string | null | undefined): Language | undefined {
  return (LANGUAGES as readonly string[]).includes(code ?? '') ? (code as Language) : undefined;
}
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A reminder without an offset is sent this long before the visit. */
export const DEFAULT_REMINDER_OFFSET = '24h';

// === Field builders: each carries the one message a user needs, whatever went wrong.
//
// Numbers and booleans are strict: `"3"` or `"yes"` is refused (with a hint) rather than coerced,
// so a value always reads back exactly as it was meant. The one exception is a phone number,
// which YAML turns into a number when written without quotes: accepting that is harmless.

const quoted = (values: readonly string[]): string => values.map((value) => `"${value}"`).join(', ');

const bool = () => z.boolean({ error: 'must be true or false' });
const text = () => z.string({ error: 'must be text' });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${quoted(values)}` });

function wholeNumber(min: number, max: number, message: string) {
  return z
    .number({ error: message })
    .int({ error: message })
    .min(min, { error: message })
    .max(max, { error: message });
}

const altegioId = (what: string) =>
  wholeNumber(1, Number.MAX_SAFE_INTEGER, `must be a positive whole number: the ${what} id in Altegio`);

/** `positive`: for menus, where 0s would close the menu before anyone could answer. */
function duration(options: { positive?: boolean } = {}) {
  return z.string({ error: `${DURATION_HINT}, written as text with its unit` }).superRefine((value, ctx) => {
    const result = parseDuration(value);
    if (!result.ok) ctx.addIssue({ code: 'custom', message: result.reason });
    else if (options.positive && result.ms === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be longer than 0s: a menu that closes at once cannot be answered',
      });
    }
  });
}

const PHONE_HINT = 'must be a phone number with country code, e.g. "+7 916 123-45-67"';
const phone = z.union([z.string(), z.number()], { error: PHONE_HINT }).transform((raw, ctx) => {
  const normalized = normalizePhone(raw);
  if (normalized === null) {
    ctx.addIssue({ code: 'custom', message: PHONE_HINT });
    return z.NEVER;
  }
  // Stored normalised (digits, country code first) so every consumer compares like with like.
  return normalized;
});

function isTimeZone(value: string): boolean {
  if (value === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const link = text().refine((value) => value === '' || /^https?:\/\/\S+$/.test(value), {
  error: 'must be a link starting with https:// (or http://), or empty',
});

// === Sections

const general = z
  .strictObject({
    testMode: bool().default(false),
    adminPhone: phone.optional(),
    timezone: text()
      .refine(isTimeZone, { error: 'must be an IANA time zone such as "Europe/Moscow" or "UTC"' })
      .default('Europe/Moscow'),
    channelPriority: z
      .array(oneOf(MESSENGERS), { error: `must be a list of channels: ${quoted(MESSENGERS)}` })
      .min(1, { error: `must name at least one channel: ${quoted(MESSENGERS)}` })
      .superRefine(
        (channels, ctx) => {
          channels.forEach((channel, index) => {
            if (channels.indexOf(channel) !== index) {
              ctx.addIssue({
                code: 'custom',
                path: [index],
                input: channel,
                message: 'each channel may be listed only once',
              });
            }
          });
        },
        // Also next to an unknown channel name, so that both mistakes are reported together.
        { when: (payload) => Array.isArray(payload.value) },
      )
      .default(() => [...MESSENGERS]),
  })
  .superRefine(
    (section, ctx) => {
      if (section.testMode === true && section.adminPhone === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['adminPhone'],
          input: undefined,
          message:
            'is required when general.testMode is true: test mode sends every notification to this phone',
        });
      }
    },
    {
      when: (payload) =>
        !payload.issues.some((issue) => ['testMode', 'adminPhone'].includes(String(issue.path?.[0]))),
    },
  );

const booking = z.strictObject({
  replyTimeout: duration({ positive: true }).default('15m'),
  chooseStaff: bool().default(true),
  anyStaffOption: bool().default(true),
  askFullName: bool().default(false),
  notifyBlockedStaffIds: z
    .array(altegioId('staff member'), { error: 'must be a list of staff ids' })
    .default(() => []),
});

const records = z.strictObject({
  cancellation: oneOf(['no-show', 'delete']).default('no-show'),
  confirmation: oneOf(['status', 'color']).default('status'),
  // Checked even while confirmation is "status": switching to "color" later must not be what
  // reveals a broken colour.
  confirmedColor: text()
    .regex(/^#[0-9a-fA-F]{6}$/, { error: 'must be a colour written as #rrggbb, e.g. "#2ecc71"' })
    .default('#2ecc71'),
  confirmMenuTtl: duration({ positive: true }).default('24h'),
  cancelNotLaterThan: duration().default('9h'),
  groupingWindow: duration().default('5m'),
  useWidgetServiceNames: bool().default(false),
  loadOfflineServices: bool().default(true),
  protectPrepaid: bool().default(true),
});

const feedback = z.strictObject({
  menuTtl: duration({ positive: true }).default('24h'),
  delayAfterVisit: duration().default('2h'),
  poorRatingAtMost: wholeNumber(1, 5, 'must be a whole number from 1 to 5').default(3),
});

const birthdays = z.strictObject({
  sendAt: text()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, {
      error: 'must be a time of day written as HH:MM, from 00:00 to 23:59',
    })
    .default('10:00'),
});

const branch = z.strictObject({
  id: altegioId('branch'),
  bookingLink: link.default(''),
  reviewLink: link.default(''),
  // An address may be plain text or a map link, so it is not checked as a link.
  address: text().default(''),
  excludedClientCategoryIds: z
    .array(altegioId('client category'), { error: 'must be a list of client category ids' })
    .default(() => []),
});

const branches = z
  .array(branch, { error: 'must be a list of branches' })
  .superRefine(
    (list, ctx) => {
      const ids = list.map((item) =>
        isPlainObject(item) && typeof item.id === 'number' ? item.id : undefined,
      );
      ids.forEach((id, index) => {
        const first = ids.indexOf(id);
        if (id === undefined || first === index) return;
        ctx.addIssue({
          code: 'custom',
          path: [index, 'id'],
          input: id,
          message: `branch ids must be unique; ${id} is already used by branches[${first}]`,
        });
      });
    },
    // Also when another branch is wrong, so that all problems come out at once; hence the checks above.
    { when: (payload) => Array.isArray(payload.value) },
  )
  .default(() => []);

const variableValues = z.strictObject(
  Object.fromEntries(TEMPLATE_VARIABLES.map((name) => [name, text().optional()])) as Record<
    TemplateVariable,
    z.ZodOptional<z.ZodString>
  >,
);

const variables = z.strictObject({
  language: oneOf(LANGUAGES).default('ru'),
  overrides: z
    .strictObject({
      ru: variableValues.optional(),
      uk: variableValues.optional(),
      en: variableValues.optional(),
    })
    .default(() => ({})),
});

const ALLOWED_VARIABLES = TEMPLATE_VARIABLES.map((name) => `{{${name}}}`).join(', ');

const template = z
  .strictObject({
    kind: oneOf(TEMPLATE_KINDS),
    text: text().min(1, { error: 'must not be empty' }),
    /** Absent: the template follows `variables.language`. */
    language: oneOf(LANGUAGES).optional(),
    offset: duration().optional(),
    enabled: bool().default(true),
  })
  .superRefine(
    (item, ctx) => {
      const name = (TEMPLATE_KINDS as readonly string[]).includes(item.kind)
        ? `the ${item.kind} template`
        : 'this template';
      const { names, unbalanced } = scanTemplate(item.text);
      for (const variable of names.filter((candidate) => !isTemplateVariable(candidate))) {
        ctx.addIssue({
          code: 'custom',
          path: ['text'],
          input: item.text,
          message: `unknown variable {{${variable}}} in ${name}; allowed: ${ALLOWED_VARIABLES}`,
        });
      }
      if (unbalanced) {
        ctx.addIssue({
          code: 'custom',
          path: ['text'],
          input: item.text,
          message: `${name} has a "{{" or "}}" that does not belong to a variable`,
        });
      }
    },
    // Runs even when another field of the template is wrong, so all problems come out at once.
    { when: (payload) => !payload.issues.some((issue) => issue.path?.[0] === 'text') },
  )
  .superRefine(
    (item, ctx) => {
      if (item.kind !== 'reminder' && item.offset !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['offset'],
          input: item.offset,
          message: `only reminder templates have an offset; remove it from the ${item.kind} template`,
        });
      }
    },
    {
      when: (payload) =>
        !payload.issues.some((issue) => issue.path?.[0] === 'kind' || issue.path?.[0] === 'offset'),
    },
  )
  .transform((item) =>
    item.kind === 'reminder' && item.offset === undefined
      ? { ...item, offset: DEFAULT_REMINDER_OFFSET }
      : item,
  );

export type Template = z.output<typeof template>;

/**
 * The default list: one template of each kind, in Russian like the default `variables.language`.
 * They avoid `{{booking_link}}`, `{{review_link}}` and `{{branch_address}}` on purpose: those need
 * the branch fields filled in, and adding a branch must not make the defaults invalid.
 */
export function defaultTemplates(): Template[] {
  const visit = '{{date}} ({{weekday}}) в {{time}}: {{services}}, мастер {{staff}}';
  const texts: { kind: TemplateKind; text: string; offset?: string }[] = [
    { kind: 'new-record', text: `{{client_name}}, вы записаны в {{branch_name}} на ${visit}.` },
    {
      kind: 'reminder',
      offset: DEFAULT_REMINDER_OFFSET,
      text: `{{client_name}}, напоминаем о записи в {{branch_name}} на ${visit}.`,
    },
    {
      kind: 'record-changed',
      text: `{{client_name}}, ваша запись в {{branch_name}} изменена. Теперь: ${visit}.`,
    },
    {
      kind: 'record-cancelled',
      text: '{{client_name}}, ваша запись в {{branch_name}} на {{date}} в {{time}} отменена. Будем рады видеть вас снова!',
    },
    {
      kind: 'feedback',
      text: '{{client_name}}, спасибо, что были у нас в {{branch_name}}! Оцените, пожалуйста, визит от 1 до 5.',
    },
    {
      kind: 'birthday',
      text: '{{client_name}}, с днём рождения! {{branch_name}} желает вам счастья и прекрасного настроения.',
    },
  ];
  return texts.map((item): Template => ({ ...item, language: 'ru', enabled: true }));
}

const tasks = z.strictObject({
  onStatusChange: z
    .array(
      z.strictObject({
        status: oneOf(TASK_STATUSES),
        title: text().min(1, { error: 'must not be empty: it is the title of the task' }),
      }),
      { error: 'must be a list of { status, title }' },
    )
    .default(() => []),
  onPoorRating: bool().default(true),
});

// === The document

/**
 * Which template fields rely on branch fields: a template that would render an empty link or
 * address for some branch is refused now rather than discovered by a client.
 */
function checkBranchFields(
  document: { templates: Template[]; branches: z.output<typeof branches> },
  ctx: z.RefinementCtx,
): void {
  document.templates.forEach((item, index) => {
    if (!item.enabled) return;
    const used = scanTemplate(item.text).names;
    for (const [variable, field] of Object.entries(BRANCH_FIELD_VARIABLES)) {
      if (!used.includes(variable)) continue;
      const empty = document.branches.filter((entry) => entry[field] === '').map((entry) => entry.id);
      if (empty.length === 0) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['templates', index, 'text'],
        input: item.text,
        message: `the ${item.kind} template uses {{${variable}}}, but ${empty.length === 1 ? 'branch' : 'branches'} ${empty.join(', ')} ${empty.length === 1 ? 'has' : 'have'} an empty ${field}; fill it in or remove the variable`,
      });
    }
  });
}

export const settingsSchema = z
  .strictObject({
    general: general.prefault({}),
    booking: booking.prefault({}),
    records: records.prefault({}),
    feedback: feedback.prefault({}),
    birthdays: birthdays.prefault({}),
    branches,
    variables: variables.prefault({}),
    templates: z.array(template, { error: 'must be a list of templates' }).default(defaultTemplates),
    tasks: tasks.prefault({}),
  })
  .superRefine(checkBranchFields, {
    when: (payload) =>
      !payload.issues.some((issue) => issue.path?.[0] === 'templates' || issue.path?.[0] === 'branches'),
  });

/** The whole, validated settings document, every default filled in. */
export type Settings = z.output<typeof settingsSchema>;
/** What a user may write: any part of the document; what is left out keeps its default. */
export type SettingsInput = z.input<typeof settingsSchema>;
/** One salon branch as the settings describe it (the booking flow's `Branch` is what Altegio shows clients). */
export type BranchSettings = Settings['branches'][number];

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; problems: SettingsProblem[] };

/** A document with every possible key, used to suggest the right key for a typo. */
function fullDocument(): unknown {
  const values = Object.fromEntries(TEMPLATE_VARIABLES.map((name) => [name, '']));
  return {
    ...defaultSettings(),
    branches: [{ id: 1, bookingLink: '', reviewLink: '', address: '', excludedClientCategoryIds: [] }],
    variables: { language: 'ru', overrides: { ru: values, uk: values, en: values } },
    templates: [{ kind: 'reminder', text: '', language: 'ru', offset: '24h', enabled: true }],
    tasks: { onStatusChange: [{ status: 'came', title: '' }], onPoorRating: true },
  };
}

function knownKeys(parent: readonly PropertyKey[]): string[] {
  let node: unknown = fullDocument();
  for (const key of parent) {
    if (node === null || typeof node !== 'object') return [];
    node = Array.isArray(node) ? node[0] : (node as Record<PropertyKey, unknown>)[key];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node) ? Object.keys(node) : [];
}

/**
 * Validates a whole document (as read from the settings file). Never throws: every problem is
 * collected so that the user fixes the file once, not once per mistake.
 */
export function parseSettings(input: unknown): SettingsResult {
  const result = settingsSchema.safeParse(input === undefined ? {} : input, { reportInput: true });
  if (result.success) return { ok: true, settings: result.data };
  return { ok: false, problems: toProblems(result.error.issues, input, knownKeys) };
}

/** Settings with nothing configured; a fresh copy each time, so callers may modify it. */
export function defaultSettings(): Settings {
  return settingsSchema.parse({});
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  // A Map then `fromEntries` so that a `__proto__` key stays a plain (and refused) key.
  const merged = new Map(Object.entries(base));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) merged.delete(key);
    else merged.set(key, deepMerge(merged.get(key), value));
  }
  return Object.fromEntries(merged);
}

/**
 * Applies a partial document (the body of `PUT /api/settings`) to the current settings and
 * validates the result as a whole, so a change that breaks a cross-field rule is refused.
 * Objects merge key by key; lists (`templates`, `branches`, …) replace the current list
 * wholesale; `null` puts a key back to its default (e.g. removes `general.adminPhone`).
 */
export function mergeSettings(current: Settings, partial: unknown): SettingsResult {
  if (!isPlainObject(partial)) {
    return {
      ok: false,
      problems: [
        {
          path: '',
          value: partial,
          message: 'settings must be a group of keys, e.g. { "booking": { … } }',
          kind: 'invalid',
        },
      ],
    };
  }
  return parseSettings(deepMerge(current, partial));
}

/** The language whose variable values a template uses. */
export function templateLanguage(settings: Settings, item: Template): Language {
  return item.language ?? settings.variables.language;
}

/** Every duration setting in milliseconds, named as the machines' delays are. */
export interface SettingsDurations {
  bookingReplyTimeout: number;
  confirmMenuTtl: number;
  cancelNotLaterThan: number;
  groupingWindow: number;
  feedbackMenuTtl: number;
  feedbackDelayAfterVisit: number;
}

/** Milliseconds for the engine; the document itself keeps the strings the user wrote. */
export function durationsOf(settings: Settings): SettingsDurations {
  return {
    bookingReplyTimeout: ms(settings.booking.replyTimeout),
    confirmMenuTtl: ms(settings.records.confirmMenuTtl),
    cancelNotLaterThan: ms(settings.records.cancelNotLaterThan),
    groupingWindow: ms(settings.records.groupingWindow),
    feedbackMenuTtl: ms(settings.feedback.menuTtl),
    feedbackDelayAfterVisit: ms(settings.feedback.delayAfterVisit),
  };
}

/** How long before the visit a reminder template is sent, in milliseconds. */
export function reminderOffsetMs(item: Template): number {
  return ms(item.offset ?? DEFAULT_REMINDER_OFFSET);
}

export { ms } from './duration.js';
