import { describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { inertClock, trackTimers } from '../../src/dialogues/timer-recorder.js';

/** Two waiting states with deadlines; `again` re-enters the first one. */
const waiting = setup({
  types: { events: {} as { type: 'next' } | { type: 'again' } },
  delays: { short: 1_000, long: 5_000 },
}).createMachine({
  initial: 'first',
  states: {
    first: {
      after: { short: 'second' },
      on: { next: 'second', again: { target: 'first', reenter: true } },
    },
    second: { after: { long: 'first' } },
  },
});

describe('timer tracking', () => {
  // What the tracker reads is internal to XState (see `timer-recorder.ts`): these cases pin it.
  describe('the XState internals it relies on', () => {
    const own = (actor: ReturnType<typeof createActor<typeof waiting>>) =>
      Object.values(actor.system.getSnapshot()._scheduledEvents).filter((entry) => entry.source === actor);

    it('lists each pending delay with its id, event, delay and source', () => {
      const actor = createActor(waiting, { clock: inertClock }).start();
      const [entry, ...rest] = own(actor);
      expect(rest).toEqual([]);
      expect(entry).toMatchObject({ delay: 1_000, event: { type: expect.stringContaining('xstate.after') } });
      expect(entry?.id).toEqual(expect.any(String));
      actor.stop();
    });

    it('holds a new object under the same id when a state is re-entered, and drops it when left', () => {
      const actor = createActor(waiting, { clock: inertClock }).start();
      const [before] = own(actor);
      actor.send({ type: 'again' });
      const [after] = own(actor);
      expect(after?.id).toBe(before?.id);
      expect(after).not.toBe(before);
      actor.send({ type: 'next' });
      expect(own(actor).map((entry) => entry.delay)).toEqual([5_000]);
      actor.stop();
    });

    it('lists a delay put back through the scheduler under the id it was given', () => {
      const actor = createActor(waiting, { clock: inertClock }).start();
      actor.system.scheduler.schedule(actor, actor, { type: 'next' }, 0, 'restored');
      expect(own(actor).map((entry) => entry.id)).toContain('restored');
      actor.system.scheduler.cancel(actor, 'restored');
      expect(own(actor).map((entry) => entry.id)).not.toContain('restored');
      actor.stop();
    });
  });

  it('reports what a step cancelled, set and set again', () => {
    const actor = createActor(waiting, { clock: inertClock }).start();
    const firstStep = trackTimers(actor, []);
    actor.send({ type: 'again' });
    const reentered = firstStep.changes(100);
    expect(reentered.cancel).toEqual([]);
    expect(reentered.schedule.map((timer) => timer.dueAt)).toEqual([1_100]);

    const secondStep = trackTimers(actor, []);
    actor.send({ type: 'next' });
    const moved = secondStep.changes(200);
    expect(moved.cancel).toEqual([reentered.schedule[0]?.sendId]);
    expect(moved.schedule.map((timer) => timer.dueAt)).toEqual([5_200]);
    actor.stop();
  });

  it('gives a hydrated actor its stored deadlines back, and reports only what the step changed', () => {
    const original = createActor(waiting, { clock: inertClock }).start();
    const [entry] = Object.values(original.system.getSnapshot()._scheduledEvents);
    const snapshot = original.getPersistedSnapshot();
    original.stop();
    if (!entry) throw new Error('no delay');

    const hydrated = createActor(waiting, { clock: inertClock, snapshot }).start();
    const step = trackTimers(hydrated, [{ sendId: entry.id, event: { type: entry.event.type } }]);
    // Nothing happened: the stored deadline stays as it is.
    expect(step.changes(300)).toEqual({ cancel: [], schedule: [] });
    hydrated.send({ type: 'next' });
    expect(step.changes(300).cancel).toEqual([entry.id]);
    hydrated.stop();
  });
});
