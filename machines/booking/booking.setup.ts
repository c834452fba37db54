/**
 * The booking dialogue's vocabulary: what it starts with, what it keeps, and the actors, guards and
 * actions its statechart ({@link ./booking.machine.ts}) is drawn with.
 *
 * @module
 */
import { assign, enqueueActions, setup } from 'xstate';
import {
  ANY_STAFF_ID,
  type BookingRequest,
  type BookingResult,
  type DatesQuery,
  isBookingFailure,
  parseFullName,
  type ServicesQuery,
  type StaffQuery,
  type TimesQuery,
} from '../../src/domain/booking.js';
import { normalizePhone } from '../../src/domain/phone.js';
import type { EmittedEvent, ReplyMessage, UserEvent } from '../shared/events.js';
import { menuActions, placeholder, requiredIn } from '../shared/menu-kit.js';
import {
  type BookingPhraseKey,
  branchStepShown,
  clientName,
  type MenuContext,
  type PagedList,
  PREFIX,
  say,
} from './menus.js';

/** What the runtime starts a booking dialogue with (settings plus what it knows about the chat). */
export interface BookingInput {
  /**
   * The dialogue's stable id in the store. Idempotency keys are built from it, so a restored
   * `createBooking` repeats the same key instead of booking twice.
   */
  dialogueId: string;
  /** `booking.replyTimeout` in ms. */
  replyTimeoutMs: number;
  /** `booking.chooseStaff`. */
  chooseStaff: boolean;
  /** `booking.anyStaffOption`. */
  anyStaffOption: boolean;
  /** `booking.askFullName`. */
  askFullName: boolean;
  /** A phone already linked to this chat (any format): offered as a one-tap answer. */
  phone?: string | undefined;
  /**
   * The client's messenger name in the client's language, sent to Altegio when no full name is
   * asked; without it the machine falls back to a neutral English placeholder.
   */
  displayName?: string | undefined;
}

/** The machine's context: JSON-safe plain data only, since the snapshot is persisted after each event. */
export interface BookingContext extends MenuContext {
  dialogueId: string;
  replyTimeoutMs: number;
  anyStaffOption: boolean;
  askFullName: boolean;
  /** Counts confirmations, so each confirmed request gets its own idempotency key; never reset. */
  attempt: number;
  result: BookingResult | null;
  failure: 'unavailable' | 'rejected' | null;
  /** The last menu shown; `null` while nothing can be chosen (loading, booking). */
  menu: ReplyMessage | null;
}

/** Events the machine handles: what clients send, plus its own Back signal. */
export type BookingEvent = UserEvent | { type: 'nav.back' };

/** Where each paged list keeps its items in the context. */
const LIST_FIELD = {
  branch: 'branches',
  service: 'services',
  staff: 'staff',
  date: 'dates',
  time: 'times',
} as const satisfies Record<PagedList, keyof MenuContext>;

/** What a list step's load actor returns, by list. */
export type ListItems = { [L in PagedList]: MenuContext[(typeof LIST_FIELD)[L]] };

/** Params of `storeList`: a list and items of that list. */
export type StoreListParams = { [L in PagedList]: { list: L; items: ListItems[L] } }[PagedList];

const FIRST_PAGES: Record<PagedList, number> = { branch: 0, service: 0, staff: 0, date: 0, time: 0 };

type Settings = Pick<
  BookingContext,
  | 'dialogueId'
  | 'replyTimeoutMs'
  | 'chooseStaff'
  | 'anyStaffOption'
  | 'askFullName'
  | 'displayName'
  | 'linkedPhone'
  | 'attempt'
>;

/** A booking with nothing chosen yet, keeping the settings (and the attempt counter). */
export function freshContext(settings: Settings): BookingContext {
  return {
    ...settings,
    branches: [],
    services: [],
    staff: [],
    dates: [],
    times: [],
    pages: { ...FIRST_PAGES },
    branch: null,
    service: null,
    specialist: null,
    date: null,
    slot: null,
    fullName: null,
    phone: null,
    result: null,
    failure: null,
    menu: null,
  };
}

function inMenu(context: BookingContext, value: string): boolean {
  return context.menu?.options?.some((option) => option.value === value) ?? false;
}

function idAfter(value: string, prefix: string): number {
  return Number(value.slice(prefix.length));
}

export const required = requiredIn('booking');

export function serviceIds(context: BookingContext): number[] {
  return [required(context.service, 'service').id];
}

/** The `book_record` request for the current choices and confirmation attempt. */
export function bookingRequest(context: BookingContext): BookingRequest {
  const slot = required(context.slot, 'time');
  return {
    companyId: required(context.branch, 'branch').id,
    serviceIds: serviceIds(context),
    staffId: context.specialist?.id ?? ANY_STAFF_ID,
    datetime: slot.datetime,
    phone: required(context.phone, 'phone'),
    fullname: clientName(context),
    idempotencyKey: `${context.dialogueId}:booking:${context.attempt}`,
  };
}

/** Every state that waits for the client ends the dialogue when it waited too long. */
export const WAIT = { replyTimeout: '#booking.timedOut' } as const;

