/**
 * The online booking dialogue: branch → service → (staff) → date → time → (full name) → phone →
 * summary → booking in Altegio.
 *
 * Conventions the runtime and the tests rely on:
 * - Each step that loads data is a compound state `loading` (tag `busy`) → `choosing`, or `failed`
 *   when the load rejected (Retry). Every state that waits for the client has
 *   `after: { replyTimeout }` and ends in the final state `timedOut`.
 * - The last menu sent is kept in context (`menu`): a `user.choice` whose value is not among its
 *   options came from an old or forged menu and changes nothing.
 * - Back and Cancel are handled once, at the root: Back raises `nav.back`, which each step maps to
 *   the previous step the client actually saw (the root's own `nav.back` answers "first step").
 * - State ids are persisted (snapshots, stored timers): renaming a state or the machine id needs
 *   a new {@link BOOKING_MACHINE_VERSION}.
 *
 * @module
 */
import { and, assign, emit, enqueueActions, fromPromise, raise, setup } from 'xstate';
import {
  ANY_STAFF_ID,
  type BookingPort,
  type BookingRequest,
  type BookingResult,
  type Branch,
  type DatesQuery,
  isBookingFailure,
  parseFullName,
  type Service,
  type ServicesQuery,
  type Staff,
  type StaffQuery,
  type TimeSlot,
  type TimesQuery,
} from '../../src/domain/booking.js';
import { normalizePhone } from '../../src/domain/phone.js';
import type { EmittedEvent, ReplyMessage, UserEvent } from '../shared/events.js';
import { notProvided } from '../shared/not-provided.js';
import { answerEverythingWith } from '../shared/please-wait.js';
import {
  type BookingPhraseKey,
  branchMenu,
  branchStepShown,
  CHOICE,
  clientName,
  creationFailedMenu,
  dateMenu,
  doneMessage,
  fullNameMenu,
  loadFailedMenu,
  type MenuContext,
  type PagedList,
  PREFIX,
  phoneMenu,
  say,
  serviceMenu,
  staffMenu,
  summaryMenu,
  timeMenu,
} from './menus.js';

/**
 * Bump when a change makes older persisted snapshots unsafe to resume (renamed states, changed
 * context shape); the runtime ends dialogues of another version politely.
 */
export const BOOKING_MACHINE_VERSION = 1;

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

