/**
 * The SQLite store's one connection, shared by async callers: one holder at a time.
 *
 * better-sqlite3 is synchronous, so a single statement never interleaves with another; what
 * needs guarding is an open {@link ConnectionLock.transaction} whose callback awaits. While it is
 * open, calls made in its async context join it (they run at once, inside it), and calls from any
 * other async chain wait until it commits or rolls back, so they are neither rolled back with it
 * nor committed by it. When nobody holds the connection a call runs synchronously at once: the hot
 * path pays no queueing.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';

type Waiter = { kind: 'call'; run(): void } | { kind: 'holder'; grant(): void };

export class ConnectionLock {
  /** Whether a holder (an open transaction, or a queued call being run) has the connection. */
  #held = false;
  #queue: Waiter[] = [];
  /** The open transaction's token; its async context carries the same token. */
  #owner: object | undefined;
  readonly #context = new AsyncLocalStorage<object>();

  /** Whether the caller runs inside the open transaction's async context. */
  get joined(): boolean {
    const token = this.#context.getStore();
    return token !== undefined && token === this.#owner;
  }

  /**
   * Runs the synchronous `op` on the connection: at once when it is free or the caller is inside
   * the open transaction, otherwise once the holder released it.
   */
  run<T>(op: () => T): Promise<T> {
    if (!this.#held || this.joined) {
      try {
        return Promise.resolve(op());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#wait(op);
  }

  /**
   * Like {@link run}, but never joins an open transaction: for writes that must commit on their
   * own (group commit), whichever async context scheduled them.
   */
  runAlone<T>(op: () => T): Promise<T> {
    if (!this.#held) {
      try {
        return Promise.resolve(op());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#wait(op);
  }

  /**
   * Holds the connection for `fn` (which opens and closes the transaction itself through `begin`,
   * `commit` and `rollback`). Inside an open transaction's context, `fn` joins it: nested
   * transactions are one transaction, committed or rolled back by the outermost.
   */
  async transaction<T>(
    fn: () => Promise<T>,
    sql: { begin(): void; commit(): void; rollback(): void },
  ): Promise<T> {
    if (this.joined) return fn();
    await this.#acquire();
    const token = {};
    this.#owner = token;
    try {
      return await this.#context.run(token, async () => {
        sql.begin();
        let result: T;
        try {
          result = await fn();
        } catch (error) {
          sql.rollback();
          throw error;
        }
        try {
          sql.commit();
        } catch (error) {
          sql.rollback();
          throw error;
        }
        return result;
      });
    } finally {
      this.#owner = undefined;
      this.#release();
    }
  }

  #wait<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        kind: 'call',
        run() {
          try {
            resolve(op());
          } catch (error) {
            reject(error);
          }
        },
      });
    });
  }

  #acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise<void>((grant) => this.#queue.push({ kind: 'holder', grant }));
  }

  /** Hands the connection on: queued calls run now, in order, until a transaction takes it. */
  #release(): void {
    for (;;) {
      const next = this.#queue.shift();
      if (!next) {
        this.#held = false;
        return;
      }
      if (next.kind === 'holder') {
        next.grant();
        return;
      }
      next.run();
    }
  }
}
