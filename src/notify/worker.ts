import type { LeaseOwnership } from '../channels/outbox-worker.js';
import { DialogueBusyError } from '../dialogues/runtime.js';
import { afterRun, type JobTriggers } from '../queue/job-triggers.js';
import type { JobOutcome, QueueJob } from '../queue/port.js';
import { createDueLoop, type TimerHost } from '../scheduling/due-loop.js';
import { createLanes } from '../scheduling/lanes.js';
import type { Job } from '../store/index.js';
import { describeDatabaseError } from '../store/pg/connection-guard.js';
import type { AdminMessenger } from './admin.js';
import { createFallback, type RefusedMessage } from './fallback.js';
import { createJobHandlers, type JobHandlerOptions } from './job-handlers.js';
import { isJobPayload, type JobPayload, type VisitWriteJob } from './jobs.js';
import { VISIT_WRITE_ATTEMPTS, type VisitWrites } from './visit-writes.js';

export type { BranchInfo, RenderTemplate, StartFeedback, StartReminder } from './job-handlers.js';

/** The job handlers' needs (see `JobHandlerOptions`), and how the worker runs them. */
export interface NotificationWorkerOptions extends JobHandlerOptions {
  /** Longest sleep between looks at the jobs table. Default 15 s. */
  pollMs?: number;
  /** Due jobs of different clients run side by side, up to this many at once. Default 8. */
  concurrency?: number;
  /**
   * How long a job waits when its client is in the middle of a booking, before it looks again.
   * Waiting is not a failed attempt. Default 20 s.
   */
  busyRetryMs?: number;
  /** Where sleeps come from (tests move a manual clock). Default: real timers. */
  sleepTimers?: TimerHost;
  /** Tells the admin of a notification no channel can deliver (see `fallback.ts`). */
  tellAdmin?: AdminMessenger | undefined;
  /** Runs the queued Confirm/Cancel writes; without it such jobs fail (nothing queues them then). */
  visitWrites?: VisitWrites;
  /** A failed round of the jobs loop (it is retried on the next look). Default: logged. */
  onError?(error: unknown): void;
  /**
   * On Postgres: pg-boss decides when a row runs and which process runs it (see
   * `queue/job-triggers.ts`), instead of this worker polling the table.
   */
  triggers?: JobTriggers | undefined;
  /** With `triggers`, where processes share the database: who runs which row, who is gone. */
  claims?: JobClaims | undefined;
}

/** This process among those sharing the database, as far as running job rows goes. */
export interface JobClaims extends LeaseOwnership {
  /** Calls `listener` with the processes found gone; returns the unsubscribe. */
  onGone(listener: (owners: readonly number[]) => void): () => void;
}

const MAX_ATTEMPTS = 5;

/** One client's jobs run one at a time (they share a chat); different clients' side by side. */
function laneOf(job: Job): string {
  const payload = job.payload;
  if (isJobPayload(payload) && 'phone' in payload && payload.phone) return `client:${payload.phone}`;
  return `job:${job.id}`;
}

/**
 * Runs due notification jobs (see `job-handlers.ts` for what each does): up to `concurrency` at
 * once, one lane per client; a failed job is retried with backoff, and a job whose client is
 * busy booking waits without losing an attempt.
 */
