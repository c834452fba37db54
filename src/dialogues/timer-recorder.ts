import type { InspectionEvent } from 'xstate';
import { isRecord } from '../domain/is-record.js';

/** A change to a dialogue's pending deadlines, in the order the machine made it. */
export type TimerChange =
  | { kind: 'schedule'; sendId: string; event: { type: string }; delayMs: number }
  | { kind: 'cancel'; sendId: string };

/**
 * Durable timeouts, the mechanism.
 *
 * XState v5 keeps pending `after` timers only in memory, and a restored snapshot does not re-arm
 * them (statelyai/xstate#5331). So the runtime, not XState, owns every deadline:
 *
 * 1. Actors run with a clock whose `setTimeout` never fires. Machines keep their `after` with
 *    named delays (readable statecharts, the inspector shows them), but XState itself never
 *    delivers a delayed event.
 * 2. Each step's actor is inspected. A delayed `xstate.raise` (what `after` compiles to) arrives
 *    with its id and its delay already resolved to ms; an `xstate.cancel` names the id of a
 *    delay the machine no longer waits for (it left the state).
 * 3. The runtime stores these as rows (`dialogue, sendId, event, dueAt = now + delay`) in the same
 *    transaction as the step's snapshot and replies.
 * 4. A sweeper wakes at the soonest `dueAt` (also right after start-up, for deadlines that fell
 *    due while the process was down), hydrates the dialogue and sends it the stored event, which
 *    takes the `after` transition exactly as XState would have. The client hears of the timeout
 *    at once, without writing first.
 *
 * One path serves live and restored dialogues alike, so a restart neither resets nor loses a
 * deadline, and a deadline is delivered at most once (the row is marked fired in the step that
 * delivers it).
 */
export function createTimerRecorder(): { inspect: (event: InspectionEvent) => void; take(): TimerChange[] } {
  let changes: TimerChange[] = [];
  return {
    inspect(event) {
      if (event.type !== '@xstate.action') return;
      const { type, params } = event.action;
      if (type === 'xstate.raise' && isRecord(params) && typeof params.delay === 'number') {
        const raised = params.event;
        if (typeof params.id === 'string' && isRecord(raised) && typeof raised.type === 'string') {
          changes.push({
            kind: 'schedule',
            sendId: params.id,
            event: { type: raised.type },
            delayMs: params.delay,
          });
        }
      } else if (type === 'xstate.cancel' && isRecord(params) && typeof params.sendId === 'string') {
        changes.push({ kind: 'cancel', sendId: params.sendId });
      }
    },
    take() {
      const taken = changes;
      changes = [];
      return taken;
    },
  };
}

/** A clock for actors that never fires: deadlines are the runtime's (see above). */
export const inertClock = {
  setTimeout: (): number => 0,
  clearTimeout: (): void => {},
};
