/**
 * Renders a salon's notification template (`settings.templates[]`) for one record, or for several
 * records of one client (a grouped `new-record` notice), filling in the system variables of
 * the README ("Template variables") in the template's language.
 *
 * Pure: everything it needs comes in as arguments, so the notify layer decides where records,
 * service lists and time zones come from, and tests need no server, clock or network.
 *
 * What each variable becomes:
 *
 * | variable | value |
 * |---|---|
 * | `client_name` | `clientName` if given, else the first record's client name, else a polite "Dear client" in the language |
 * | `date` | the visit's day in the branch's zone: `25.11.2026` (ru, uk), `25 Nov 2026` (en); layout from `variables.json` `date` |
 * | `time` | `HH:mm` in the branch's zone, 24-hour in every language |
 * | `weekday` | full weekday name in the language: «среда», «середа», "Wednesday" |
 * | `services` | service names joined with `", "`: `title`, or with `records.useWidgetServiceNames` the widget's `booking_title` (falling back to `title` when empty) |
 * | `staff` | staff names joined with `", "` |
 * | `branch_name`, `branch_id` | from the `branch` argument |
 * | `branch_address`, `booking_link`, `review_link` | the branch's entry in `settings.branches[]` |
 *
 * Several records (grouping): records are taken in order of their start. `services` lists the
 * services of all of them, `staff` every staff member, `date` and `weekday` every distinct day,
 * and `time` every distinct start time, each list in that order and without repeats. A client who
 * books a haircut at 10:00 and a manicure at 11:30 the same day reads "25.11.2026 (среда) в 10:00,
 * 11:30: Стрижка, Маникюр". (The template has one slot per variable, so a line per record would
 * force a fixed layout on the salon's text; grouping only joins records made within minutes of each
 * other, which are nearly always for one day.)
 *
 * Overrides: a non-empty `settings.variables.overrides[language][variable]` replaces the value
 * computed for that variable in every template of that language, for every record and branch (it
 * is per language, not per branch). An empty string counts as "not edited" and changes nothing.
 *
 * @module
 */
import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import type { AltegioRecord, AltegioService } from '../altegio/schemas.js';
import { type Language, type Settings, type Template, templateLanguage } from '../domain/settings.js';
import {
  BRANCH_FIELD_VARIABLES,
  isTemplateVariable,
  scanTemplate,
  TEMPLATE_VARIABLES,
  type TemplateVariable,
} from '../domain/template-variables.js';
import { MONTH_KEYS, variablesT, WEEKDAY_KEYS } from './variables.js';

/** A service of a record, with both names Altegio knows, so the renderer can apply the setting. */
export interface NotificationService {
  id: number;
  title: string;
  /** The online widget's name (`booking_title`); absent or `''` when Altegio has none. */
  bookingTitle?: string;
}

/**
 * What a notification needs from a record, and nothing else: a neutral shape, so that records from
 * webhooks, the REST API or the mirror all render the same way. Build it with
 * {@link notificationRecordFrom}.
 */
export interface NotificationRecord {
  /**
   * Start, ISO 8601 as Altegio sent it (with its offset, e.g. `2026-11-25T10:00:00+05:00`). One
   * without an offset is read as the branch's wall clock.
   */
  datetime: string;
  services: readonly NotificationService[];
  /** Names of the record's staff members (usually one). */
  staff: readonly string[];
  /** `''` when the record has no client name. */
  clientName: string;
}

/** What a template needs to know about the branch (Altegio company) the record belongs to. */
export interface NotificationBranch {
  id: number;
  title: string;
  /** IANA zone of the branch (Altegio's `timezone_name`, else `general.timezone`). */
  timezone: string;
}

interface RenderNotificationBase {
  template: Template;
  settings: Settings;
  branch: NotificationBranch;
  /** Overrides the records' client name (e.g. the name the client gave in chat, or a birthday client). */
  clientName?: string;
}

