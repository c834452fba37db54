/**
 * What every machine test drives the same way the runtime does: a simulated clock, the replies
 * the machine emitted, the deadlines it scheduled, and a step that waits until no Altegio call is
 * in flight. Each machine's test adds its fake actors and intents on top.
 */
import {
  type AnyActorRef,
  type InspectionEvent,
  SimulatedClock,
  type Snapshot,
  type StateValue,
  waitFor,
} from 'xstate';
import type { ReplyMessage, UserEvent } from '../../machines/shared/events.js';

/** A call that rejects the first `times` times with `error`, then behaves like `then`. */
export function failing<A extends unknown[], R>(
  then: (...args: A) => Promise<R>,
  error: unknown = new Error('ECONNRESET'),
  times = 1,
): (...args: A) => Promise<R> {
  let left = times;
  return (...args) => {
    if (left > 0) {
      left -= 1;
      return Promise.reject(error);
    }
    return then(...args);
  };
}

/** `{ service: 'choosing' }` → `service.choosing`. */
export function statePath(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? [];
  if (key === undefined || child === undefined) return '';
  const rest = statePath(child);
  return rest ? `${key}.${rest}` : key;
}

export abstract class MachineDriver {
  readonly replies: ReplyMessage[] = [];
  /** Delayed events the machine scheduled (what the runtime would store), in order. */
  readonly timers: Array<{ event: string; delay: number }> = [];
  abstract readonly actor: AnyActorRef;

  constructor(readonly clock: SimulatedClock = new SimulatedClock()) {}

  /** An `inspect` hook recording the states this actor visits (into `visited`) and its deadlines. */
  protected recorder(visited: Set<string>): (event: InspectionEvent) => void {
    return (event) => {
      if (event.actorRef !== this.actor) return;
      if (event.type === '@xstate.snapshot' || event.type === '@xstate.microstep') {
        const value = (event.snapshot as { value?: StateValue }).value;
        if (value !== undefined) visited.add(statePath(value));
      }
      if (event.type === '@xstate.action' && event.action.type === 'xstate.raise') {
        const params = event.action.params as { event?: { type?: string }; delay?: number };
        if (typeof params.delay === 'number')
          this.timers.push({ event: params.event?.type ?? '', delay: params.delay });
      }
    };
  }

  /** Starts the actor and waits until the first step has loaded. */
  async start(): Promise<this> {
    this.actor.start();
    await this.settle();
    return this;
  }

  /** Waits until no Altegio call is in flight (what the runtime does before persisting). */
  async settle(): Promise<void> {
    await waitFor(this.actor, (snapshot) => snapshot.status !== 'active' || !snapshot.hasTag('busy'), {
      timeout: 1000,
    });
  }

  async send(event: UserEvent): Promise<void> {
    this.actor.send(event);
    await this.settle();
  }

  choose(value: string): Promise<void> {
    return this.send({ type: 'user.choice', value });
  }

  text(text: string): Promise<void> {
    return this.send({ type: 'user.text', text });
  }

  /** Moves simulated time on; due `after` transitions fire. */
  async wait(ms: number): Promise<void> {
    this.clock.increment(ms);
    await this.settle();
  }

  get state(): string {
    return statePath(this.actor.getSnapshot().value);
  }

  get status(): string {
    return this.actor.getSnapshot().status;
  }

  get last(): ReplyMessage {
    const last = this.replies.at(-1);
    if (!last) throw new Error('no reply yet');
    return last;
  }

  /** Option values of the last reply. */
  get values(): string[] {
    return this.last.options?.map((option) => option.value) ?? [];
  }

  /** Phrase keys of the replies, in order. */
  get keys(): string[] {
    return this.replies.map((reply) => reply.text.key);
  }

  /** A JSON round-trip of the persisted snapshot, as the store keeps it. */
  persisted(): Snapshot<unknown> {
    return JSON.parse(JSON.stringify(this.actor.getPersistedSnapshot())) as Snapshot<unknown>;
  }
}
