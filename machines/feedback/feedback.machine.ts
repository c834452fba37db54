/**
 * The feedback dialogue: the salon's feedback request with ratings 1–5; a good rating gets thanks
 * and the branch's review link, a poor one an apology, a task for the admin, and an invitation to
 * write what went wrong.
 *
 * Conventions the runtime and the tests rely on:
 * - The engine starts it with the request already rendered (`input.text`); the first reply is that
 *   text with the five ratings (`feedback.request`, see {@link ratingMenu}).
 * - The rating menu is the compound state `rating` with its deadline (`after: { menuTtl }`) on it, so
 *   a failed save that sends the client back to `asking` does not restart the clock.
 * - After a poor rating the comment gets its own window, `commentWait` (input `commentWaitMs`,
 *   `menuTtlMs` by default), counted from the apology: a client who rated a minute before the menu
 *   closed still has time to write. When it passes, the dialogue ends silently (`noComment`): the
 *   rating is saved and the client was already thanked, so "you can no longer comment" would be noise.
 * - State ids are persisted (snapshots, stored timers): renaming a state or the machine id needs a
 *   new {@link FEEDBACK_MACHINE_VERSION}.
 *
 * @module
 */
import { assign, enqueueActions, setup } from 'xstate';
import {
  type FeedbackPort,
  type FeedbackRecord,
  isPoorRating,
  isRating,
  normalizeComment,
  type Rating,
  type SaveCommentRequest,
  type SaveRatingRequest,
} from '../../src/domain/feedback.js';
import type { EmittedEvent, ReplyMessage, UserEvent } from '../shared/events.js';
import { pickedValue } from '../shared/menu-choice.js';
import { answerEverythingWith, menuActions, placeholder, portActor, requiredIn } from '../shared/menu-kit.js';
import { chooseRatingMenu, ratingMenu, say, thanksMessage } from './menus.js';

/**
 * Bump when a change makes older persisted snapshots unsafe to resume (renamed states, changed
 * context shape); the runtime ends dialogues of another version politely.
 */
export const FEEDBACK_MACHINE_VERSION = 1;

/** What the engine starts a feedback dialogue with: the rendered request, its record, and settings. */
export interface FeedbackInput {
  /** The dialogue's stable id in the store; idempotency keys are `${dialogueId}:rating|comment`. */
  dialogueId: string;
  /** The `feedback` template, rendered by the notify layer in the template's language. */
  text: string;
  record: FeedbackRecord;
  /** `feedback.menuTtl` in ms. */
  menuTtlMs: number;
  /** How long a comment is awaited after a poor rating; `menuTtlMs` when absent. */
  commentWaitMs?: number | undefined;
  /** `feedback.poorRatingAtMost`. */
  poorRatingAtMost: number;
  /** The branch's `reviewLink`; absent or empty when the salon set none. */
  reviewLink?: string | undefined;
  /** `tasks.onPoorRating`. */
  createTaskOnPoorRating: boolean;
}

/** The machine's context: JSON-safe plain data only, since the snapshot is persisted after each event. */
export interface FeedbackContext {
  dialogueId: string;
  text: string;
  record: FeedbackRecord;
  menuTtlMs: number;
  commentWaitMs: number;
  poorRatingAtMost: number;
  reviewLink: string | null;
  createTaskOnPoorRating: boolean;
  /** The rating being saved or saved; `null` until the client chose one. */
  rating: Rating | null;
  /** The comment being saved; `null` until one was written. */
  comment: string | null;
  /** The last menu shown; `null` once no rating can be chosen any more. */
  menu: ReplyMessage | null;
}

/** Events the machine handles: only what clients send (deadlines are `after`). */
export type FeedbackEvent = UserEvent;

/** The rating an event picks from the current menu (a pressed button or a typed digit), if any. */
function ratingOf(context: FeedbackContext, event: FeedbackEvent): Rating | null {
  const value = pickedValue(context.menu, event);
  if (value === null) return null;
  const rating = Number(value);
  return isRating(rating) ? rating : null;
}

const required = requiredIn('feedback');

/** The `saveRating` request, with the stable key of this dialogue's rating. */
export function ratingRequest(context: FeedbackContext): SaveRatingRequest {
  return {
    ...context.record,
    rating: required(context.rating, 'rating'),
    idempotencyKey: `${context.dialogueId}:rating`,
  };
}

/** The `saveComment` request, with the stable key of this dialogue's comment. */
export function commentRequest(context: FeedbackContext): SaveCommentRequest {
  return {
    ...context.record,
    comment: required(context.comment, 'comment'),
    idempotencyKey: `${context.dialogueId}:comment`,
  };
}

/** Replies while a save is on its way: the next answer is read once it settled. */
const PLEASE_WAIT = answerEverythingWith(say('feedback.pleaseWait'));

/**
 * The feedback statechart. Its actors are placeholders: provide real ones with
 * `feedbackMachine.provide({ actors: feedbackActors(port) })`.
 *
 * Emits `reply` (to the client) and, after a poor rating when `createTaskOnPoorRating`,
 * `task.create`. Final states: `thanked`, `commented`, `noComment` and `timedOut` (the runtime
 * records the last as expired).
 *
 * @example
 * ```ts
 * const actor = createActor(feedbackMachine.provide({ actors: feedbackActors(port) }), { input });
 * actor.on('reply', ({ message }) => outbox.push(renderReply(message, language)));
 * actor.on('task.create', (intent) => tasks.create(intent));
 * actor.start();
 * ```
 */
