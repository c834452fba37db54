/**
 * The queue port: what the engine's three durable queues (notification jobs, dialogue deadlines,
 * outgoing messages) ask of a job queue, whichever runs it. The SQLite mode keeps its own tables
 * (`store/jobs.ts`, `store/timers.ts`, `store/outbox.ts`); the Postgres mode runs them on pg-boss
 * (`pg-boss.ts`). Both keep the same promises:
 * - a job enqueued by a committed transaction is never lost (a crash mid-run runs it again, so a
 *   handler must be safe to repeat: its own writes carry idempotency keys);
 * - one dedupe key runs at most once, also after that job finished (a replayed webhook plans
 *   nothing new), unless the job was cancelled before it ran;
 * - a job waits until its due time, measured on the wall clock, across any restart;
 * - jobs sharing an order key (one chat's messages) run one at a time, in the order enqueued.
 *
 * @module
 */

/** One job to enqueue. */
export interface NewQueueJob<Data> {
  /**
   * Identity of the work (`reminder:<company>:<record>:…`, `dialogue:<id>:<step>:<n>`). A second
   * enqueue of the same key is ignored, whatever became of the first, unless it was cancelled.
   */
  key: string;
  data: Data;
  /** Not before this instant (epoch ms). Default: now. */
  dueAt?: number;
  /** Higher runs first among due jobs (interactive replies before bulk notices). Default 0. */
  priority?: number;
  /**
   * Jobs with the same order key run one at a time in the order they were enqueued: a later one
   * waits while an earlier one is queued, running or retrying. Leave it out for independent work.
   */
  orderKey?: string;
}

/** A job handed to a handler. */
export interface QueueJob<Data> {
  id: string;
  key: string;
  data: Data;
  /** 1 on the first run; postponements do not count, failures do. */
  attempt: number;
}

/**
 * What a handler decides. Returning nothing completes the job; throwing is a failed attempt,
 * retried with the queue's backoff until its attempts are used up, then failed for good.
 */
export type JobOutcome =
  | {
      /** Nothing failed, the work must wait (the client is mid-booking): not an attempt. */
      postpone: { until: number; reason: string };
    }
  | {
      /** A failed attempt the handler times itself (the platform asked to wait this long). */
      retry: { at: number; reason: string };
    }
  | {
      /** The work can never succeed (the chat blocked the bot): no retry. */
      giveUp: string;
    };

// biome-ignore lint/suspicious/noConfusingVoidType: a handler with nothing to say just returns.
export type JobHandler<Data> = (job: QueueJob<Data>) => Promise<JobOutcome | void>;

/** How a queue's failed attempts continue. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the first retry; later ones double it (with jitter). */
  delaySeconds: number;
}

/** Where a key's job stands, for diagnostics and tests. */
export type QueueJobState = 'queued' | 'active' | 'done' | 'failed' | 'cancelled';

/** One durable queue. `Tx` is the caller's open transaction (a database client). */
export interface JobQueue<Data, Tx> {
  readonly name: string;
  /**
   * Adds a job unless its key is known; returns whether it was added. Given `tx`, the job is
   * part of the caller's transaction: it exists if and only if that transaction commits.
   */
  enqueue(job: NewQueueJob<Data>, tx?: Tx): Promise<boolean>;
  /**
   * Cancels a key's job if it has not started (the visit was deleted); its key may then be
   * enqueued again. Returns whether a job was cancelled.
   */
  cancel(key: string, tx?: Tx): Promise<boolean>;
  /** Where the key's job stands; undefined for a key never enqueued (or cancelled). */
  state(key: string): Promise<QueueJobState | undefined>;
  /**
   * Runs due jobs with `handler`, up to `concurrency` at once in this process (several processes
   * may work the same queue; each job goes to one of them). Jobs a crashed process left running
   * are run again once their run time limit has passed.
   */
  work(handler: JobHandler<Data>, options: { concurrency: number }): Promise<void>;
  /**
   * Jobs were enqueued in a transaction that has now committed: this process's idle workers look
   * at once instead of at their next poll (an enqueue without `tx` does this itself).
   */
  wake(): void;
  /** Stops this process's workers of the queue and waits for the jobs they are running. */
  stopWork(): Promise<void>;
  /** Keys starting with `prefix` whose job is queued, running or retrying. */
  liveKeys(prefix: string): Promise<Set<string>>;
  /** How many jobs of the queue are waiting (due or not), running, and failed for good (health figures). */
  counts(): Promise<QueueCounts>;
}

/** Job counts of one queue. */
export interface QueueCounts {
  queued: number;
  active: number;
  failed: number;
}

/** What a queue is declared with. */
export interface QueueDefinition {
  name: string;
  retry: RetryPolicy;
  /** Longest run of one attempt; past it the attempt counts as failed (and a crashed run is retried). */
  runLimitSeconds: number;
}
