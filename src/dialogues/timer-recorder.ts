import type { AnyActorRef } from 'xstate';
import type { TimerInput } from '../store/index.js';

/** A deadline a dialogue waits for, as kept between steps (the row's `sendId` and event). */
export interface PendingTimer {
  sendId: string;
  event: { type: string };
}

/** How a step changed a dialogue's deadlines, found by comparing before and after it. */
export interface TimerChanges {
  /** Send ids of deadlines the step dropped (it left their state). */
  cancel: string[];
  /** Deadlines the step set or set again, due at the step's time plus their delay. */
  schedule: TimerInput[];
}

/**
 * Durable timeouts, the mechanism.
 *
 * XState v5 keeps pending `after` timers only in memory, and a restored snapshot does not re-arm
 * them (statelyai/xstate#5331). So the runtime, not XState, owns every deadline:
 *
 * 1. Actors run with a clock whose `setTimeout` never fires. Machines keep their `after` with
 *    named delays (readable statecharts, the inspector shows them), but XState itself never
 *    delivers a delayed event.
 * 2. Before a step of a hydrated actor, the dialogue's stored pending deadlines are put back on
 *    the actor system's scheduler under their own ids, as if they had never left memory (an actor
 *    kept live between steps still holds them; one delivered now is removed first, as XState
 *    does when a delay fires). XState then does its usual bookkeeping during the step: leaving a
 *    state removes its delay (`xstate.cancel`), entering one adds a delay with its resolved
 *    length, re-entering replaces it.
 * 3. After the step, the scheduler's list is compared with the one before it: an id gone was
 *    cancelled, an id new or replaced was scheduled (`dueAt = now + delay`). The runtime stores
 *    these changes as rows (`dialogue, sendId, event, dueAt`) in the same transaction as the
 *    step's snapshot and replies.
 * 4. A sweeper wakes at the soonest `dueAt` (also right after start-up, for deadlines that fell
 *    due while the process was down), takes or hydrates the dialogue's actor and sends it the
 *    stored event, which takes the `after` transition exactly as XState would have. The client
 *    hears of the timeout at once, without writing first.
 *
 * One path serves live and restored dialogues alike, so a restart neither resets nor loses a
 * deadline, and a deadline is delivered at most once (the row is marked fired in the step that
 * delivers it). No inspection is needed, which would cost every step an event per action.
 *
 * Putting deadlines back and cancelling one use the scheduler's API (`system.scheduler`). Reading
 * which delays an actor holds does not: XState offers no public way, so this reads
 * `system.getSnapshot()._scheduledEvents`, an internal field (typed, but underscored). xstate is
 * pinned to an exact version in package.json, and `test/dialogues/timer-recorder.test.ts` pins
 * what this relies on (entries per delay with `id`, `event`, `delay`, `source`; a new object when a
 * state is re-entered; gone when it is left), so an upgrade that changes it fails there first.
 */
export function trackTimers(
  actor: AnyActorRef,
  restored: readonly PendingTimer[],
): { changes(now: number): TimerChanges } {
  // Call after `actor.start()`: starting re-schedules whatever the system holds as new objects.
  const { system } = actor;
  for (const timer of restored) system.scheduler.schedule(actor, actor, timer.event, 0, timer.sendId);
  // The very objects the scheduler holds now: a replaced delay is a new object under the same id.
  const before = new Map(ownScheduled().map((scheduled) => [scheduled.id, scheduled]));

  function ownScheduled() {
    return Object.values(system.getSnapshot()._scheduledEvents).filter(
      (scheduled) => scheduled.source === actor,
    );
  }

  return {
    changes(now) {
      const after = new Map(ownScheduled().map((scheduled) => [scheduled.id, scheduled]));
      const cancel = [...before.keys()].filter((id) => !after.has(id));
      const schedule = [...after.values()]
        .filter((scheduled) => before.get(scheduled.id) !== scheduled)
        .map((scheduled) => ({
          sendId: scheduled.id,
          event: { type: scheduled.event.type },
          dueAt: now + scheduled.delay,
        }));
      return { cancel, schedule };
    },
  };
}

/** A clock for actors that never fires: deadlines are the runtime's (see above). */
export const inertClock = {
  setTimeout: (): number => 0,
  clearTimeout: (): void => {},
};