/**
 * One record, or several records of one client (a grouped `new-record` notice). `records: []` is
 * allowed for templates that concern no visit (`birthday`): record variables then render empty
 * and are reported if the template uses them.
 */
export type RenderNotificationInput = RenderNotificationBase &
  (
    | { record: NotificationRecord; records?: never }
    | { records: readonly NotificationRecord[]; record?: never }
  );

/** Why a variable used by a template rendered empty or approximately. */
export type RenderProblemReason =
  /** Not a system variable; settings refuse these, so seeing one means a bypassed check. */
  | 'unknown-variable'
  /** Nothing to fill it with: no record, no staff, branch missing from settings or its field empty. */
  | 'no-value'
  /** A record's `datetime` could not be read; that record is left out of date, time and weekday. */
  | 'bad-datetime'
  /** The branch's zone is not a valid IANA zone; the wall clock written in `datetime` was used. */
  | 'bad-timezone';

/** A problem found while rendering, for the log: the client still gets the text, minus that value. */
export interface RenderProblem {
  variable: string;
  reason: RenderProblemReason;
  detail: string;
}

/** The rendered text and the language its values are in. */
export interface RenderedNotification {
  text: string;
  language: Language;
  /** Only problems of variables the template actually uses; empty in the normal case. */
  problems: RenderProblem[];
}

/** Every variable's value for one render, before it is put into the text. */
export interface NotificationVariables {
  values: Record<TemplateVariable, string>;
  language: Language;
  /** Problems of every variable, used by the template or not; overridden variables have none. */
  problems: RenderProblem[];
}

/**
 * The name shown for a service: `title`, or with
 * `records.useWidgetServiceNames` the widget's `booking_title`, falling back to `title` when that
 * is empty, so a service never shows up nameless.
 */
export function serviceName(service: NotificationService, useWidgetNames: boolean): string {
  const widget = service.bookingTitle?.trim() ?? '';
  return useWidgetNames && widget !== '' ? widget : service.title;
}

/**
 * Builds a {@link NotificationRecord} from a record and its branch's services list. A record only
 * carries each service's `title`; the widget name comes from the list (matched by id), so the
 * caller passes the branch's services (with offline ones when `records.loadOfflineServices`). A
 * service missing from the list keeps its `title`.
 */
export function notificationRecordFrom(
  record: AltegioRecord,
  services: readonly Pick<AltegioService, 'id' | 'title' | 'bookingTitle'>[],
): NotificationRecord {
  const byId = new Map(services.map((service) => [service.id, service]));
  return {
    datetime: record.datetime,
    services: record.services.map((item): NotificationService => {
      const known = byId.get(item.id);
      // The record's own title is what Altegio called the service when it was booked; the list's
      // is the current one. Prefer the list, so a renamed service reads the same everywhere.
      const title = known?.title || item.title;
      return known?.bookingTitle
        ? { id: item.id, title, bookingTitle: known.bookingTitle }
        : { id: item.id, title };
    }),
    staff: record.staff?.name ? [record.staff.name] : [],
    clientName: record.client?.name ?? '',
  };
}

// === Dates in the branch's zone

/** A record's start as the branch's clock shows it. */
interface LocalStart {
  instant: number;
  /** `yyyy-MM-dd`. */
  day: string;
  /** `HH:mm`. */
  time: string;
  /** ISO weekday, 1 = Monday. */
  isoWeekday: number;
}

const HAS_OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/;

