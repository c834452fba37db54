/**
 * One start/stop lifecycle for the engine's parts: each is started in order, and stopped in
 * reverse, so inbound work ends before what it feeds and the database closes last.
 *
 * @module
 */
import type { Logger } from '../log.js';

/** Something the engine runs: started once, stopped once. */
export interface Part {
  /** Named in the log and in the error hook's context. */
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A part made of plain steps, either of which may be absent. */
export function part(
  name: string,
  steps: { start?: () => Promise<void> | void; stop?: () => Promise<void> | void },
): Part {
  return {
    name,
    async start() {
      await steps.start?.();
    },
    async stop() {
      await steps.stop?.();
    },
  };
}

export interface Lifecycle {
  /**
   * Starts `part` after those already started; answers it so its products can feed the next one.
   * A part that fails to start stops every part started before it (in reverse), then rethrows.
   */
  start<P extends Part>(part: P): Promise<P>;
  /** Stops the started parts in reverse order. A failing stop is logged and the rest still stop. */
  stop(): Promise<void>;
}

export function createLifecycle(logger: Logger): Lifecycle {
  const started: Part[] = [];

  async function stop(): Promise<void> {
    for (const running of started.splice(0).reverse()) {
      try {
        await running.stop();
        logger.debug({ part: running.name }, 'part stopped');
      } catch (error) {
        // The others still stop: a database left open is worse than a noisy log line.
        logger.error({ err: error, part: running.name }, 'stopping a part failed');
      }
    }
  }

  return {
    async start(next) {
      try {
        await next.start();
      } catch (error) {
        logger.debug({ part: next.name }, 'part failed to start; stopping the parts started before it');
        await stop();
        throw error;
      }
      started.push(next);
      logger.debug({ part: next.name }, 'part started');
      return next;
    },
    stop,
  };
}
