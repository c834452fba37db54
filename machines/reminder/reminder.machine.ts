/**
 * The reminder dialogue: the salon's reminder with Confirm / Cancel, then the visit confirmed or
 * cancelled in Altegio the way the salon chose, or a Cancel refused with its reason.
 *
 * Conventions the runtime and the tests rely on:
 * - The engine starts it with the reminder already rendered (`input.text`); the first reply is that
 *   text with the two options (`reminder.message`, see {@link reminderMenu}).
 * - The menu is the compound state `menu` and its deadline (`after: { menuTtl }`) sits on it, not on
 *   its children: checking a Cancel and refusing it as too late moves between children, so the
 *   deadline keeps counting from the reminder instead of starting again. Leaving `menu` for a write
 *   cancels it: a client who answered in time is never told the menu expired while we work.
 * - A Cancel pressed too late keeps the menu open: the client cannot cancel any more but can still
 *   confirm, and a later Cancel is checked again (cheap, and right if the salon moved the visit).
 * - Writes (`confirming`, `cancelling`) are tried twice, `retryDelay` apart; the client hears at each
 *   step. Reading the record for a Cancel (`checking`) is not retried: nothing was written, so the
 *   client is asked to press again and the menu stays open.
 * - State ids are persisted (snapshots, stored timers): renaming a state or the machine id needs a
 *   new {@link REMINDER_MACHINE_VERSION}.
 *
 * @module
 */
import { assign, emit, setup } from 'xstate';
import {
  type CancellationCheck,
  type CancellationDecision,
  type CancellationQuery,
  type CancellationRules,
  type CancelVisitRequest,
  type ConfirmVisitRequest,
  DEFAULT_RETRY_DELAY_MS,
  decideCancellation,
  describeFailure,
  type ReminderPort,
} from '../../src/domain/reminder.js';
import type { AdminNotifyIntent, EmittedEvent, UserEvent } from '../shared/events.js';
import { pickedValue } from '../shared/menu-choice.js';
import { answerEverythingWith, menuActions, placeholder, portActor } from '../shared/menu-kit.js';
import {
  CHOICE,
  chooseOptionMenu,
  type ReminderChoice,
  type ReminderPhraseKey,
  reminderMenu,
  say,
  tooLateMessage,
  visitParams,
} from './menus.js';
import type { ReminderContext, ReminderInput } from './reminder.input.js';

export type { ReminderContext, ReminderInput, ReminderSettings, ReminderStart } from './reminder.input.js';
export { reminderInput } from './reminder.input.js';

/**
 * Bump when a change makes older persisted snapshots unsafe to resume (renamed states, changed
 * context shape); the runtime ends dialogues of another version politely.
 */
export const REMINDER_MACHINE_VERSION = 1;

/** How many times a write is tried before the client is told it could not be done. */
const WRITE_ATTEMPTS = 2;

/** Events the machine handles: only what clients send (deadlines are `after`). */
export type ReminderEvent = UserEvent;

/** The settings part of the context, as the cancellation rule reads it. */
function rules(context: ReminderContext): CancellationRules {
  return {
    cancelNotLaterThanMs: context.cancelNotLaterThanMs,
    cancellation: context.cancellation,
    protectPrepaid: context.protectPrepaid,
    menuClosesAt: context.menuClosesAt,
  };
}

function target(context: ReminderContext): CancellationQuery {
  return { companyId: context.record.companyId, recordId: context.record.recordId };
}

/** The `confirmVisit` request: by status or by colour, with the stable key of this dialogue's confirmation. */
export function confirmRequest(context: ReminderContext): ConfirmVisitRequest {
  const base = { ...target(context), idempotencyKey: `${context.dialogueId}:${CHOICE.confirm}` };
  return context.confirmation === 'color'
    ? { ...base, how: 'color', color: context.confirmedColor }
    : { ...base, how: 'status' };
}

/** The `cancelVisit` request, with the stable key of this dialogue's cancellation. */
export function cancelRequest(context: ReminderContext): CancelVisitRequest {
  return {
    ...target(context),
    how: context.cancellation,
    idempotencyKey: `${context.dialogueId}:${CHOICE.cancel}`,
  };
}

/** After a failed write: try once more after `retryDelay` (the client is told), else give up. */
const failure = ({ event }: { event: { error: unknown } }) => ({ error: event.error });
const WRITE_FAILED = [
  {
    guard: 'mayRetry',
    target: 'retrying',
    actions: [
      { type: 'countFailure', params: failure },
      { type: 'say', params: { message: say('reminder.retrying') } },
    ],
  },
  { target: 'failed', actions: { type: 'countFailure', params: failure } },
] as const;

