import type { Clock } from '../domain/clock.js';
import type { Logger } from '../log.js';
import type { TimersRepo } from '../store/index.js';

export interface SweeperOptions {
  timers: Pick<TimersRepo, 'nextDueAt'>;
  /** Delivers what is due now (the runtime's `fireDueTimers`). */
  fire(): Promise<number>;
  clock: Clock;
  logger: Logger;
  /**
   * Longest sleep between looks, so a deadline written by another process (a CLI, a second
   * engine on the same file) is still noticed. Default 30 s.
   */
  maxSleepMs?: number;
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
  const maxSleepMs = options.maxSleepMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  let again = false;
  let running = false;

  function schedule(): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    const next = options.timers.nextDueAt();
    const delay =
      next === undefined ? maxSleepMs : Math.min(Math.max(0, next - options.clock.now()), maxSleepMs);
    timer = setTimeout(sweep, delay);
    timer.unref();
  }

  function sweep(): void {
    if (sweeping) {
      again = true;
      return;
    }
    sweeping = (async () => {
      do {
        again = false;
        try {
          const fired = await options.fire();
          if (fired > 0) options.logger.debug({ fired }, 'delivered due deadlines');
        } catch (error) {
          options.logger.error({ err: error }, 'delivering due deadlines failed; will retry');
        }
      } while (again && running);
    })().finally(() => {
      sweeping = undefined;
      schedule();
    });
  }

  return {
    async start() {
      running = true;
      sweep();
      await sweeping;
    },
    wake() {
      // A sweep in progress reschedules when it ends; otherwise re-aim the sleep at the new soonest.
      if (running && !sweeping) schedule();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await sweeping;
    },
  };
}
