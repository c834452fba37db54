/**
 * Notification jobs on pg-boss, for the Postgres mode: the seam between the jobs table and the
 * queue. The `jobs` table stays what the planner, the console and the playground read and edit
 * (payload, dedupe key, record, state, attempts), on both dialects. What changes on Postgres is who
 * decides when a row runs and who runs it: instead of every process polling the table, each row
 * gets a pg-boss job, a *trigger* (`{ jobId }`, due at the row's due time), sent in the same
 * transaction as the row. pg-boss then gives the due time (`startAfter`, kept across restarts),
 * the claiming among several workers and processes, and the re-run of a trigger whose process died.
 *
 * The row stays the truth about the work: a trigger that fires takes its row with one conditional
 * UPDATE (`claimPgJob`), so a row runs once however many triggers point at it, and a trigger for a
 * row cancelled, done, or moved later (by a retry or a postponement) takes nothing. Every change
 * that makes a row pending again (enqueue, revival of a cancelled key, bring forward, retry,
 * postponement) comes with a trigger at its new due time; a trigger that finds its row pending but
 * not yet due waits for it, so a crash between the row's update and its trigger loses nothing.
 * Rows left without a live trigger (written before this mode, or whose trigger pg-boss gave up
 * on) are given one at start (`adopt`).
 *
 * @module
 */
import type { Logger } from '../log.js';
import type { Job } from '../store/index.js';
import type { PostgresStore } from '../store/pg/index.js';
import { claimPgJob, pgJobClaimants, releasePgJobClaims } from '../store/pg/jobs.js';
import type { JobsPort } from '../store/ports.js';
import { currentClient, type SqlClient } from './pg-boss.js';
import type { JobOutcome, JobQueue, QueueCounts, QueueDefinition } from './port.js';

/** What a trigger carries: the row it runs. */
export interface TriggerData {
  jobId: number;
}

export function parseTriggerData(raw: unknown): TriggerData {
  if (typeof raw === 'object' && raw !== null && 'jobId' in raw && Number.isInteger(raw.jobId)) {
    return { jobId: Number(raw.jobId) };
  }
  throw new Error('a notification trigger without a job id');
}

/** Longest run of one notification job; past it the run counts as dead and the row is taken again. */
export const JOB_RUN_LIMIT_MS = 5 * 60_000;

/**
 * The queue of triggers. Attempts and backoff of the work itself are the table's (as on SQLite: a
 * failed row goes back to `pending` at its retry time, and a new trigger goes with it); pg-boss's
 * own retries only cover a trigger whose bookkeeping threw or whose process died.
 */
export const NOTIFICATION_QUEUE: QueueDefinition = {
  name: 'notification-jobs',
  retry: { attempts: 20, delaySeconds: 15 },
  runLimitSeconds: JOB_RUN_LIMIT_MS / 1000,
};

export type TriggerQueue = JobQueue<TriggerData, SqlClient>;

/** The store's jobs on Postgres with pg-boss doing the running. */
export interface JobTriggers {
  readonly queue: TriggerQueue;
  /** Takes the trigger's row for a run, for process `owner`; see {@link claimPgJob}. */
  claim(jobId: number, now: number, owner?: number): Promise<Job | undefined>;
  /** The processes that have rows running. */
  claimants(): Promise<number[]>;
  /**
   * Gives the rows run by processes now gone back, each with a new trigger, so that they run
   * again at once; answers how many.
   */
  releaseClaims(owners: readonly number[], now: number): Promise<number>;
  /** The row as it is now. */
  get(jobId: number): Promise<Job | undefined>;
  /** Gives every pending or running row without a live trigger one; answers how many. */
  adopt(now: number): Promise<number>;
  /** Triggers waiting and running, for health figures. */
  counts(): Promise<QueueCounts>;
}

const triggerKey = (job: Pick<Job, 'id' | 'dueAt' | 'updatedAt'>, tag: string) =>
  `job:${job.id}:${job.dueAt}:${job.updatedAt}:${tag}`;

/**
 * The store with its `jobs` port sending a trigger with every row it makes pending (enqueue, bring
 * forward), in the caller's transaction (or one of its own). Everything else passes through.
 */
export function withJobTriggers(
  store: PostgresStore,
  queue: TriggerQueue,
  logger: Logger,
): { store: PostgresStore; triggers: JobTriggers } {
  const base = store.jobs;
  const client = currentClient(store);

  async function trigger(row: Job | undefined, tag: string): Promise<void> {
    if (row?.state !== 'pending') return;
    await queue.enqueue({ key: triggerKey(row, tag), data: { jobId: row.id }, dueAt: row.dueAt }, client);
  }

  const jobs: JobsPort = {
    ...base,
    async enqueue(job) {
      const added = await store.transaction(async () => {
        if (!(await base.enqueue(job))) return false;
        await trigger(await base.byDedupeKey(job.dedupeKey), 'enqueued');
        return true;
      });
      // A worker of this process looks at once (after the commit, or it would not see the row).
      if (added) queue.wake();
      return added;
    },
    async bringForward(id, dueAt) {
      const moved = await store.transaction(async () => {
        if (!(await base.bringForward(id, dueAt))) return false;
        await trigger(await base.get(id), 'forward');
        return true;
      });
      if (moved) queue.wake();
      return moved;
    },
  };

  const triggers: JobTriggers = {
    queue,
    claim: (jobId, now, owner) => claimPgJob(store.db, jobId, now, now - JOB_RUN_LIMIT_MS, owner),
    claimants: () => pgJobClaimants(store.db),
    async releaseClaims(owners, now) {
      // Two steps: a crash between them leaves rows pending without a trigger, which `adopt`
      // gives one at the next start.
      const rows = await releasePgJobClaims(store.db, owners, now);
      for (const row of rows) await trigger(row, `released-${now}`);
      const released = rows.length;
      if (released > 0) {
        queue.wake();
        logger.info({ released, owners }, 'jobs of a process that stopped run again');
      }
      return released;
    },
    get: (jobId) => base.get(jobId),
    async adopt(now) {
      const live = await queue.liveKeys('job:');
      const covered = new Set([...live].map((key) => Number(key.split(':')[1])));
      let adopted = 0;
      for (const state of ['pending', 'running'] as const) {
        for (const row of await base.list({ state, limit: 100_000 })) {
          if (covered.has(row.id)) continue;
          await queue.enqueue(
            { key: triggerKey(row, `adopted-${now}`), data: { jobId: row.id }, dueAt: row.dueAt },
            undefined,
          );
          adopted++;
        }
      }
      if (adopted > 0) logger.info({ adopted }, 'jobs without a trigger were given one');
      return adopted;
    },
    counts: () => queue.counts(),
  };

  return { store: { ...store, jobs }, triggers };
}

/**
 * What a fired trigger does with its row once the run (if any) is over: nothing more when the row
 * is finished, or wait for the row's due time when it is pending again (a retry, a postponement,
 * a trigger that fired early). A row still running elsewhere is looked at again when its run
 * would count as dead.
 */
export function afterRun(row: Job | undefined, now: number): JobOutcome | undefined {
  if (!row) return undefined;
  if (row.state === 'pending') {
    return { postpone: { until: Math.max(row.dueAt, now + 1000), reason: 'the row is due later' } };
  }
  if (row.state === 'running') {
    return { postpone: { until: row.updatedAt + JOB_RUN_LIMIT_MS + 1000, reason: 'the row runs elsewhere' } };
  }
  return undefined;
}
