/**
 * The shape every list step of the booking shares (branch, service, staff, date, time):
 *
 * ```
 * loading (busy) ──done──▶ choosing ──pick──▶ next step
 *    ▲  └──error──▶ failed ──Retry──┘ (page buttons re-enter choosing)
 * ```
 *
 * `loading` forgets the menu (nothing can be chosen while it runs), invokes the step's load actor
 * and stores the list from its first page. `failed` offers Retry (and Back when there is a step to go
 * back to); `choosing` shows the step's menu, turns pages, and moves on when an item is picked.
 * Both wait at most `replyTimeout`. State ids are those of the persisted snapshots: `<step>.loading`,
 * `<step>.failed`, `<step>.choosing`.
 *
 * @module
 */
import { and } from 'xstate';
import type { DatesQuery, ServicesQuery, StaffQuery, TimesQuery } from '../../src/domain/booking.js';
import type { ReplyMessage } from '../shared/events.js';
import {
  type BookingContext,
  bookingSetup,
  type ListItems,
  type StoreListParams,
  WAIT,
} from './booking.setup.js';
import { CHOICE, loadFailedMenu, type PagedList, PREFIX } from './menus.js';

/** A guard on the booking's settings or progress, read when choosing where to go. */
type StepGuard = 'staffStep' | 'fullNameStep' | 'detailsKnown' | 'branchStepShown';

/** Where a transition goes: the first whose guard holds (or that has none) wins. */
interface Route {
  guard?: StepGuard;
  target: string;
}

/** The invoke of a step's `loading`: its load actor and what it is asked. */
type Load<L extends PagedList> = {
  branch: { src: 'loadBranches' };
  service: { src: 'loadServices'; input: Input<ServicesQuery> };
  staff: { src: 'loadStaff'; input: Input<StaffQuery> };
  date: { src: 'loadDates'; input: Input<DatesQuery> };
  time: { src: 'loadTimes'; input: Input<TimesQuery> };
}[L];

type Input<Q> = (args: { context: BookingContext }) => Q;

/** How one list step is drawn. */
export interface ListStep<L extends PagedList> {
  list: L;
  load: Load<L>;
  /** The step's menu, built from the stored list and its page. */
  menu: (context: BookingContext) => ReplyMessage;
  /** The action that stores the picked item (`params: { value }`, the option's value). */
  choose: 'chooseBranch' | 'chooseService' | 'chooseSpecialist' | 'chooseDate' | 'chooseTime';
  /** Where a picked item leads. */
  next: Route[];
  /** Where Back leads (`nav.back`); none on the first step. */
  back: Route[];
  /** Whether the load-failed menu offers Back; by default whenever `back` is set. */
  hasBack?: (context: BookingContext) => boolean;
  /** Where to go straight on when the list has exactly one item, chosen with `chooseOnly`. */
  onlyOne?: { target: string; chooseOnly: 'chooseOnlyBranch' };
}

function routes(routes: Route[], base: { type: 'choiceStartsWith'; params: { prefix: string } }) {
  return routes.map((route) => ({
    guard: route.guard ? and([base, route.guard]) : base,
    target: route.target,
  }));
}

/** The compound state of a list step: `loading`, `failed`, `choosing`. */
export function listStep<L extends PagedList>(step: ListStep<L>) {
  const { list } = step;
  const hasBack = step.hasBack ?? (() => step.back.length > 0);
  // The invoke is spread from `load`, so TypeScript no longer ties `event.output` to its actor; the
  // actors are declared with `ListItems` (booking.setup.ts), so each returns its list's items.
  const store = {
    type: 'storeList',
    params: ({ event }: { event: { output: unknown } }) =>
      ({ list, items: event.output as ListItems[L] }) as StoreListParams,
  } as const;
  const pick = { type: 'choiceStartsWith', params: { prefix: PREFIX[list] } } as const;
  const choose = {
    type: step.choose,
    params: ({ event }: { event: { value: string } }) => ({ value: event.value }),
  } as const;
  return bookingSetup.createStateConfig({
    initial: 'loading',
    ...(step.back.length > 0 ? { on: { 'nav.back': step.back } } : {}),
    states: {
      loading: {
        tags: 'busy',
        entry: 'forgetMenu',
        invoke: {
          ...step.load,
          onDone: [
            ...(step.onlyOne
              ? [
                  {
                    guard: {
                      type: 'exactlyOne',
                      params: ({ event }: { event: { output: unknown } }) => ({
                        count: (event.output as ListItems[L]).length,
                      }),
                    },
                    target: step.onlyOne.target,
                    actions: [store, step.onlyOne.chooseOnly],
                  } as const,
                ]
              : []),
            { target: 'choosing', actions: store },
          ],
          onError: 'failed',
        },
      },
      failed: {
        entry: { type: 'show', params: ({ context }) => ({ message: loadFailedMenu(hasBack(context)) }) },
        after: WAIT,
        on: {
          'user.choice': { guard: { type: 'choiceIs', params: { value: CHOICE.retry } }, target: 'loading' },
        },
      },
      choosing: {
        entry: { type: 'show', params: ({ context }) => ({ message: step.menu(context) }) },
        after: WAIT,
        on: {
          'user.choice': [
            {
              guard: { type: 'choiceStartsWith', params: { prefix: PREFIX.page } },
              target: 'choosing',
              reenter: true,
              actions: { type: 'turnPage', params: ({ event }) => ({ list, value: event.value }) },
            },
            ...routes(step.next, pick).map((route) => ({ ...route, actions: choose })),
          ],
        },
      },
    },
  });
}