type CheckDone = { event: { output: CancellationCheck } };
/** The cancellation rule decided `kind` on the check just read. */
const decidedAs = (kind: CancellationDecision['kind']) =>
  ({ type: 'decided', params: ({ event }: CheckDone) => ({ check: event.output, kind }) }) as const;
const STORE_CHECK = {
  type: 'storeCheck',
  params: ({ event }: CheckDone) => ({ check: event.output }),
} as const;

/** Confirm or Cancel, pressed or typed (a menu number counts): the same either way. */
const PICK = [
  {
    guard: { type: 'picked', params: { value: CHOICE.confirm } },
    target: '#reminder.confirming',
    actions: { type: 'choose', params: { action: CHOICE.confirm } },
  },
  {
    guard: { type: 'picked', params: { value: CHOICE.cancel } },
    target: 'checking',
    actions: { type: 'choose', params: { action: CHOICE.cancel } },
  },
] as const;

/** Replies while a write is on its way or about to be retried: nothing the client sends may change it now. */
const PLEASE_WAIT = answerEverythingWith(say('reminder.pleaseWait'));

/**
 * The reminder statechart. Its actors are placeholders: provide real ones with
 * `reminderMachine.provide({ actors: reminderActors(port) })`.
 *
 * Emits `reply` (to the client) and `admin.notify` (prepaid Cancel refused; a write failed twice).
 * Final states: `confirmed`, `cancelled`, `alreadyCancelled`, `cancelRefused`, `failed` and
 * `timedOut` (the runtime records the last as expired).
 *
 * @example
 * ```ts
 * const actor = createActor(reminderMachine.provide({ actors: reminderActors(port) }), { input });
 * actor.on('reply', ({ message }) => outbox.push(renderReply(message, language)));
 * actor.on('admin.notify', (intent) => admin.tell(intent));
 * actor.start();
 * ```
 */
