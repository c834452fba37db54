/**
 * Group commit: the writes of steps that finish in the same turn of the event loop share one
 * SQLite transaction. A step still waits for its own commit before its replies are sent, so
 * nothing is announced that is not durable; the batch only saves the per-commit cost, which
 * dominates a dialogue step (one commit per message otherwise).
 */
export interface GroupCommit {
  /**
   * Runs `write` inside the next batch's transaction; resolves with its result once that
   * transaction committed.
   */
  commit<T>(write: () => T): Promise<T>;
}

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * `transaction` runs its synchronous callback in one transaction and resolves once committed; it
 * may wait for the connection first (the SQLite store's lock), so it answers a promise.
 */
export function createGroupCommit(transaction: (fn: () => void) => Promise<void>): GroupCommit {
  let batch: Pending[] = [];

  async function flush(): Promise<void> {
    const items = batch;
    batch = [];
    const results: unknown[] = [];
    try {
      await transaction(() => {
        for (const item of items) results.push(item.write());
      });
      for (const [index, item] of items.entries()) item.resolve(results[index]);
    } catch {
      // One bad write must not fail its neighbours: redo each alone, failing only what fails again.
      for (const item of items) {
        try {
          let result: unknown;
          await transaction(() => {
            result = item.write();
          });
          item.resolve(result);
        } catch (error) {
          item.reject(error);
        }
      }
    }
  }

  return {
    commit<T>(write: () => T) {
      return new Promise<T>((resolve, reject) => {
        batch.push({ write, resolve: resolve as (value: unknown) => void, reject });
        // flush settles every item itself and never rejects.
        if (batch.length === 1) setImmediate(() => void flush());
      });
    },
  };
}
