/**
 * The salon's settings: one zod schema for every key of the README's settings table, with its
 * defaults. The document keeps durations as the strings people write (`15m`); `durationsOf`
 * gives the milliseconds the engine needs, so the file, `GET /api/settings` and the code never
 * disagree about units.
 */
import { z } from 'zod';
import { MESSENGERS } from './channels.js';
import { ms } from './duration.js';
import { type SettingsProblem, toProblems } from './settings-problems.js';
import { defaultTemplates, type Template, template } from './settings-templates.js';
import {
  altegioId,
  bool,
  DEFAULT_REMINDER_OFFSET,
  duration,
  isTimeZone,
  LANGUAGES,
  type Language,
  link,
  oneOf,
  phone,
  quoted,
  TASK_STATUSES,
  text,
  wholeNumber,
} from './settings-values.js';
import {
  BRANCH_FIELD_VARIABLES,
  scanTemplate,
  TEMPLATE_VARIABLES,
  type TemplateVariable,
} from './template-variables.js';

export { formatProblems, type SettingsProblem } from './settings-problems.js';
export { defaultTemplates, type Template } from './settings-templates.js';
export {
  asLanguage,
  DEFAULT_REMINDER_OFFSET,
  LANGUAGES,
  type Language,
  TASK_STATUSES,
  type TaskStatus,
  TEMPLATE_KINDS,
  type TemplateKind,
} from './settings-values.js';

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
