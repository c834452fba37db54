/**
 * What the booking dialogue says at each step, as channel-neutral {@link ReplyMessage}s built from
 * the machine's context. Kept apart from the statechart so the chart reads as flow and these read
 * as copy; every phrase key used anywhere in the booking machine is listed in
 * {@link BOOKING_PHRASE_KEYS}, which the locale tests check against all three languages.
 *
 * @module
 */
import {
  type BookingResult,
  type Branch,
  DEFAULT_CLIENT_NAME,
  localDateTime,
  type Service,
  type Staff,
  type TimeSlot,
} from '../../src/domain/booking.js';
import type { Phrase, ReplyMessage, ReplyOption } from '../shared/events.js';

// === Phrase keys

/** Every phrase key the booking machine can emit (plural keys without their `_one`/`_other` suffix). */
export const BOOKING_PHRASE_KEYS = [
  'booking.branch.ask',
  'booking.branch.none',
  'booking.service.ask',
  'booking.service.none',
  'booking.service.optionPrice',
  'booking.staff.ask',
  'booking.staff.none',
  'booking.staff.any',
  'booking.date.ask',
  'booking.date.none',
  'booking.date.option',
  'booking.time.ask',
  'booking.time.none',
  'booking.fullName.ask',
  'booking.fullName.invalid',
  'booking.phone.ask',
  'booking.phone.invalid',
  'booking.phone.useLinked',
  'booking.phone.saved',
  'booking.summary',
  'booking.summaryAnyStaff',
  'booking.done',
  'booking.doneAnyStaff',
  'booking.slotTaken',
  'booking.failed.unavailable',
  'booking.failed.rejected',
  'booking.loadFailed',
  'booking.cancelled',
  'booking.timedOut',
  'booking.oldMenu',
  'booking.chooseOption',
  'booking.firstStep',
  'booking.pleaseWait',
  'booking.option.back',
  'booking.option.cancel',
  'booking.option.previous',
  'booking.option.next',
  'booking.option.retry',
  'booking.option.confirm',
] as const;

/** A phrase key of the booking dialogue; a typo is a compile error, not a raw key in a chat. */
export type BookingPhraseKey = (typeof BOOKING_PHRASE_KEYS)[number];

/** Keys whose text depends on a `count` param (plural forms in the locales). */
export const BOOKING_PLURAL_KEYS: readonly BookingPhraseKey[] = ['booking.time.ask'];

function phrase(key: BookingPhraseKey, params?: Phrase['params']): Phrase {
  return params ? { key, params } : { key };
}

/** A message that is only text. */
export function say(key: BookingPhraseKey, params?: Phrase['params']): ReplyMessage {
  return { text: phrase(key, params) };
}

// === Option values
// Values travel in Telegram's 64-byte callback data and come back as `user.choice`, so they are
// short, ASCII and self-describing. Page numbers are absolute (0-based), so a page button pressed in
// an old copy of a menu either is not in the current menu (stale) or opens exactly the page it said.

/** Option values shared by every step. */
export const CHOICE = {
  back: 'back',
  cancel: 'cancel',
  retry: 'retry',
  confirm: 'confirm',
  linkedPhone: 'phone:linked',
} as const;

/** Prefixes of option values that carry an id or a page. */
export const PREFIX = {
  page: 'page:',
  branch: 'branch:',
  service: 'svc:',
  staff: 'staff:',
  date: 'date:',
  time: 'time:',
} as const;

/** Menu sizes: small enough for a phone screen and far below Telegram's 100-button limit. */
export const PAGE_SIZE = { branch: 8, service: 8, staff: 8, date: 7, time: 12 } as const;

/** Lists the client pages through; each keeps its own page so Back returns to where they were. */
export type PagedList = keyof typeof PAGE_SIZE;

// === What the builders need to know

/** The part of the booking context the builders read (the machine's context is a superset). */
export interface MenuContext {
  branches: Branch[];
  services: Service[];
  staff: Staff[];
  dates: string[];
  times: TimeSlot[];
  pages: Record<PagedList, number>;
  branch: Branch | null;
  service: Service | null;
  /** `null` with a date chosen means "any specialist" (chosen, or the step is switched off). */
  specialist: Staff | null;
  date: string | null;
  slot: TimeSlot | null;
  fullName: string | null;
  displayName: string | null;
  phone: string | null;
  linkedPhone: string | null;
  chooseStaff: boolean;
}

