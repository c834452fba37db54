import { afterEach, describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor, setup } from 'xstate';
import { createLiveActors } from '../../src/dialogues/live-actors.js';

const idle = setup({}).createMachine({ initial: 'waiting', states: { waiting: {} } });

describe('live actors', () => {
  const started: AnyActorRef[] = [];
  afterEach(() => {
    for (const actor of started.splice(0)) actor.stop();
  });
  function actor(): AnyActorRef {
    const ref = createActor(idle).start();
    started.push(ref);
    return ref;
  }
  const running = (ref: AnyActorRef) => ref.getSnapshot().status === 'active';

  it('hands a kept actor to one step only', () => {
    const actors = createLiveActors({ capacity: 10, idleMs: 60_000 });
    const ref = actor();
    actors.keep(1, ref, 0);
    expect(actors.take(1, 0)).toBe(ref);
    // Taken: a second step (or a failed one) finds nothing and hydrates from the store.
    expect(actors.take(1, 0)).toBeUndefined();
    expect(running(ref)).toBe(true);
  });

  it('never hands out an actor of another version than the stored one: it is stopped instead', () => {
    const actors = createLiveActors({ capacity: 10, idleMs: 60_000 });
    const ref = actor();
    actors.keep(1, ref, 3);
    // Another process committed a step of dialogue 1 since: the kept actor is behind it.
    expect(actors.take(1, 4)).toBeUndefined();
    expect(running(ref)).toBe(false);
  });

  it('stops the actor idle longest when over capacity, and a dropped one', () => {
    const actors = createLiveActors({ capacity: 2, idleMs: 60_000 });
    const [first, second, third] = [actor(), actor(), actor()];
    actors.keep(1, first, 0);
    actors.keep(2, second, 0);
    actors.keep(1, first, 0); // dialogue 1 spoke again: dialogue 2 is now the idle one
    actors.keep(3, third, 0);
    expect(actors.size).toBe(2);
    expect(running(second)).toBe(false);
    expect(actors.take(2, 0)).toBeUndefined();
    actors.drop(3);
    expect(running(third)).toBe(false);
    expect(actors.take(1, 0)).toBe(first);
  });

  it('lets idle actors leave memory by themselves', async () => {
    const actors = createLiveActors({ capacity: 10, idleMs: 40 });
    const ref = actor();
    actors.keep(1, ref, 0);
    await expect.poll(() => actors.size, { timeout: 2000, interval: 20 }).toBe(0);
    expect(running(ref)).toBe(false);
  });
});
