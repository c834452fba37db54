/**
 * Time as the engine sees it. Everything that schedules or compares times takes a Clock, so tests
 * can move time instead of waiting for it.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
