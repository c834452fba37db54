/**
 * Group commit: the writes of steps that finish in the same turn of the event loop share one
 * SQLite transaction. A step still waits for its own commit before its replies are sent, so
 * nothing is announced that is not durable; the batch only saves the per-commit cost, which
 * dominates a dialogue step (one commit per message otherwise).
 */
export interface GroupCommit {
  /** Runs `write` inside the next batch's transaction; resolves once that transaction committed. */
  commit(write: () => void): Promise<void>;
}

interface Pending {
  write: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function createGroupCommit(transaction: (fn: () => void) => void): GroupCommit {
  let batch: Pending[] = [];

  function flush(): void {
    const items = batch;
    batch = [];
    try {
      transaction(() => {
        for (const item of items) item.write();
      });
      for (const item of items) item.resolve();
    } catch {
      // One bad write must not fail its neighbours: redo each alone, failing only what fails again.
      for (const item of items) {
        try {
          transaction(item.write);
          item.resolve();
        } catch (error) {
          item.reject(error);
        }
      }
    }
  }

  return {
    commit(write) {
      return new Promise<void>((resolve, reject) => {
        batch.push({ write, resolve, reject });
        if (batch.length === 1) setImmediate(flush);
      });
    },
  };
}