/** Whether the client saw the branch step (with one branch it is skipped). */
export function branchStepShown(context: Pick<MenuContext, 'branches'>): boolean {
  return context.branches.length > 1;
}

/** Clamps a requested page into range: lists can shrink between loads. */
export function clampPage(page: number, total: number, size: number): number {
  const last = Math.max(0, Math.ceil(total / size) - 1);
  // A page restored from JSON may be null (NaN serialises so); treat anything odd as the first.
  if (!Number.isFinite(page)) return 0;
  return Math.min(Math.max(0, Math.trunc(page)), last);
}

function navigation(
  list: PagedList,
  total: number,
  context: Pick<MenuContext, 'pages'>,
  hasBack: boolean,
): ReplyOption[] {
  const size = PAGE_SIZE[list];
  const page = clampPage(context.pages[list], total, size);
  const options: ReplyOption[] = [];
  if (page > 0)
    options.push({ value: `${PREFIX.page}${page - 1}`, label: phrase('booking.option.previous') });
  if ((page + 1) * size < total) {
    options.push({ value: `${PREFIX.page}${page + 1}`, label: phrase('booking.option.next') });
  }
  return [...options, ...backAndCancel(hasBack)];
}

function backAndCancel(hasBack: boolean): ReplyOption[] {
  const cancel: ReplyOption = { value: CHOICE.cancel, label: phrase('booking.option.cancel') };
  return hasBack ? [{ value: CHOICE.back, label: phrase('booking.option.back') }, cancel] : [cancel];
}

function pageOf<T>(items: readonly T[], list: PagedList, context: Pick<MenuContext, 'pages'>): T[] {
  const size = PAGE_SIZE[list];
  const start = clampPage(context.pages[list], items.length, size) * size;
  return items.slice(start, start + size);
}

function pagedMenu<T>(
  list: PagedList,
  items: readonly T[],
  context: MenuContext,
  hasBack: boolean,
  ask: Phrase,
  none: Phrase,
  toOption: (item: T) => ReplyOption,
  leading: ReplyOption[] = [],
): ReplyMessage {
  if (items.length === 0 && leading.length === 0) return { text: none, options: backAndCancel(hasBack) };
  return {
    text: ask,
    options: [
      ...leading,
      ...pageOf(items, list, context).map(toOption),
      ...navigation(list, items.length, context, hasBack),
    ],
  };
}

// === Step menus

/** Branch step: the first step whenever it is shown, so it has no Back. */
export function branchMenu(context: MenuContext): ReplyMessage {
  return pagedMenu(
    'branch',
    context.branches,
    context,
    false,
    phrase('booking.branch.ask'),
    phrase('booking.branch.none'),
    (branch) => ({ value: `${PREFIX.branch}${branch.id}`, label: branch.title }),
  );
}

function priceText(service: Service): string | null {
  const { priceMin, priceMax } = service;
  if (priceMin === undefined || priceMin <= 0) return null;
  return priceMax !== undefined && priceMax > priceMin ? `${priceMin}–${priceMax}` : String(priceMin);
}

/** Service step: Back only when the branch step was shown. */
export function serviceMenu(context: MenuContext): ReplyMessage {
  return pagedMenu(
    'service',
    context.services,
    context,
    branchStepShown(context),
    phrase('booking.service.ask'),
    phrase('booking.service.none'),
    (service) => {
      const price = priceText(service);
      return {
        value: `${PREFIX.service}${service.id}`,
        label: price ? phrase('booking.service.optionPrice', { name: service.name, price }) : service.name,
      };
    },
  );
}

/** Staff step: "Doesn't matter" (staff id 0) comes first, on every page, when the salon allows it. */
export function staffMenu(context: MenuContext, anyStaffOption: boolean): ReplyMessage {
  const any: ReplyOption[] =
    anyStaffOption && context.staff.length > 0
      ? [{ value: `${PREFIX.staff}0`, label: phrase('booking.staff.any') }]
      : [];
  return pagedMenu(
    'staff',
    context.staff,
    context,
    true,
    phrase('booking.staff.ask'),
    phrase('booking.staff.none'),
    (member) => ({ value: `${PREFIX.staff}${member.id}`, label: member.name }),
    any,
  );
}