function freshContext(settings: Settings): BookingContext {
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

function required<T>(value: T | null, what: string): T {
  // Unreachable by construction (each step is entered only after the previous one chose); failing
  // loudly beats sending Altegio a half-empty booking.
  if (value === null) throw new Error(`booking: ${what} is not chosen yet`);
  return value;
}

function serviceIds(context: BookingContext): number[] {
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

const WAIT = { replyTimeout: '#booking.timedOut' } as const;

/**
 * The booking statechart. Its actors are placeholders: provide real ones with
 * `bookingMachine.provide({ actors: bookingActors(port) })`.
 *
 * @example
 * ```ts
 * const actor = createActor(bookingMachine.provide({ actors: bookingActors(port) }), { input });
 * actor.on('reply', ({ message }) => outbox.push(renderReply(message, 'en')));
 * actor.start();
 * ```
 */
export const bookingMachine = setup({
  types: {
    context: {} as BookingContext,
    events: {} as BookingEvent,
    input: {} as BookingInput,
    emitted: {} as EmittedEvent,
  },
  actors: {
    loadBranches: fromPromise<Branch[]>(notProvided('booking', 'loadBranches')),
    loadServices: fromPromise<Service[], ServicesQuery>(notProvided('booking', 'loadServices')),
    loadStaff: fromPromise<Staff[], StaffQuery>(notProvided('booking', 'loadStaff')),
    loadDates: fromPromise<string[], DatesQuery>(notProvided('booking', 'loadDates')),
    loadTimes: fromPromise<TimeSlot[], TimesQuery>(notProvided('booking', 'loadTimes')),
    createBooking: fromPromise<BookingResult, BookingRequest>(notProvided('booking', 'createBooking')),
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
    /** Sends a menu and remembers it, so later choices can be checked against it. */
    show: enqueueActions(({ enqueue }, params: { message: ReplyMessage }) => {
      enqueue.assign({ menu: params.message });
      enqueue.emit({ type: 'reply', message: params.message });
    }),
    say: emit((_, params: { message: ReplyMessage }) => ({
      type: 'reply' as const,
      message: params.message,
    })),
    /** A hint, then the current menu again, so the client is never left without a way on. */
    repeatMenu: enqueueActions(({ context, enqueue }, params: { hint: BookingPhraseKey }) => {
      enqueue.emit({ type: 'reply', message: say(params.hint) });
      if (context.menu) enqueue.emit({ type: 'reply', message: context.menu });
    }),
    forgetMenu: assign({ menu: null }),
    restart: assign(({ context }) => freshContext(context)),
    turnPage: assign(({ context }, params: { list: PagedList; value: string }) => ({
      pages: { ...context.pages, [params.list]: idAfter(params.value, PREFIX.page) },
    })),
    storeBranches: assign(({ context }, params: { branches: Branch[] }) => ({
      branches: params.branches,
      pages: { ...context.pages, branch: 0 },
    })),
    chooseOnlyBranch: assign(({ context }) => ({ branch: context.branches[0] ?? null })),
    chooseBranch: assign(({ context }, params: { value: string }) => ({
      branch: context.branches.find((branch) => branch.id === idAfter(params.value, PREFIX.branch)) ?? null,
    })),
    storeServices: assign(({ context }, params: { services: Service[] }) => ({
      services: params.services,
      pages: { ...context.pages, service: 0 },
    })),
    chooseService: assign(({ context }, params: { value: string }) => ({
      service:
        context.services.find((service) => service.id === idAfter(params.value, PREFIX.service)) ?? null,
      // Without a staff step the booking goes to whoever is free.
      specialist: null,
    })),
    storeStaff: assign(({ context }, params: { staff: Staff[] }) => ({
      staff: params.staff,
      pages: { ...context.pages, staff: 0 },
    })),
    chooseSpecialist: assign(({ context }, params: { value: string }) => {
      const id = idAfter(params.value, PREFIX.staff);
      return { specialist: context.staff.find((member) => member.id === id && id !== ANY_STAFF_ID) ?? null };
    }),
    storeDates: assign(({ context }, params: { dates: string[] }) => ({
      dates: params.dates,
      pages: { ...context.pages, date: 0 },
    })),
    chooseDate: assign((_, params: { value: string }) => ({ date: params.value.slice(PREFIX.date.length) })),
    storeTimes: assign(({ context }, params: { times: TimeSlot[] }) => ({
      times: params.times,
      pages: { ...context.pages, time: 0 },
    })),
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
}).createMachine({
  id: 'booking',
  context: ({ input }) =>
    freshContext({
      dialogueId: input.dialogueId,
      replyTimeoutMs: input.replyTimeoutMs,
      chooseStaff: input.chooseStaff,
      anyStaffOption: input.anyStaffOption,
      askFullName: input.askFullName,
      displayName: input.displayName?.trim() || null,
      linkedPhone: normalizePhone(input.phone),
      attempt: 0,
    }),
  initial: 'branch',
  on: {
    'user.command': [
      { guard: { type: 'commandIs', params: { name: 'cancel' } }, target: '.cancelled' },
      { guard: { type: 'commandIs', params: { name: 'back' } }, actions: raise({ type: 'nav.back' }) },
      // /start and /book begin again; the attempt counter survives so idempotency keys stay unique.
      { target: '.branch', reenter: true, actions: 'restart' },
    ],
    'user.choice': [
      { guard: 'staleChoice', actions: { type: 'say', params: { message: say('booking.oldMenu') } } },
      { guard: { type: 'choiceIs', params: { value: CHOICE.cancel } }, target: '.cancelled' },
      { guard: { type: 'choiceIs', params: { value: CHOICE.back } }, actions: raise({ type: 'nav.back' }) },
      // In the menu but not meant for this step (cannot happen with menus built here).
      { actions: { type: 'say', params: { message: say('booking.oldMenu') } } },
    ],
    'user.text': { actions: { type: 'repeatMenu', params: { hint: 'booking.chooseOption' } } },
    'user.contact': {
      actions: ['rememberContact', { type: 'repeatMenu', params: { hint: 'booking.phone.saved' } }],
    },
    // Reached only where no step handles Back: the first step shown.
    'nav.back': { actions: { type: 'repeatMenu', params: { hint: 'booking.firstStep' } } },
  },
  states: {
    branch: {
      initial: 'loading',
      states: {
        loading: {
          tags: 'busy',
          entry: 'forgetMenu',
          invoke: {
            src: 'loadBranches',
            onDone: [
              {
                guard: { type: 'exactlyOne', params: ({ event }) => ({ count: event.output.length }) },
                target: '#booking.service',
                actions: [
                  { type: 'storeBranches', params: ({ event }) => ({ branches: event.output }) },
                  'chooseOnlyBranch',
                ],
              },
              {
                target: 'choosing',
                actions: { type: 'storeBranches', params: ({ event }) => ({ branches: event.output }) },
              },
            ],
            onError: 'failed',
          },
        },
        failed: {
          entry: { type: 'show', params: { message: loadFailedMenu(false) } },
          after: WAIT,
          on: {
            'user.choice': {
              guard: { type: 'choiceIs', params: { value: CHOICE.retry } },
              target: 'loading',
            },
          },
        },
        choosing: {
          entry: { type: 'show', params: ({ context }) => ({ message: branchMenu(context) }) },
          after: WAIT,
          on: {
            'user.choice': [
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.page } },
                target: 'choosing',
                reenter: true,
                actions: {
                  type: 'turnPage',
                  params: ({ event }) => ({ list: 'branch', value: event.value }),
                },
              },
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.branch } },
                target: '#booking.service',
                actions: { type: 'chooseBranch', params: ({ event }) => ({ value: event.value }) },
              },
            ],
          },
        },
      },
    },

    service: {
      initial: 'loading',
      on: { 'nav.back': { guard: 'branchStepShown', target: '#booking.branch.choosing' } },
      states: {
        loading: {
          tags: 'busy',
          entry: 'forgetMenu',
          invoke: {
            src: 'loadServices',
            input: ({ context }) => ({ companyId: required(context.branch, 'branch').id }),
            onDone: {
              target: 'choosing',
              actions: { type: 'storeServices', params: ({ event }) => ({ services: event.output }) },
            },
            onError: 'failed',
          },
        },
        failed: {
          entry: {
            type: 'show',
            params: ({ context }) => ({ message: loadFailedMenu(branchStepShown(context)) }),
          },
          after: WAIT,
          on: {
            'user.choice': {
              guard: { type: 'choiceIs', params: { value: CHOICE.retry } },
              target: 'loading',
            },
          },
        },
        choosing: {
          entry: { type: 'show', params: ({ context }) => ({ message: serviceMenu(context) }) },
          after: WAIT,
          on: {
            'user.choice': [
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.page } },
                target: 'choosing',
                reenter: true,
                actions: {
                  type: 'turnPage',
                  params: ({ event }) => ({ list: 'service', value: event.value }),
                },
              },
              {
                guard: and([{ type: 'choiceStartsWith', params: { prefix: PREFIX.service } }, 'staffStep']),
                target: '#booking.staff',
                actions: { type: 'chooseService', params: ({ event }) => ({ value: event.value }) },
              },
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.service } },
                target: '#booking.date',
                actions: { type: 'chooseService', params: ({ event }) => ({ value: event.value }) },
              },
            ],
          },
        },
      },
    },

    staff: {
      initial: 'loading',
      on: { 'nav.back': { target: '#booking.service.choosing' } },
      states: {
        loading: {
          tags: 'busy',
          entry: 'forgetMenu',
          invoke: {
            src: 'loadStaff',
            input: ({ context }) => ({
              companyId: required(context.branch, 'branch').id,
              serviceIds: serviceIds(context),
            }),
            onDone: {
              target: 'choosing',
              actions: { type: 'storeStaff', params: ({ event }) => ({ staff: event.output }) },
            },
            onError: 'failed',
          },
        },
        failed: {
          entry: { type: 'show', params: { message: loadFailedMenu(true) } },
          after: WAIT,
          on: {
            'user.choice': {
              guard: { type: 'choiceIs', params: { value: CHOICE.retry } },
              target: 'loading',
            },
          },
        },
        choosing: {
          entry: {
            type: 'show',
            params: ({ context }) => ({ message: staffMenu(context, context.anyStaffOption) }),
          },
          after: WAIT,
          on: {
            'user.choice': [
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.page } },
                target: 'choosing',
                reenter: true,
                actions: { type: 'turnPage', params: ({ event }) => ({ list: 'staff', value: event.value }) },
              },
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.staff } },
                target: '#booking.date',
                actions: { type: 'chooseSpecialist', params: ({ event }) => ({ value: event.value }) },
              },
            ],
          },
        },
      },
    },

    date: {
      initial: 'loading',
      on: {
        'nav.back': [
          { guard: 'staffStep', target: '#booking.staff.choosing' },
          { target: '#booking.service.choosing' },
        ],
      },
      states: {
        loading: {
          tags: 'busy',
          entry: 'forgetMenu',
          invoke: {
            src: 'loadDates',
            input: ({ context }) => ({
              companyId: required(context.branch, 'branch').id,
              serviceIds: serviceIds(context),
              staffId: context.specialist?.id ?? ANY_STAFF_ID,
            }),
            onDone: {
              target: 'choosing',
              actions: { type: 'storeDates', params: ({ event }) => ({ dates: event.output }) },
            },
            onError: 'failed',
          },
        },
        failed: {
          entry: { type: 'show', params: { message: loadFailedMenu(true) } },
          after: WAIT,
          on: {
            'user.choice': {
              guard: { type: 'choiceIs', params: { value: CHOICE.retry } },
              target: 'loading',
            },
          },
        },
        choosing: {
          entry: { type: 'show', params: ({ context }) => ({ message: dateMenu(context) }) },
          after: WAIT,
          on: {
            'user.choice': [
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.page } },
                target: 'choosing',
                reenter: true,
                actions: { type: 'turnPage', params: ({ event }) => ({ list: 'date', value: event.value }) },
              },
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.date } },
                target: '#booking.time',
                actions: { type: 'chooseDate', params: ({ event }) => ({ value: event.value }) },
              },
            ],
          },
        },
      },
    },

    time: {
      initial: 'loading',
      on: { 'nav.back': { target: '#booking.date.choosing' } },
      states: {
        loading: {
          tags: 'busy',
          entry: 'forgetMenu',
          invoke: {
            src: 'loadTimes',
            input: ({ context }) => ({
              companyId: required(context.branch, 'branch').id,
              serviceIds: serviceIds(context),
              staffId: context.specialist?.id ?? ANY_STAFF_ID,
              date: required(context.date, 'date'),
            }),
            onDone: {
              target: 'choosing',
              actions: { type: 'storeTimes', params: ({ event }) => ({ times: event.output }) },
            },
            onError: 'failed',
          },
        },
        failed: {
          entry: { type: 'show', params: { message: loadFailedMenu(true) } },
          after: WAIT,
          on: {
            'user.choice': {
              guard: { type: 'choiceIs', params: { value: CHOICE.retry } },
              target: 'loading',
            },
          },
        },
        choosing: {
          entry: { type: 'show', params: ({ context }) => ({ message: timeMenu(context) }) },
          after: WAIT,
          on: {
            'user.choice': [
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.page } },
                target: 'choosing',
                reenter: true,
                actions: { type: 'turnPage', params: ({ event }) => ({ list: 'time', value: event.value }) },
              },
              // Back at the times after a taken slot (or via Back): what was typed already stands.
              {
                guard: and([{ type: 'choiceStartsWith', params: { prefix: PREFIX.time } }, 'detailsKnown']),
                target: '#booking.summary',
                actions: { type: 'chooseTime', params: ({ event }) => ({ value: event.value }) },
              },
              {
                guard: and([{ type: 'choiceStartsWith', params: { prefix: PREFIX.time } }, 'fullNameStep']),
                target: '#booking.fullName',
                actions: { type: 'chooseTime', params: ({ event }) => ({ value: event.value }) },
              },
              {
                guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.time } },
                target: '#booking.phone',
                actions: { type: 'chooseTime', params: ({ event }) => ({ value: event.value }) },
              },
            ],
          },
        },
      },
    },

    fullName: {
      entry: { type: 'show', params: { message: fullNameMenu() } },
      after: WAIT,
      on: {
        'user.text': [
          {
            guard: { type: 'validFullName', params: ({ event }) => ({ text: event.text }) },
            target: 'phone',
            actions: { type: 'storeFullName', params: ({ event }) => ({ text: event.text }) },
          },
          {
            target: 'fullName',
            reenter: true,
            actions: { type: 'say', params: { message: say('booking.fullName.invalid') } },
          },
        ],
        'nav.back': { target: '#booking.time.choosing' },
      },
    },

    phone: {
      entry: { type: 'show', params: ({ context }) => ({ message: phoneMenu(context) }) },
      after: WAIT,
      on: {
        'user.contact': [
          {
            guard: { type: 'validPhone', params: ({ event }) => ({ raw: event.phone }) },
            target: 'summary',
            actions: { type: 'storeContact', params: ({ event }) => ({ raw: event.phone }) },
          },
          {
            target: 'phone',
            reenter: true,
            actions: { type: 'say', params: { message: say('booking.phone.invalid') } },
          },
        ],
        'user.text': [
          {
            guard: { type: 'validPhone', params: ({ event }) => ({ raw: event.text }) },
            target: 'summary',
            actions: { type: 'storeTypedPhone', params: ({ event }) => ({ raw: event.text }) },
          },
          {
            target: 'phone',
            reenter: true,
            actions: { type: 'say', params: { message: say('booking.phone.invalid') } },
          },
        ],
        'user.choice': {
          guard: { type: 'choiceIs', params: { value: CHOICE.linkedPhone } },
          target: 'summary',
          actions: 'useLinkedPhone',
        },
        'nav.back': [{ guard: 'fullNameStep', target: 'fullName' }, { target: '#booking.time.choosing' }],
      },
    },

    summary: {
      entry: { type: 'show', params: ({ context }) => ({ message: summaryMenu(context) }) },
      after: WAIT,
      on: {
        'user.choice': {
          guard: { type: 'choiceIs', params: { value: CHOICE.confirm } },
          target: 'creating',
          actions: 'nextAttempt',
        },
        'nav.back': { target: 'phone' },
      },
    },

    creating: {
      tags: 'busy',
      entry: 'forgetMenu',
      invoke: {
        src: 'createBooking',
        input: ({ context }) => bookingRequest(context),
        onDone: {
          target: 'done',
          actions: { type: 'storeResult', params: ({ event }) => ({ result: event.output }) },
        },
        onError: [
          {
            guard: { type: 'slotTaken', params: ({ event }) => ({ error: event.error }) },
            target: '#booking.time.loading',
            actions: ['forgetTime', { type: 'say', params: { message: say('booking.slotTaken') } }],
          },
          {
            target: 'creationFailed',
            actions: { type: 'storeFailure', params: ({ event }) => ({ error: event.error }) },
          },
        ],
      },
      // The write may already be on its way: neither Cancel nor a restart may pretend otherwise.
      on: answerEverythingWith(say('booking.pleaseWait')),
    },

    creationFailed: {
      entry: {
        type: 'show',
        params: ({ context }) => ({ message: creationFailedMenu(context.failure ?? 'unavailable') }),
      },
      after: WAIT,
      on: {
        // The same attempt, so the same idempotency key: an "unavailable" write may have landed.
        'user.choice': { guard: { type: 'choiceIs', params: { value: CHOICE.retry } }, target: 'creating' },
        'nav.back': { target: 'summary' },
      },
    },

    done: {
      type: 'final',
      entry: [
        'forgetMenu',
        {
          type: 'say',
          params: ({ context }) => ({ message: doneMessage(context, required(context.result, 'result')) }),
        },
      ],
    },
    cancelled: {
      type: 'final',
      entry: ['forgetMenu', { type: 'say', params: { message: say('booking.cancelled') } }],
    },
    timedOut: {
      type: 'final',
      entry: ['forgetMenu', { type: 'say', params: { message: say('booking.timedOut') } }],
    },
  },
});

/**
 * Wraps a {@link BookingPort} into the actors `bookingMachine.provide({ actors })` expects, passing
 * each call the abort signal XState fires when the client leaves the step.
 */
export function bookingActors(port: BookingPort) {
  return {
    loadBranches: fromPromise<Branch[]>(({ signal }) => port.loadBranches(signal)),
    loadServices: fromPromise<Service[], ServicesQuery>(({ input, signal }) =>
      port.loadServices(input, signal),
    ),
    loadStaff: fromPromise<Staff[], StaffQuery>(({ input, signal }) => port.loadStaff(input, signal)),
    loadDates: fromPromise<string[], DatesQuery>(({ input, signal }) => port.loadDates(input, signal)),
    loadTimes: fromPromise<TimeSlot[], TimesQuery>(({ input, signal }) => port.loadTimes(input, signal)),
    createBooking: fromPromise<BookingResult, BookingRequest>(({ input, signal }) =>
      port.createBooking(input, signal),
    ),
  };
}
