/**
 * WAL checkpoints off the main thread.
 *
 * With `journal_mode=WAL` every commit appends pages to the `-wal` file, and by default the
 * connection that commits past 1,000 pages copies them back into the database file, with an
 * fsync, inside that commit. On a busy engine that stalls one dialogue step in thirty-odd for
 * milliseconds (it is most of the p99). Here a worker thread with its own connection runs a
 * PASSIVE checkpoint every `intervalMs` on the second core, which never blocks the writer, and the
 * main connection's own automatic checkpoint is moved out to a larger WAL, so it only runs if the
 * worker falls behind or is gone.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** Options of {@link startCheckpointer}. */
export interface CheckpointerOptions {
  /** How often the worker checkpoints. Default 1000 ms. */
  intervalMs?: number;
  /**
   * WAL size in pages at which the main connection checkpoints by itself: the safety net when
   * the worker is behind or has failed. Default 10,000 (about 40 MB).
   */
  fallbackPages?: number;
  /** Told when a checkpoint fails or the worker stops unexpectedly. */
  onProblem?(problem: string): void;
}

/** A running checkpointer. */
export interface Checkpointer {
  /** Runs a checkpoint now and resolves with its outcome (tests, shutdown). */
  checkpoint(): Promise<{ log: number; checkpointed: number }>;
  /** Stops the worker; the main connection's automatic checkpoint is back to its default. */
  stop(): Promise<void>;
}

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

/** What the worker reports: the answer to a requested checkpoint (`id`), or a failed one. */
interface WorkerMessage {
  id?: number;
  ok: boolean;
  log?: number;
  checkpointed?: number;
  message?: string;
}

/** Starts checkpointing the WAL of the database open on `sqlite` (a file, not `:memory:`). */
export function startCheckpointer(
  sqlite: Database.Database,
  options: CheckpointerOptions = {},
): Checkpointer {
  const worker = new Worker(new URL('./checkpoint-worker.cjs', import.meta.url), {
    // Plain CommonJS: none of the main thread's loaders (tsx) are needed there.
    execArgv: [],
    workerData: {
      path: sqlite.name,
      driver: DRIVER,
      intervalMs: options.intervalMs ?? 1000,
      busyTimeoutMs: 5000,
    },
  });
  // A forgotten stop() must not keep the process alive; a checkpoint cut short is safe in SQLite.
  worker.unref();
  sqlite.pragma(`wal_autocheckpoint = ${options.fallbackPages ?? 10_000}`);
  let stopping = false;
  let gone = false;
  let nextId = 0;
  const requested = new Map<number, (message: WorkerMessage) => void>();

  worker.on('message', (message: WorkerMessage) => {
    if (!message.ok) options.onProblem?.(`WAL checkpoint failed: ${message.message}`);
    if (message.id === undefined) return;
    requested.get(message.id)?.(message);
    requested.delete(message.id);
    if (requested.size === 0 && !stopping) worker.unref();
  });
  worker.on('error', (error) => options.onProblem?.(`WAL checkpoint worker failed: ${error.message}`));
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      gone = true;
      if (!stopping) options.onProblem?.(`WAL checkpoint worker exited (code ${code})`);
      // Without the worker, the main connection checkpoints as usual again.
      if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
      for (const answer of requested.values())
        answer({ ok: false, message: 'the checkpoint worker stopped' });
      requested.clear();
      resolve();
    });
  });

  return {
    checkpoint() {
      if (gone || stopping) return Promise.reject(new Error('the checkpoint worker stopped'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        requested.set(id, (message) =>
          message.ok
            ? resolve({ log: message.log ?? 0, checkpointed: message.checkpointed ?? 0 })
            : reject(new Error(message.message ?? 'checkpoint failed')),
        );
        // Someone waits for the answer: keep the process alive until it comes.
        worker.ref();
        worker.postMessage({ type: 'checkpoint', id });
      });
    },
    async stop() {
      if (!stopping) {
        stopping = true;
        worker.ref();
        worker.postMessage({ type: 'stop' });
      }
      await exited;
    },
  };
}
