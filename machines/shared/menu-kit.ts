/**
 * What every dialogue machine does the same way: send a menu and remember it, say a line, forget
 * the menu, fail loudly on a value that construction guarantees, declare its I/O actors as
 * placeholders and wrap the runtime's port calls as actors.
 *
 * @module
 */
import {
  assign,
  type EventObject,
  emit,
  enqueueActions,
  fromPromise,
  type NonReducibleUnknown,
} from 'xstate';
import type { EmittedEvent, ReplyMessage } from './events.js';

/** The part of a machine's context the menu actions touch: the last menu shown. */
export interface HoldsMenu {
  /** The last menu shown; later choices (and typed menu numbers) are read against it. */
  menu: ReplyMessage | null;
}

/** Params of `show` and `say`. */
export interface MessageParams {
  message: ReplyMessage;
}

/**
 * `show` (send a menu and remember it), `say` (send a line, the menu stays) and `forgetMenu`,
 * typed for one machine's context and events; spread them into its `setup({ actions })`.
 */
export function menuActions<TContext extends HoldsMenu, TEvent extends EventObject>() {
  return {
    show: enqueueActions<TContext, TEvent, MessageParams, TEvent, never, never, never, never, EmittedEvent>(
      ({ enqueue }, params) => {
        enqueue.assign({ menu: params.message } as Partial<TContext>);
        enqueue.emit({ type: 'reply', message: params.message });
      },
    ),
    say: emit<TContext, TEvent, MessageParams, TEvent, EmittedEvent>((_, params) => ({
      type: 'reply' as const,
      message: params.message,
    })),
    forgetMenu: assign<TContext, TEvent, undefined, TEvent, never>({ menu: null } as Partial<TContext>),
  };
}

/**
 * `required(value, what)` for one machine: a value its construction guarantees (each step is
 * entered only after the one before stored it). Failing loudly beats sending Altegio a half-empty
 * request.
 */
export function requiredIn(machine: string) {
  return function required<T>(value: T | null, what: string): T {
    if (value === null) throw new Error(`${machine}: ${what} is not set yet`);
    return value;
  };
}

/**
 * A placeholder for an I/O actor: machines declare their actors with it; the runtime (and tests)
 * provide real ones with `.provide()`, so running an unprovided machine fails loudly.
 */
export function placeholder<TOutput, TInput = NonReducibleUnknown>(machine: string, actor: string) {
  return fromPromise<TOutput, TInput>(() =>
    Promise.reject(new Error(`${machine} actor "${actor}" not provided`)),
  );
}

/**
 * A port call as an actor, passed the abort signal XState fires when the client leaves the state
 * (or the actor is stopped).
 */
export function portActor<TOutput, TInput>(call: (input: TInput, signal: AbortSignal) => Promise<TOutput>) {
  return fromPromise<TOutput, TInput>(({ input, signal }) => call(input, signal));
}

/** A transition that only says `message` (the menu, if any, stays). */
export function sayOnly(message: ReplyMessage) {
  return { actions: { type: 'say', params: { message } } } as const;
}

/**
 * The `on` for every client event, each answered with `message` and changing nothing: a state
 * that cannot take an answer (a write is on its way), or a machine's fallback at its root. A
 * pressed option (`user.choice`) may get its own answer, typically "that menu is old".
 */
export function answerEverythingWith(message: ReplyMessage, choice: ReplyMessage = message) {
  const say = sayOnly(message);
  return {
    'user.command': say,
    'user.choice': sayOnly(choice),
    'user.text': say,
    'user.contact': say,
  } as const;
}
