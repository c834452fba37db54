/**
 * The online booking dialogue: branch → service → (staff) → date → time → (full name) → phone →
 * summary → booking in Altegio.
 *
 * Conventions the runtime and the tests rely on:
 * - Each step that loads data is a compound state `loading` (tag `busy`) → `choosing`, or `failed`
 *   when the load rejected (Retry), drawn by {@link listStep}. Every state that waits for the client
 *   has `after: { replyTimeout }` and ends in the final state `timedOut`.
 * - The last menu sent is kept in context (`menu`): a `user.choice` whose value is not among its
 *   options came from an old or forged menu and changes nothing.
 * - Back and Cancel are handled once, at the root: Back raises `nav.back`, which each step maps to
 *   the previous step the client actually saw (the root's own `nav.back` answers "first step").
 * - State ids are persisted (snapshots, stored timers): renaming a state or the machine id needs
 *   a new {@link BOOKING_MACHINE_VERSION}.
 *
 * @module
 */
import { raise } from 'xstate';
import { ANY_STAFF_ID, type BookingPort } from '../../src/domain/booking.js';
import { normalizePhone } from '../../src/domain/phone.js';
import { answerEverythingWith, portActor } from '../shared/menu-kit.js';
import { bookingRequest, bookingSetup, freshContext, required, serviceIds, WAIT } from './booking.setup.js';
import { listStep } from './list-step.js';
import {
  branchMenu,
  branchStepShown,
  CHOICE,
  creationFailedMenu,
  dateMenu,
  doneMessage,
  fullNameMenu,
  phoneMenu,
  say,
  serviceMenu,
  staffMenu,
  summaryMenu,
  timeMenu,
} from './menus.js';

export {
  type BookingContext,
  type BookingEvent,
  type BookingInput,
  bookingRequest,
} from './booking.setup.js';

/**
 * Bump when a change makes older persisted snapshots unsafe to resume (renamed states, changed
 * context shape); the runtime ends dialogues of another version politely.
 */
export const BOOKING_MACHINE_VERSION = 1;

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
export const bookingMachine = bookingSetup.createMachine({
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
    // With one branch the step is skipped (never shown), so the service step has no Back then.
    branch: listStep({
      list: 'branch',
      load: { src: 'loadBranches' },
      menu: branchMenu,
      choose: 'chooseBranch',
      next: [{ target: '#booking.service' }],
      back: [],
      onlyOne: { target: '#booking.service', chooseOnly: 'chooseOnlyBranch' },
    }),

    service: listStep({
      list: 'service',
      load: {
        src: 'loadServices',
        input: ({ context }) => ({ companyId: required(context.branch, 'branch').id }),
      },
      menu: serviceMenu,
      choose: 'chooseService',
      next: [{ guard: 'staffStep', target: '#booking.staff' }, { target: '#booking.date' }],
      back: [{ guard: 'branchStepShown', target: '#booking.branch.choosing' }],
      hasBack: branchStepShown,
    }),

    staff: listStep({
      list: 'staff',
      load: {
        src: 'loadStaff',
        input: ({ context }) => ({
          companyId: required(context.branch, 'branch').id,
          serviceIds: serviceIds(context),
        }),
      },
      menu: (context) => staffMenu(context, context.anyStaffOption),
      choose: 'chooseSpecialist',
      next: [{ target: '#booking.date' }],
      back: [{ target: '#booking.service.choosing' }],
    }),

    date: listStep({
      list: 'date',
      load: {
        src: 'loadDates',
        input: ({ context }) => ({
          companyId: required(context.branch, 'branch').id,
          serviceIds: serviceIds(context),
          staffId: context.specialist?.id ?? ANY_STAFF_ID,
        }),
      },
      menu: dateMenu,
      choose: 'chooseDate',
      next: [{ target: '#booking.time' }],
      back: [
        { guard: 'staffStep', target: '#booking.staff.choosing' },
        { target: '#booking.service.choosing' },
      ],
    }),

    time: listStep({
      list: 'time',
      load: {
        src: 'loadTimes',
        input: ({ context }) => ({
          companyId: required(context.branch, 'branch').id,
          serviceIds: serviceIds(context),
          staffId: context.specialist?.id ?? ANY_STAFF_ID,
          date: required(context.date, 'date'),
        }),
      },
      menu: timeMenu,
      choose: 'chooseTime',
      next: [
        // Back at the times after a taken slot (or via Back): what was typed already stands.
        { guard: 'detailsKnown', target: '#booking.summary' },
        { guard: 'fullNameStep', target: '#booking.fullName' },
        { target: '#booking.phone' },
      ],
      back: [{ target: '#booking.date.choosing' }],
    }),

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
    loadBranches: portActor((_: unknown, signal) => port.loadBranches(signal)),
    loadServices: portActor(port.loadServices.bind(port)),
    loadStaff: portActor(port.loadStaff.bind(port)),
    loadDates: portActor(port.loadDates.bind(port)),
    loadTimes: portActor(port.loadTimes.bind(port)),
    createBooking: portActor(port.createBooking.bind(port)),
  };
}