function isTimeZone(zone: string): boolean {
  if (zone === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The start in `zone`. The instant comes from the offset Altegio wrote, and is then shown in the
 * branch's zone with date-fns-tz, so neither the server's zone nor a DST change between booking
 * and visit shifts it. `zone: null` (invalid zone): the wall clock as written, which is the
 * salon's own clock in every Altegio payload we have seen.
 */
function localStart(datetime: string, zone: string | null): LocalStart | null {
  const text = datetime.trim();
  if (zone === null) {
    const match = WALL_CLOCK.exec(text);
    const instant = Date.parse(text);
    if (!match || Number.isNaN(instant)) return null;
    const [, year, month, day, hour, minute] = match;
    const utcDay = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day))).getUTCDay();
    return {
      instant,
      day: `${year}-${month}-${day}`,
      time: `${hour}:${minute}`,
      isoWeekday: utcDay === 0 ? 7 : utcDay,
    };
  }
  const instant = HAS_OFFSET.test(text) ? new Date(text) : fromZonedTime(text, zone);
  if (Number.isNaN(instant.getTime())) return null;
  const [day = '', time = '', weekday = ''] = formatInTimeZone(instant, zone, 'yyyy-MM-dd|HH:mm|i').split(
    '|',
  );
  return { instant: instant.getTime(), day, time, isoWeekday: Number(weekday) };
}

function formatDate(day: string, language: Language): string {
  const [year = '', mm = '', dd = ''] = day.split('-');
  const t = variablesT(language);
  const month = MONTH_KEYS[Number(mm) - 1];
  return t('date', {
    year,
    mm,
    dd,
    day: String(Number(dd)),
    month: month ? t(`month.${month}`) : mm,
  });
}

function weekdayName(isoWeekday: number, language: Language): string {
  const key = WEEKDAY_KEYS[isoWeekday - 1];
  return key ? variablesT(language)(`weekday.${key}`) : '';
}

/** Keeps the first of equal values, in order. */
function distinct(values: readonly string[]): string[] {
  return [...new Set(values.filter((value) => value !== ''))];
}

function recordsOf(input: RenderNotificationInput): readonly NotificationRecord[] {
  return input.record ? [input.record] : (input.records ?? []);
}

/**
 * Every variable's value for a render, overrides applied. Exposed for callers that need one value
 * outside a template (e.g. the feedback dialogue's review link) and for tests.
 */