export const feedbackMachine = setup({
  types: {
    context: {} as FeedbackContext,
    events: {} as FeedbackEvent,
    input: {} as FeedbackInput,
    emitted: {} as EmittedEvent,
  },
  actors: {
    saveRating: placeholder<void, SaveRatingRequest>('feedback', 'saveRating'),
    saveComment: placeholder<void, SaveCommentRequest>('feedback', 'saveComment'),
  },
  delays: {
    menuTtl: ({ context }) => context.menuTtlMs,
    commentWait: ({ context }) => context.commentWaitMs,
  },
  guards: {
    /** The client pressed or typed a rating of the current menu. */
    rated: ({ context, event }) => ratingOf(context, event) !== null,
    poor: ({ context }) => context.rating !== null && isPoorRating(context.rating, context.poorRatingAtMost),
    /** A message with something in it besides whitespace. */
    hasComment: (_, params: { text: string }) => normalizeComment(params.text) !== null,
  },
  actions: {
    storeRating: assign(({ context, event }) => ({ rating: ratingOf(context, event) })),
    storeComment: assign((_, params: { text: string }) => ({ comment: normalizeComment(params.text) })),
    /** The admin's task for a poor rating, when the salon wants one (`tasks.onPoorRating`). */
    createTask: enqueueActions(({ context, enqueue }) => {
      if (!context.createTaskOnPoorRating) return;
      enqueue.emit({
        type: 'task.create',
        kind: 'poor-rating',
        companyId: context.record.companyId,
        recordId: context.record.recordId,
        rating: required(context.rating, 'rating'),
      });
    }),
  },
})
  .extend({ actions: menuActions<FeedbackContext, FeedbackEvent>() })
  .createMachine({
    id: 'feedback',
    context: ({ input }) => ({
      dialogueId: input.dialogueId,
      text: input.text,
      record: { companyId: input.record.companyId, recordId: input.record.recordId },
      menuTtlMs: input.menuTtlMs,
      commentWaitMs: input.commentWaitMs ?? input.menuTtlMs,
      poorRatingAtMost: input.poorRatingAtMost,
      reviewLink: input.reviewLink?.trim() || null,
      createTaskOnPoorRating: input.createTaskOnPoorRating,
      rating: null,
      comment: null,
      menu: null,
    }),
    initial: 'rating',
    // Reached only where a state does not handle the event itself (the rating menu is open).
    on: answerEverythingWith(chooseRatingMenu(), say('feedback.oldMenu')),
    states: {
      rating: {
        entry: { type: 'show', params: ({ context }) => ({ message: ratingMenu(context.text) }) },
        after: { menuTtl: '#feedback.timedOut' },
        initial: 'asking',
        states: {
          asking: {
            on: {
              'user.choice': { guard: 'rated', target: 'saving', actions: 'storeRating' },
              'user.text': { guard: 'rated', target: 'saving', actions: 'storeRating' },
            },
          },
          saving: {
            tags: 'busy',
            invoke: {
              src: 'saveRating',
              input: ({ context }) => ratingRequest(context),
              onDone: [{ guard: 'poor', target: '#feedback.commenting' }, { target: '#feedback.thanked' }],
              // Nothing was stored: the menu is still open, so the client can simply answer again.
              onError: {
                target: 'asking',
                actions: { type: 'say', params: { message: say('feedback.saveFailed') } },
              },
            },
            on: PLEASE_WAIT,
          },
        },
      },

      commenting: {
        entry: ['forgetMenu', { type: 'say', params: { message: say('feedback.poor') } }, 'createTask'],
        after: { commentWait: '#feedback.noComment' },
        initial: 'waiting',
        states: {
          waiting: {
            on: {
              'user.text': [
                {
                  guard: { type: 'hasComment', params: ({ event }) => ({ text: event.text }) },
                  target: 'saving',
                  actions: { type: 'storeComment', params: ({ event }) => ({ text: event.text }) },
                },
                { actions: { type: 'say', params: { message: say('feedback.commentHint') } } },
              ],
              // A rating button of the request pressed again: the rating stands, a comment is what we want.
              'user.choice': { actions: { type: 'say', params: { message: say('feedback.alreadyRated') } } },
              'user.contact': { actions: { type: 'say', params: { message: say('feedback.commentHint') } } },
              'user.command': { actions: { type: 'say', params: { message: say('feedback.commentHint') } } },
            },
          },
          saving: {
            tags: 'busy',
            invoke: {
              src: 'saveComment',
              input: ({ context }) => commentRequest(context),
              onDone: '#feedback.commented',
              onError: {
                target: 'waiting',
                actions: { type: 'say', params: { message: say('feedback.commentFailed') } },
              },
            },
            on: PLEASE_WAIT,
          },
        },
      },

      thanked: {
        type: 'final',
        entry: [
          'forgetMenu',
          { type: 'say', params: ({ context }) => ({ message: thanksMessage(context.reviewLink) }) },
        ],
      },
      commented: {
        type: 'final',
        entry: { type: 'say', params: { message: say('feedback.commentThanks') } },
      },
      noComment: { type: 'final' },
      timedOut: {
        type: 'final',
        entry: ['forgetMenu', { type: 'say', params: { message: say('feedback.timedOut') } }],
      },
    },
  });

/**
 * Wraps a {@link FeedbackPort} into the actors `feedbackMachine.provide({ actors })` expects,
 * passing each call the abort signal XState fires when the actor is stopped.
 */
export function feedbackActors(port: FeedbackPort) {
  return {
    saveRating: portActor<void, SaveRatingRequest>((input, signal) => port.saveRating(input, signal)),
    saveComment: portActor<void, SaveCommentRequest>((input, signal) => port.saveComment(input, signal)),
  };
}