/** The actors, guards and actions the booking statechart is drawn with. */
export const bookingSetup = setup({
  types: {
    context: {} as BookingContext,
    events: {} as BookingEvent,
    input: {} as BookingInput,
    emitted: {} as EmittedEvent,
  },
  actors: {
    // Each list step's load actor returns that list's items (list-step.ts relies on it).
    loadBranches: placeholder<ListItems['branch']>('booking', 'loadBranches'),
    loadServices: placeholder<ListItems['service'], ServicesQuery>('booking', 'loadServices'),
    loadStaff: placeholder<ListItems['staff'], StaffQuery>('booking', 'loadStaff'),
    loadDates: placeholder<ListItems['date'], DatesQuery>('booking', 'loadDates'),
    loadTimes: placeholder<ListItems['time'], TimesQuery>('booking', 'loadTimes'),
    createBooking: placeholder<BookingResult, BookingRequest>('booking', 'createBooking'),
  },
  delays: {
    replyTimeout: ({ context }) => context.replyTimeoutMs,
  },
  guards: {
    /** The client pressed exactly this option of the current menu. */
    choiceIs: ({ context, event }, params: { value: string }) =>
      event.type === 'user.choice' && event.value === params.value && inMenu(context, event.value),
    /** The client pressed an option of the current menu carrying an id or page with this prefix. */
    choiceStartsWith: ({ context, event }, params: { prefix: string }) =>
      event.type === 'user.choice' && event.value.startsWith(params.prefix) && inMenu(context, event.value),
    /** A choice that is not in the menu shown last: an old menu, an expired one, or a forged value. */
    staleChoice: ({ context, event }) => event.type === 'user.choice' && !inMenu(context, event.value),
    commandIs: ({ event }, params: { name: Extract<UserEvent, { type: 'user.command' }>['name'] }) =>
      event.type === 'user.command' && event.name === params.name,
    staffStep: ({ context }) => context.chooseStaff,
    fullNameStep: ({ context }) => context.askFullName,
    branchStepShown: ({ context }) => branchStepShown(context),
    /** Phone (and the name, when asked) are already given in this booking. */
    detailsKnown: ({ context }) =>
      context.phone !== null && (!context.askFullName || context.fullName !== null),
    exactlyOne: (_, params: { count: number }) => params.count === 1,
    slotTaken: (_, params: { error: unknown }) =>
      isBookingFailure(params.error) && params.error.kind === 'slot-taken',
    validFullName: (_, params: { text: string }) => parseFullName(params.text) !== null,
    validPhone: (_, params: { raw: string }) => normalizePhone(params.raw) !== null,
  },
  actions: {
    /** A hint, then the current menu again, so the client is never left without a way on. */
    repeatMenu: enqueueActions(({ context, enqueue }, params: { hint: BookingPhraseKey }) => {
      enqueue.emit({ type: 'reply', message: say(params.hint) });
      if (context.menu) enqueue.emit({ type: 'reply', message: context.menu });
    }),
    restart: assign(({ context }) => freshContext(context)),
    turnPage: assign(({ context }, params: { list: PagedList; value: string }) => ({
      pages: { ...context.pages, [params.list]: idAfter(params.value, PREFIX.page) },
    })),
    /** A freshly loaded list, shown from its first page. */
    storeList: assign(({ context }, params: StoreListParams) => ({
      ...({ [LIST_FIELD[params.list]]: params.items } as Partial<BookingContext>),
      pages: { ...context.pages, [params.list]: 0 },
    })),
    chooseOnlyBranch: assign(({ context }) => ({ branch: context.branches[0] ?? null })),
    chooseBranch: assign(({ context }, params: { value: string }) => ({
      branch: context.branches.find((branch) => branch.id === idAfter(params.value, PREFIX.branch)) ?? null,
    })),
    chooseService: assign(({ context }, params: { value: string }) => ({
      service:
        context.services.find((service) => service.id === idAfter(params.value, PREFIX.service)) ?? null,
      // Without a staff step the booking goes to whoever is free.
      specialist: null,
    })),
    chooseSpecialist: assign(({ context }, params: { value: string }) => {
      const id = idAfter(params.value, PREFIX.staff);
      return { specialist: context.staff.find((member) => member.id === id && id !== ANY_STAFF_ID) ?? null };
    }),
    chooseDate: assign((_, params: { value: string }) => ({ date: params.value.slice(PREFIX.date.length) })),
    chooseTime: assign(({ context }, params: { value: string }) => ({
      slot: context.times.find((slot) => slot.time === params.value.slice(PREFIX.time.length)) ?? null,
    })),
    forgetTime: assign({ slot: null }),
    storeFullName: assign((_, params: { text: string }) => ({ fullName: parseFullName(params.text) })),
    /** A shared contact is the chat's own number: remember it for the phone step too. */
    storeContact: assign((_, params: { raw: string }) => {
      const phone = normalizePhone(params.raw);
      return { phone, linkedPhone: phone };
    }),
    rememberContact: assign(({ context, event }) => ({
      linkedPhone:
        (event.type === 'user.contact' ? normalizePhone(event.phone) : null) ?? context.linkedPhone,
    })),
    storeTypedPhone: assign((_, params: { raw: string }) => ({ phone: normalizePhone(params.raw) })),
    useLinkedPhone: assign(({ context }) => ({ phone: context.linkedPhone })),
    nextAttempt: assign(({ context }) => ({ attempt: context.attempt + 1, failure: null })),
    storeResult: assign((_, params: { result: BookingResult }) => ({ result: params.result })),
    storeFailure: assign((_, params: { error: unknown }) => ({
      failure:
        isBookingFailure(params.error) && params.error.kind === 'rejected' ? 'rejected' : 'unavailable',
    })),
  },
}).extend({ actions: menuActions<BookingContext, BookingEvent>() });