export function createNotificationWorker(options: NotificationWorkerOptions) {
  const { store, clock, logger } = options;
  const handlers = createJobHandlers(options);
  const lanes = createLanes(options.concurrency ?? 8);
  const busyRetryMs = options.busyRetryMs ?? 20_000;
  const fallback = createFallback({
    store,
    handlers,
    settings: options.settings,
    isRunning: options.isRunning,
    tellAdmin: options.tellAdmin,
    clock,
    logger,
    wake: () => wake(),
    onOutbox: () => options.onOutbox(),
  });
  let running = false;
  const reportError =
    options.onError ?? ((error: unknown) => logger.error({ err: error }, 'running notification jobs failed'));

  async function runJob(job: Job): Promise<void> {
    const payload = job.payload;
    try {
      if (!isJobPayload(payload)) throw new Error(`unknown job payload of kind ${job.kind}`);
      if (payload.type === 'visit-write') return await runVisitWrite(job, payload);
      await handlers.run(job, payload);
      await store.jobs.complete(job.id);
    } catch (error) {
      try {
        if (error instanceof DialogueBusyError) {
          // The client is booking: their reminder waits for the booking to end, and loses nothing.
          await store.jobs.postpone(job.id, clock.now() + busyRetryMs, error.message);
          logger.debug({ job: job.id, kind: job.kind }, 'client is booking; the job waits');
        } else await fail(job, payload, error);
      } catch (fault) {
        // Not recorded: the job stays running until the next start recovers it.
        reportError(fault);
      }
    }
    // A retry or a postponement may be due sooner than the loop's current sleep.
    wake();
  }

  const triggers = options.triggers;
  function wake(): void {
    if (triggers) triggers.queue.wake();
    else loop.wake();
  }

  /** A trigger fired (Postgres mode): run its row if it is there to take, then say what follows. */
  // biome-ignore lint/suspicious/noConfusingVoidType: the queue port's handler shape.
  async function runTrigger(trigger: QueueJob<{ jobId: number }>): Promise<JobOutcome | void> {
    if (!triggers) return;
    if (!running) return { postpone: { until: clock.now() + 1000, reason: 'the worker is stopping' } };
    const job = await triggers.claim(trigger.data.jobId, clock.now(), options.claims?.owner);
    if (job) {
      await lanes.run(laneOf(job), () => runJob(job));
      logger.debug({ job: job.id, kind: job.kind }, 'notification job ran');
    }
    return afterRun(await triggers.get(trigger.data.jobId), clock.now());
  }

  let stopWatching: (() => void) | undefined;
  /**
   * Rows a process was running when it died run again now: those of processes gone before this
   * one started, then, as the registry notices, of each one that stops. Without this they would
   * wait out their run limit.
   */
  async function takeOverClaims(jobs: JobTriggers): Promise<void> {
    const { claims } = options;
    if (!claims) return;
    const live = await claims.liveOwners();
    const gone = (await jobs.claimants()).filter((owner) => !live.has(owner));
    await jobs.releaseClaims(gone, clock.now());
    stopWatching = claims.onGone((owners) => {
      jobs.releaseClaims(owners, clock.now()).catch(reportError);
    });
  }

  async function runVisitWrite(job: Job, payload: VisitWriteJob): Promise<void> {
    const writes = options.visitWrites;
    if (!writes) throw new Error('no visit writer configured');
    try {
      await writes.run(payload, job.attempts);
      await store.jobs.complete(job.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryAt = writes.retryAt(job, error);
      const state = await store.jobs.fail(job.id, message, {
        ...(retryAt === undefined ? {} : { retryAt }),
        maxAttempts: VISIT_WRITE_ATTEMPTS,
      });
      logger.warn(
        { job: job.id, record: payload.write.recordId, attempts: job.attempts, state, reason: message },
        state === 'failed' ? 'visit write failed for good' : 'visit write failed, will retry',
      );
      if (state === 'failed') await writes.gaveUp(job, payload, message);
    }
  }

  async function fail(job: Job, payload: unknown, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const state = await store.jobs.fail(job.id, message, {
      retryAt: clock.now() + 30_000 * 2 ** Math.min(job.attempts, 6),
      maxAttempts: MAX_ATTEMPTS,
    });
    logger.warn(
      { job: job.id, kind: job.kind, attempts: job.attempts, state, reason: message },
      'job failed',
    );
    if (state === 'failed' && isJobPayload(payload)) await gaveUp(job, payload, message);
  }

  async function gaveUp(job: Job, payload: JobPayload, message: string): Promise<void> {
    const about = handlers.subject(payload);
    await handlers.log(
      about,
      about.recordIds,
      'failed',
      `gave up after ${job.attempts} attempts: ${message}`,
    );
  }

  /** Claims due jobs as lanes free up; returns once nothing due is left unclaimed. */
  async function runDue(): Promise<number> {
    let total = 0;
    while (running) {
      if (lanes.free === 0) {
        await lanes.whenFree();
        continue;
      }
      const due = await store.jobs.claimDue(clock.now(), lanes.free);
      if (due.length === 0) break;
      for (const job of due) void lanes.run(laneOf(job), () => runJob(job));
      total += due.length;
    }
    if (total > 0) logger.debug({ count: total }, 'notification jobs started');
    return total;
  }

  const loop = createDueLoop({
    nextDueAt: () => store.jobs.nextDueAt(),
    run: runDue,
    onError: reportError,
    clock,
    maxSleepMs: options.pollMs ?? 15_000,
    ...(options.sleepTimers ? { timers: options.sleepTimers } : {}),
  });

  return {
    /** Runs what is due now, then keeps watching. Jobs a crash left running are due again. */
    async start(): Promise<void> {
      running = true;
      await handlers.scheduleBirthdayScan();
      if (triggers) {
        // No recoverInterrupted here: another process may be running those rows right now; a
        // row whose run died is taken again once its run limit has passed.
        await triggers.adopt(clock.now());
        await takeOverClaims(triggers);
        await triggers.queue.work(runTrigger, { concurrency: options.concurrency ?? 8 });
        return;
      }
      const recovered = await store.jobs.recoverInterrupted();
      if (recovered > 0) logger.info({ recovered }, 'jobs interrupted by the last stop will run again');
      void loop.start();
    },
    /**
     * The messenger refused an outbox row as unreachable: when it carried a notification, that
     * notification is planned again for the next channel (see `fallback.ts`). Returns whether it was.
     */
    refused(message: RefusedMessage): Promise<boolean> {
      return fallback(message);
    },
    /** A job was planned: look again now, it may be due sooner than the current sleep. */
    wake(): void {
      wake();
    },
    /**
     * Which engine runs the jobs, whether this process works them now, and (on pg-boss) its
     * triggers waiting, running and failed for good, or why they could not be counted.
     */
    async figures(): Promise<JobEngineFigures> {
      if (!triggers) return { engine: 'table', working: running };
      try {
        return { engine: 'pg-boss', working: running, ...(await triggers.counts()) };
      } catch (error) {
        return { engine: 'pg-boss', working: running, error: describeDatabaseError(error) };
      }
    },
    /** Resolves when every job started so far has finished (tests, benchmarks). */
    idle: () => lanes.idle(),
    async stop(): Promise<void> {
      running = false;
      stopWatching?.();
      if (triggers) await triggers.queue.stopWork();
      else await loop.stop();
      await lanes.idle();
    },
  };
}

/** What `/health` says about the job engine (see `figures()`). */
export interface JobEngineFigures {
  /** `table`: this process polls the jobs table (SQLite); `pg-boss`: pg-boss triggers the rows (Postgres). */
  engine: 'table' | 'pg-boss';
  /** Started and not stopped. */
  working: boolean;
  queued?: number;
  active?: number;
  failed?: number;
  /** Why the pg-boss counts could not be read (the database did not answer). */
  error?: string;
}

export type NotificationWorker = ReturnType<typeof createNotificationWorker>;
