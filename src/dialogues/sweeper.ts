import type { Clock } from '../domain/clock.js';
import type { Logger } from '../log.js';
import { createDueLoop, type TimerHost } from '../scheduling/due-loop.js';
import type { TimersPort } from '../store/index.js';

export interface SweeperOptions {
  timers: Pick<TimersPort, 'nextDueAt'>;
  /** Delivers what is due now (the runtime's `fireDueTimers`). */
  fire(): Promise<number>;
  clock: Clock;
  logger: Logger;
  /**
   * Longest sleep between looks, so a deadline written by another process (a CLI, a second
   * engine on the same file) is still noticed. Default 30 s.
   */
  maxSleepMs?: number;
  /** Where sleeps come from (tests move a manual clock). Default: real timers. */
  sleepTimers?: TimerHost;
  /** A failed sweep (it is retried on the next look). Default: logged. */
  onError?(error: unknown): void;
}

export interface Sweeper {
  /** Delivers everything already due (deadlines that passed while down), then keeps watching. */
  start(): Promise<void>;
  /** A step stored a new deadline: look again now, it may be sooner than the current sleep. */
  wake(): void;
  /** Stops watching and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/** Sleeps until the soonest stored deadline and delivers it; see `timer-recorder.ts`. */
export function createSweeper(options: SweeperOptions): Sweeper {
  return createDueLoop({
    nextDueAt: () => options.timers.nextDueAt(),
    run: async () => {
      const fired = await options.fire();
      if (fired > 0) options.logger.debug({ fired }, 'delivered due deadlines');
    },
    onError:
      options.onError ??
      ((error) => options.logger.error({ err: error }, 'delivering due deadlines failed; will retry')),
    clock: options.clock,
    maxSleepMs: options.maxSleepMs ?? 30_000,
    ...(options.sleepTimers ? { timers: options.sleepTimers } : {}),
  });
}