export const reminderMachine = setup({
  types: {
    context: {} as ReminderContext,
    events: {} as ReminderEvent,
    input: {} as ReminderInput,
    emitted: {} as EmittedEvent,
  },
  actors: {
    confirmVisit: placeholder<void, ConfirmVisitRequest>('reminder', 'confirmVisit'),
    cancelVisit: placeholder<void, CancelVisitRequest>('reminder', 'cancelVisit'),
    checkCancellation: placeholder<CancellationCheck, CancellationQuery>('reminder', 'checkCancellation'),
  },
  delays: {
    menuTtl: ({ context }) => context.confirmMenuTtlMs,
    retryDelay: ({ context }) => context.retryDelayMs,
  },
  guards: {
    /** The client pressed or typed this option of the current menu (a menu number counts). */
    picked: ({ context, event }, params: { value: ReminderChoice }) =>
      pickedValue(context.menu, event) === params.value,
    /** The cancellation rule's verdict on a fresh check. */
    decided: ({ context }, params: { check: CancellationCheck; kind: CancellationDecision['kind'] }) =>
      decideCancellation(rules(context), params.check).kind === params.kind,
    /** The write that just failed may be tried once more. */
    mayRetry: ({ context }) => context.writeFailures + 1 < WRITE_ATTEMPTS,
    actionIs: ({ context }, params: { action: ReminderChoice }) => context.action === params.action,
  },
  actions: {
    choose: assign((_, params: { action: ReminderChoice }) => ({ action: params.action, writeFailures: 0 })),
    /** A fresh read wins over what was known when the reminder was planned (the visit may have moved). */
    storeCheck: assign(({ context }, params: { check: CancellationCheck }) => ({
      record: {
        ...context.record,
        datetime: params.check.record.datetime,
        prepaid: params.check.record.prepaid,
      },
    })),
    countFailure: assign(({ context }, params: { error: unknown }) => ({
      writeFailures: context.writeFailures + 1,
      failure: describeFailure(params.error),
    })),
    notifyAdmin: emit(({ context }, params: { reason: AdminNotifyIntent['reason'] }) => {
      const intent: AdminNotifyIntent = {
        type: 'admin.notify',
        reason: params.reason,
        companyId: context.record.companyId,
        recordId: context.record.recordId,
      };
      if (context.action !== null) intent.action = context.action;
      if (params.reason === 'write-failed' && context.failure !== null) intent.detail = context.failure;
      return intent;
    }),
  },
})
  .extend({ actions: menuActions<ReminderContext, ReminderEvent>() })
  .createMachine({
    id: 'reminder',
    context: ({ input }) => {
      const { issuedAt, retryDelayMs, record, ...kept } = input;
      return {
        ...kept,
        record: { ...record },
        menuClosesAt: issuedAt + input.confirmMenuTtlMs,
        retryDelayMs: retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
        menu: null,
        action: null,
        writeFailures: 0,
        failure: null,
      };
    },
    initial: 'menu',
    // Reached only where a state does not handle the event itself (the menu is open).
    on: answerEverythingWith(chooseOptionMenu(), say('reminder.oldMenu')),

    states: {
      menu: {
        entry: { type: 'show', params: ({ context }) => ({ message: reminderMenu(context.text) }) },
        after: { menuTtl: '#reminder.timedOut' },
        initial: 'waiting',
        states: {
          waiting: {
            on: {
              'user.choice': PICK,
              'user.text': PICK,
            },
          },
          checking: {
            tags: 'busy',
            invoke: {
              src: 'checkCancellation',
              input: ({ context }) => target(context),
              onDone: [
                {
                  guard: decidedAs('menu-closed'),
                  target: '#reminder.timedOut',
                },
                {
                  guard: decidedAs('already-deleted'),
                  target: '#reminder.alreadyCancelled',
                },
                {
                  guard: decidedAs('too-late'),
                  target: 'waiting',
                  actions: [
                    STORE_CHECK,
                    {
                      type: 'say',
                      params: ({ context }) => ({ message: tooLateMessage(context.cancelNotLaterThanMs) }),
                    },
                  ],
                },
                {
                  guard: decidedAs('prepaid-protected'),
                  target: '#reminder.cancelRefused',
                  actions: STORE_CHECK,
                },
                {
                  target: '#reminder.cancelling',
                  actions: STORE_CHECK,
                },
              ],
              onError: {
                target: 'waiting',
                actions: { type: 'say', params: { message: say('reminder.cancel.checkFailed') } },
              },
            },
            on: PLEASE_WAIT,
          },
        },
      },

      confirming: {
        tags: 'busy',
        invoke: {
          src: 'confirmVisit',
          input: ({ context }) => confirmRequest(context),
          onDone: 'confirmed',
          onError: WRITE_FAILED,
        },
        on: PLEASE_WAIT,
      },

      cancelling: {
        tags: 'busy',
        invoke: {
          src: 'cancelVisit',
          input: ({ context }) => cancelRequest(context),
          onDone: 'cancelled',
          onError: WRITE_FAILED,
        },
        on: PLEASE_WAIT,
      },

      // Not busy: it waits on a (durable) timer, not on I/O. A Cancel is written again without a new
      // check: it was allowed when pressed, and the write is idempotent.
      retrying: {
        after: {
          retryDelay: [
            { guard: { type: 'actionIs', params: { action: CHOICE.confirm } }, target: 'confirming' },
            { target: 'cancelling' },
          ],
        },
        on: PLEASE_WAIT,
      },

      confirmed: {
        type: 'final',
        entry: [
          'forgetMenu',
          {
            type: 'say',
            params: ({ context }) => ({
              message: say('reminder.confirmed', visitParams(context.record.datetime)),
            }),
          },
        ],
      },
      cancelled: {
        type: 'final',
        entry: [
          'forgetMenu',
          {
            type: 'say',
            params: ({ context }) => ({
              message: say('reminder.cancelled', visitParams(context.record.datetime)),
            }),
          },
        ],
      },
      alreadyCancelled: {
        type: 'final',
        entry: ['forgetMenu', { type: 'say', params: { message: say('reminder.cancel.already') } }],
      },
      cancelRefused: {
        type: 'final',
        entry: [
          'forgetMenu',
          { type: 'say', params: { message: say('reminder.cancel.prepaid') } },
          { type: 'notifyAdmin', params: { reason: 'prepaid-cancel-refused' } },
        ],
      },
      failed: {
        type: 'final',
        entry: [
          'forgetMenu',
          {
            type: 'say',
            params: ({ context }) => ({ message: say(failedKey(context.action)) }),
          },
          { type: 'notifyAdmin', params: { reason: 'write-failed' } },
        ],
      },
      timedOut: {
        type: 'final',
        entry: ['forgetMenu', { type: 'say', params: { message: say('reminder.timedOut') } }],
      },
    },
  });

function failedKey(action: ReminderChoice | null): ReminderPhraseKey {
  return action === CHOICE.cancel ? 'reminder.failed.cancel' : 'reminder.failed.confirm';
}

/**
 * Wraps a {@link ReminderPort} into the actors `reminderMachine.provide({ actors })` expects,
 * passing each call the abort signal XState fires when the actor is stopped.
 */
export function reminderActors(port: ReminderPort) {
  return {
    confirmVisit: portActor<void, ConfirmVisitRequest>((input, signal) => port.confirmVisit(input, signal)),
    cancelVisit: portActor<void, CancelVisitRequest>((input, signal) => port.cancelVisit(input, signal)),
    checkCancellation: portActor<CancellationCheck, CancellationQuery>((input, signal) =>
      port.checkCancellation(input, signal),
    ),
  };
}
