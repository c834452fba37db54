/**
 * Work side by side, up to a bound, one at a time per key: due jobs of different clients run
 * concurrently, while two jobs of one client (a reminder and a notice) never race for their chat.
 *
 * @module
 */
import { KeyedQueue } from '../dialogues/keyed-queue.js';

export interface Lanes {
  /** How many more tasks may be admitted now. */
  readonly free: number;
  /** Admits a task into its key's lane; it starts when the lane's earlier tasks are done. */
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Resolves when at least one more task may be admitted. */
  whenFree(): Promise<void>;
  /** Resolves when every admitted task has finished. */
  idle(): Promise<void>;
}

/** At most `bound` tasks admitted at once (running, or waiting behind their lane). */
export function createLanes(bound: number): Lanes {
  if (!Number.isInteger(bound) || bound < 1)
    throw new RangeError(`lanes need a bound of at least 1, not ${bound}`);
  const queue = new KeyedQueue();
  let admitted = 0;
  let waiters: Array<() => void> = [];

  return {
    get free() {
      return bound - admitted;
    },
    run(key, task) {
      admitted += 1;
      return queue.run(key, task).finally(() => {
        admitted -= 1;
        const woken = waiters;
        waiters = [];
        for (const wake of woken) wake();
      });
    },
    whenFree() {
      if (admitted < bound) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    idle: () => queue.drain(),
  };
}