/** Date step: only days with free slots (the actor returns nothing else), labels formatted per language. */
export function dateMenu(context: MenuContext): ReplyMessage {
  return pagedMenu(
    'date',
    context.dates,
    context,
    true,
    phrase('booking.date.ask'),
    phrase('booking.date.none'),
    (date) => ({ value: `${PREFIX.date}${date}`, label: phrase('booking.date.option', { date }) }),
  );
}

/** Time step for the chosen day. */
export function timeMenu(context: MenuContext): ReplyMessage {
  const date = context.date ?? '';
  return pagedMenu(
    'time',
    context.times,
    context,
    true,
    phrase('booking.time.ask', { count: context.times.length, date }),
    phrase('booking.time.none', { date }),
    (slot) => ({ value: `${PREFIX.time}${slot.time}`, label: slot.time }),
  );
}

/** Full-name question; the name is typed, so the only options are Back and Cancel. */
export function fullNameMenu(): ReplyMessage {
  return { text: phrase('booking.fullName.ask'), options: backAndCancel(true) };
}

/** `79161234567` → `+79161234567`: how clients recognise their own number. */
export function displayPhone(digits: string): string {
  return `+${digits}`;
}

/** Phone question with the contact button, offering the number this chat already shared. */
export function phoneMenu(context: MenuContext): ReplyMessage {
  const linked: ReplyOption[] = context.linkedPhone
    ? [
        {
          value: CHOICE.linkedPhone,
          label: phrase('booking.phone.useLinked', { phone: displayPhone(context.linkedPhone) }),
        },
      ]
    : [];
  return {
    text: phrase('booking.phone.ask'),
    options: [...linked, ...backAndCancel(true)],
    askContact: true,
  };
}

/** The name Altegio gets: typed, else the messenger's, else a neutral placeholder. */
export function clientName(context: Pick<MenuContext, 'fullName' | 'displayName'>): string {
  return context.fullName ?? context.displayName ?? DEFAULT_CLIENT_NAME;
}

/** Summary with Confirm / Back / Cancel. */
export function summaryMenu(context: MenuContext): ReplyMessage {
  const params = {
    branch: context.branch?.title ?? '',
    service: context.service?.name ?? '',
    date: context.date ?? '',
    time: context.slot?.time ?? '',
    name: clientName(context),
    phone: context.phone ? displayPhone(context.phone) : '',
  };
  const text = context.specialist
    ? phrase('booking.summary', { ...params, staff: context.specialist.name })
    : phrase('booking.summaryAnyStaff', params);
  return {
    text,
    options: [{ value: CHOICE.confirm, label: phrase('booking.option.confirm') }, ...backAndCancel(true)],
  };
}

/** After a failed load: Retry, and Back when there is a step to go back to. */
export function loadFailedMenu(hasBack: boolean): ReplyMessage {
  return {
    text: phrase('booking.loadFailed'),
    options: [{ value: CHOICE.retry, label: phrase('booking.option.retry') }, ...backAndCancel(hasBack)],
  };
}

/** After `createBooking` failed for a reason other than a taken slot. */
export function creationFailedMenu(kind: 'unavailable' | 'rejected'): ReplyMessage {
  return {
    text: phrase(kind === 'rejected' ? 'booking.failed.rejected' : 'booking.failed.unavailable'),
    options: [{ value: CHOICE.retry, label: phrase('booking.option.retry') }, ...backAndCancel(true)],
  };
}

/**
 * The success message. Date and time are the branch's wall clock: the slot's own, unless Altegio
 * booked a different instant; the specialist is the one Altegio assigned when the client chose "any".
 */
export function doneMessage(context: MenuContext, result: BookingResult): ReplyMessage {
  const requested = context.slot;
  const sameInstant = requested !== null && Date.parse(requested.datetime) === Date.parse(result.datetime);
  const local = (sameInstant ? null : localDateTime(result.datetime)) ?? {
    date: context.date ?? '',
    time: requested?.time ?? '',
  };
  const staff = result.staffName ?? context.specialist?.name;
  const params = {
    branch: context.branch?.title ?? '',
    service: context.service?.name ?? '',
    date: local.date,
    time: local.time,
    address: context.branch?.address || '—',
  };
  return {
    text: staff ? phrase('booking.done', { ...params, staff }) : phrase('booking.doneAnyStaff', params),
  };
}
