/**
 * "Sleep until the next due row": the one loop behind the jobs worker, the outbox worker and the
 * dialogue deadline sweeper. Each keeps its work in a table with a due time; the loop runs the
 * work that is due, then sleeps until the soonest due time it is told about (never longer than a
 * cap, so rows written by another process are still noticed), and wakes early when asked.
 *
 * @module
 */
import type { Clock } from '../domain/clock.js';

/** Where the loop's sleeps come from; tests pass a manual clock that fires them when moved. */
export interface TimerHost {
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers, unref'd: a sleeping loop never keeps the process alive on its own. */
export const systemTimers: TimerHost = {
  setTimeout(fire, ms) {
    const handle = setTimeout(fire, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

export interface DueLoopOptions {
  /**
   * Soonest due time (ms epoch) of what waits, or undefined when nothing does; a store port
   * answers it as a promise.
   */
  nextDueAt(): Promise<number | undefined> | number | undefined;
  /** Handles what is due now. It is never called twice at once. */
  run(): Promise<unknown> | unknown;
  /** A rejected or throwing run: the loop logs it through this and carries on. */
  onError(error: unknown): void;
  clock: Clock;
  /** Longest sleep, so that a row written by another process (CLI, second engine) is seen. */
  maxSleepMs: number;
  /** Default: real timers. */
  timers?: TimerHost;
}

export interface DueLoop {
  /** Runs what is due now and resolves when that first run ends; then keeps watching. */
  start(): Promise<void>;
  /**
   * A row was written that may be due sooner than the current sleep: look at the soonest due time
   * again (one cheap read; many calls in one tick share it). During a run nothing is needed, the
   * run looks when it ends.
   */
  wake(): void;
  /**
   * Rows due now were written: run without looking first. Many calls in one tick share one run; a
   * call during a run makes another run follow it.
   */
  runNow(): void;
  /** Stops watching and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Creates a loop; nothing runs until {@link DueLoop.start}. */
export function createDueLoop(options: DueLoopOptions): DueLoop {
  const timers = options.timers ?? systemTimers;
  let running = false;
  let sleep: unknown;
  let soon = false;
  let again = false;
  let current: Promise<void> | undefined;
  let reaim: unknown;
  /** Counts looks at the soonest due time: an answer that arrives after a newer look is dropped. */
  let looks = 0;

  function cancelSleep(): void {
    if (sleep !== undefined) timers.clearTimeout(sleep);
    sleep = undefined;
    soon = false;
  }

  function aim(): void {
    if (!running) return;
    cancelSleep();
    const look = ++looks;
    let next: Promise<number | undefined> | number | undefined;
    try {
      next = options.nextDueAt();
    } catch (error) {
      options.onError(error);
    }
    if (next instanceof Promise) {
      next.then(
        (at) => sleepUntil(look, at),
        (error: unknown) => {
          options.onError(error);
          sleepUntil(look, undefined);
        },
      );
    } else sleepUntil(look, next);
  }

  function sleepUntil(look: number, next: number | undefined): void {
    // Meanwhile a newer look, a run or a `runNow` took over, or the loop stopped.
    if (look !== looks || !running || current || sleep !== undefined) return;
    const delay =
      next === undefined
        ? options.maxSleepMs
        : Math.min(Math.max(0, next - options.clock.now()), options.maxSleepMs);
    sleep = timers.setTimeout(fire, delay);
  }

  function fire(): void {
    sleep = undefined;
    soon = false;
    if (!running) return;
    if (current) {
      again = true;
      return;
    }
    current = (async () => {
      do {
        again = false;
        try {
          await options.run();
        } catch (error) {
          options.onError(error);
        }
      } while (again && running);
    })().finally(() => {
      current = undefined;
      aim();
    });
  }

  return {
    async start() {
      if (running) return;
      running = true;
      fire();
      await current;
    },
    wake() {
      if (!running || current || soon || reaim !== undefined) return;
      reaim = timers.setTimeout(() => {
        reaim = undefined;
        if (!current) aim();
      }, 0);
    },
    runNow() {
      if (!running) return;
      if (current) {
        again = true;
        return;
      }
      if (soon) return;
      cancelSleep();
      soon = true;
      sleep = timers.setTimeout(fire, 0);
    },
    async stop() {
      running = false;
      cancelSleep();
      if (reaim !== undefined) timers.clearTimeout(reaim);
      reaim = undefined;
      await current;
    },
  };
}