export function notificationVariables(input: RenderNotificationInput): NotificationVariables {
  const { settings, branch } = input;
  const language = templateLanguage(settings, input.template);
  const t = variablesT(language);
  const separator = t('list.separator');
  const problems: RenderProblem[] = [];
  const problem = (variable: TemplateVariable, reason: RenderProblemReason, detail: string) =>
    problems.push({ variable, reason, detail });
  const records = recordsOf(input);

  const zone = isTimeZone(branch.timezone) ? branch.timezone : null;
  if (zone === null && records.length > 0) {
    for (const variable of ['date', 'time', 'weekday'] as const) {
      problem(
        variable,
        'bad-timezone',
        `branch ${branch.id} has no valid time zone ("${branch.timezone}"); used the record's own clock`,
      );
    }
  }

  // Records in the order of their visits, so that services and staff follow it too; an unreadable
  // start sorts last and is left out of the date and time.
  const visits = records
    .map((record) => ({ record, start: localStart(record.datetime, zone) }))
    .sort(
      (a, b) =>
        (a.start?.instant ?? Number.POSITIVE_INFINITY) - (b.start?.instant ?? Number.POSITIVE_INFINITY),
    );
  const ordered = visits.map((visit) => visit.record);
  const starts: LocalStart[] = [];
  for (const { record, start } of visits) {
    if (start !== null) {
      starts.push(start);
      continue;
    }
    for (const variable of ['date', 'time', 'weekday'] as const) {
      problem(variable, 'bad-datetime', `unreadable record datetime "${record.datetime}"`);
    }
  }

  const days = distinct(starts.map((start) => start.day));
  const weekdayOf = new Map(starts.map((start) => [start.day, start.isoWeekday]));
  const useWidgetNames = settings.records.useWidgetServiceNames;

  const given = input.clientName?.trim() ?? '';
  const recorded = records.map((record) => record.clientName.trim()).find((name) => name !== '') ?? '';

  const settingsBranch = settings.branches.find((entry) => entry.id === branch.id);
  const values: Record<TemplateVariable, string> = {
    client_name: given || recorded || t('fallback.clientName'),
    date: days.map((day) => formatDate(day, language)).join(separator),
    time: distinct(starts.map((start) => start.time)).join(separator),
    weekday: days.map((day) => weekdayName(weekdayOf.get(day) ?? 0, language)).join(separator),
    services: distinct(
      ordered.flatMap((record) =>
        record.services.map((service) => serviceName(service, useWidgetNames).trim()),
      ),
    ).join(separator),
    staff: distinct(ordered.flatMap((record) => record.staff.map((name) => name.trim()))).join(separator),
    branch_name: branch.title.trim(),
    branch_id: String(branch.id),
    branch_address: settingsBranch?.address.trim() ?? '',
    booking_link: settingsBranch?.bookingLink ?? '',
    review_link: settingsBranch?.reviewLink ?? '',
  };

  if (records.length === 0) {
    for (const variable of ['date', 'time', 'weekday', 'services', 'staff'] as const) {
      problem(variable, 'no-value', 'rendered without a record');
    }
  } else {
    if (values.services === '') problem('services', 'no-value', 'the records have no services');
    if (values.staff === '') problem('staff', 'no-value', 'the records have no staff member');
  }
  if (values.branch_name === '') problem('branch_name', 'no-value', `branch ${branch.id} has no title`);
  for (const [variable, field] of Object.entries(BRANCH_FIELD_VARIABLES) as Array<
    [keyof typeof BRANCH_FIELD_VARIABLES, string]
  >) {
    if (values[variable] !== '') continue;
    problem(
      variable,
      'no-value',
      settingsBranch
        ? `branch ${branch.id} has an empty ${field} in settings`
        : `branch ${branch.id} is not in settings.branches`,
    );
  }

  // Overrides come last: an edited value wins whatever was (or could not be) computed.
  const overrides = settings.variables.overrides[language] ?? {};
  const overridden = new Set<string>();
  for (const variable of TEMPLATE_VARIABLES) {
    const value = overrides[variable];
    if (value === undefined || value === '') continue;
    values[variable] = value;
    overridden.add(variable);
  }

  return { values, language, problems: problems.filter((item) => !overridden.has(item.variable)) };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Renders a notification template in its language (the template's `language`, else
 * `variables.language`).
 *
 * Values are put in in one pass, so a value that itself looks like `{{staff}}` (a client named
 * so, an override) reaches the client as written instead of being expanded again. An unknown
 * variable, which settings refuse, is left out of the text and reported rather than shown raw.
 *
 * @example
 * ```ts
 * renderNotification({ template, settings, branch: { id: 1, title: 'Riverside', timezone: 'Asia/Almaty' },
 *   record: { datetime: '2026-11-25T10:00:00+05:00', services: [{ id: 1, title: 'Haircut' }], staff: ['Anna'], clientName: 'Olga' } });
 * // { text: 'Olga, see you on 25 Nov 2026 (Wednesday) at 10:00', language: 'en', problems: [] }
 * ```
 */
export function renderNotification(input: RenderNotificationInput): RenderedNotification {
  const { values, language, problems } = notificationVariables(input);
  const { names } = scanTemplate(input.template.text);
  const used = new Set(names);
  const reported = problems.filter((item) => used.has(item.variable));
  for (const name of names.filter((candidate) => !isTemplateVariable(candidate))) {
    reported.push({
      variable: name,
      reason: 'unknown-variable',
      detail: `{{${name}}} is not a system variable`,
    });
  }
  if (names.length === 0) return { text: input.template.text, language, problems: reported };
  const placeholder = new RegExp(`\\{\\{\\s*(${names.map(escapeRegExp).join('|')})\\s*\\}\\}`, 'g');
  const text = input.template.text.replace(placeholder, (_whole, name: string) =>
    isTemplateVariable(name) ? values[name] : '',
  );
  return { text, language, problems: reported };
}
