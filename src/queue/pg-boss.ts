/**
 * The queue port on pg-boss 10 (the last major that runs on Node 20), for the Postgres mode.
 * Facts relied on are cited as `node_modules/pg-boss/src/<file>:<line>` (version 10.4.2).
 *
 * What pg-boss gives:
 * - due times: a job is fetched only once `start_after < now()` (plans.js:513), and an absolute
 *   `startAfter` Date is stored as that instant (attorney.js:86, plans.js:819), so a deadline keeps
 *   its original time across any restart;
 * - safe claiming by several workers and processes: `FOR UPDATE SKIP LOCKED` (plans.js:516);
 * - retries with backoff: `fail` re-queues while `retry_count < retry_limit`, after
 *   `retry_delay · 2^n / 2 · (1 + random)` seconds (plans.js:608, 619);
 * - crash recovery: an attempt active longer than `expire_in` is failed by the maintenance run and
 *   so retried (plans.js:566, boss.js `maintain`);
 * - enqueueing through the caller's connection: `send(…, { db })` (manager.js:377).
 *
 * What it does not give, and what this file adds:
 * - "never twice for one key, also after completion". Every queue policy's unique index covers
 *   only jobs still queued or active (`short` created, `singleton` active, `stately` created to
 *   active: plans.js:336–344); the throttle index covers finished jobs but only while they sit in
 *   the job table, which archives them after 12 hours by default (plans.js:348, 941). So a key
 *   ledger, `app_job_key`, holds one row per key, written in the enqueue's transaction
 *   (`INSERT … ON CONFLICT DO NOTHING`): a concurrent enqueue of the same key waits for the
 *   first transaction and then inserts nothing. It holds keys, not work: pg-boss holds the jobs.
 * - postponing without counting an attempt, and a retry at a time the handler chooses: pg-boss
 *   has neither, so the job is completed and a successor (same key, data and order, attempts so
 *   far carried in its data) is sent in one transaction, guarded by `complete` touching only an
 *   active job (plans.js:552), so a job expired and re-run elsewhere spawns no second successor.
 * - one chat's messages in order: a `singleton` queue keyed by chat would stall every chat
 *   behind a busy one (fetch takes the oldest jobs and a unique violation on one of them fails the
 *   whole fetch: plans.js:340, manager.js `fetch` swallows it), and a queue per chat does not scale.
 *   Instead each key row carries a sequence number; a job whose order key has an earlier job still
 *   queued, running or retrying waits (postponed, not an attempt), and within one process jobs of
 *   one order key run one after another.
 * - idling cheaply: a pg-boss worker polls with a fetch per slot (worker.js), and a tenant host
 *   runs queues by the thousand. Here the slots hardly poll; each queue instead looks for its next
 *   due job once per interval, and a job this process sends for later wakes it at the job's time.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import PgBoss from 'pg-boss';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { SchemaPool } from '../store/pg/schema-pool.js';
import type { JobHandler, JobQueue, NewQueueJob, QueueDefinition, QueueJobState } from './port.js';

/**
 * A connection with an open transaction: a `pg` client between BEGIN and COMMIT, or the store's
 * `executeSql` on its current transaction (`{ query: store.executeSql }`).
 */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * The store's `executeSql` as a client of its current transaction (or of the pool outside one):
 * what a trigger is sent through so that it commits or rolls back with the row it is for.
 */
export function currentClient(store: { executeSql: SqlClient['query'] }): SqlClient {
  return { query: (text, values) => store.executeSql(text, values) };
}

/** pg-boss's connection interface (types.d.ts `Db`) over one of our clients or the pool. */
function asBossDb(client: SqlClient | pg.Pool): PgBoss.Db {
  return {
    executeSql: async (text, values) => {
      const result = await client.query(text, values);
      return { rows: result.rows };
    },
  };
}

/** What is stored as a pg-boss job's data. */
const envelopeSchema = z.object({
  key: z.string(),
  data: z.unknown(),
  /** Attempts spent by the job's predecessors (a postponed or self-timed job's earlier runs). */
  spent: z.number().int().min(0),
  orderKey: z.string().optional(),
  seq: z.number().int().optional(),
});
type Envelope = z.infer<typeof envelopeSchema>;

export interface PgBossQueuesOptions {
  /** The application's pool; pg-boss runs its statements through it (no second pool). */
  pool: pg.Pool;
  /** Schema of pg-boss's tables and of the key ledger. Default `pgboss`. */
  schema?: string;
  /**
   * How often an idle queue looks for due jobs nobody told it of: sent by another process, retried
   * by pg-boss, or left by a process that died. Jobs this process sends wake it at their due time
   * themselves. Default 10 s.
   */
  pollingIntervalSeconds?: number;
  /** How often expired attempts are retried and finished jobs archived. Default 60 s. */
  maintenanceIntervalSeconds?: number;
  /** How long a job of an order key waits before it looks again at its earlier ones. Default 1 s. */
  orderWaitMs?: number;
  logger: Logger;
}

/** The queues of one process on one database. */
export interface PgBossQueues {
  /** Creates the queue if needed and returns it; `parse` checks the data read back from the database. */
  queue<Data>(definition: QueueDefinition, parse: (raw: unknown) => Data): Promise<JobQueue<Data, SqlClient>>;
  /** Runs expiry and archiving now (tests; production relies on the maintenance interval). */
  maintain(): Promise<void>;
  /**
   * Stops fetching, waits up to `timeoutMs` for running jobs, then gives those still running back
   * to the queue (pg-boss fails them, so they are retried). The pool stays open.
   */
  stop(timeoutMs?: number): Promise<void>;
}

// Jobs wait for workers, and workers may be down for long: a job queued but not started by
// `keep_until` is archived, i.e. dropped (plans.js:941–943). Keep queued jobs for a year.
const RETENTION_DAYS = 365;

/**
 * How often a worker slot fetches on its own. The queue's look (see `lookAt` in `open`) wakes the
 * slots when work is due, so this is only a last resort.
 */
const SLOT_POLLING_SECONDS = 120;

/** Starts pg-boss on the pool (creating or migrating its schema) and the key ledger. */
export async function startPgBossQueues(options: PgBossQueuesOptions): Promise<PgBossQueues> {
  const schema = options.schema ?? 'pgboss';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad queue schema name: ${schema}`);
  const { pool, logger } = options;
  const keys = `${schema}.app_job_key`;
  const lookMs = (options.pollingIntervalSeconds ?? 10) * 1000;
  /** pg-boss's statements and ours on its tables name their schema: no pointed connection needed. */
  const direct: SqlClient =
    pool instanceof SchemaPool ? { query: (text, values) => pool.qualifiedQuery(text, values) } : pool;
  /** Ends every queue's look timer at `stop`. */
  const looks = new Set<() => void>();
  const orderWaitMs = options.orderWaitMs ?? 1000;

  const boss = new PgBoss({
    // Its own statements (polls, maintenance) name its schema: on a tenant host's shared pool
    // they need no connection pointed at the salon's schema.
    db: asBossDb(direct),
    schema,
    // No cron schedules are used; the timekeeper would only poll for them.
    schedule: false,
    supervise: true,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
  });
  // An EventEmitter without an 'error' listener throws; pg-boss reports failed polls this way.
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  await boss.start();

  await inTransaction(pool, async (client) => {
    // Two processes starting together must not both create the table.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}.app_job_key`]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${keys} (
        queue text NOT NULL,
        key text NOT NULL,
        job_id uuid NOT NULL,
        order_key text,
        seq bigserial NOT NULL,
        outcome text,
        created_on timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (queue, key)
      )`);
    await client.query(
      `CREATE INDEX IF NOT EXISTS app_job_key_order_i ON ${keys} (queue, order_key, seq) WHERE order_key IS NOT NULL`,
    );
  });

  async function open<Data>(
    definition: QueueDefinition,
    parse: (raw: unknown) => Data,
  ): Promise<JobQueue<Data, SqlClient>> {
    const { name } = definition;
    // v10 needs the queue before send/work; creating an existing one does nothing (plans.js:257),
    // but two processes creating it at once deadlock (its partition is created and attached), so
    // creation is serialised by a session advisory lock held on a connection of its own.
    const lock = await pool.connect();
    try {
      await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`${schema}.create_queue`]);
      if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, policy: 'standard' });
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`${schema}.create_queue`]).catch(() => {});
      lock.release();
    }
    const attempts = Math.max(1, definition.retry.attempts);

    /** Sends one pg-boss job for the key, through `client` (part of its transaction). */
    async function sendJob(
      client: SqlClient,
      id: string,
      envelope: Envelope,
      at: Date,
      priority: number,
    ): Promise<void> {
      const sent = await boss.send(name, envelope, {
        id,
        db: asBossDb(client),
        startAfter: at,
        priority,
        // Retries left to this job: the queue's attempts less the first run and those spent.
        retryLimit: Math.max(0, attempts - 1 - envelope.spent),
        retryDelay: Math.max(1, Math.round(definition.retry.delaySeconds)),
        retryBackoff: true,
        expireInSeconds: definition.runLimitSeconds,
        retentionDays: RETENTION_DAYS,
      });
      if (sent === null) throw new Error(`queue ${name}: pg-boss refused job ${id}`);
      // Due now, the sender wakes a worker once its transaction has committed (`wake`). A wake can
      // still come too early (a send nested in a longer transaction), so the queue also looks a
      // second later at the earliest; looks coalesce, so a busy queue pays at most one a second.
      lookAt(Math.max(at.getTime(), Date.now() + 1_000));
    }

    async function enqueueWith(client: SqlClient, job: NewQueueJob<Data>): Promise<boolean> {
      const id = randomUUID();
      const inserted = await client.query(
        `INSERT INTO ${keys} (queue, key, job_id, order_key) VALUES ($1, $2, $3, $4)
         ON CONFLICT (queue, key) DO NOTHING RETURNING seq`,
        [name, job.key, id, job.orderKey ?? null],
      );
      const row = inserted.rows[0] as { seq: string } | undefined;
      if (!row) return false;
      const envelope: Envelope = {
        key: job.key,
        data: job.data,
        spent: 0,
        ...(job.orderKey === undefined ? {} : { orderKey: job.orderKey, seq: Number(row.seq) }),
      };
      await sendJob(client, id, envelope, new Date(job.dueAt ?? Date.now()), job.priority ?? 0);
      return true;
    }

    /** This process's worker slots of the queue; `busy` while one runs a job. */
    let slots: Array<{ id: string; busy: boolean }> = [];
    /**
     * One idle slot looks at once. A slot that finds a job wakes another, and looks again itself
     * when done, so a backlog is soon taken at full concurrency, while one job costs a few
     * fetches rather than one per slot.
     */
    function wake(): void {
      const idle = slots.find((slot) => !slot.busy);
      if (idle) boss.notifyWorker(idle.id);
    }

    /**
     * The queue's next look, while this process works it. Idle, a queue costs one indexed query
     * per look instead of a fetch per worker slot every poll: a look asks, by the database's clock
     * (the one pg-boss fetches by), whether a job not yet started is due, and when the next one
     * will be. One is due: a slot is woken. The next look is at the next due time, or at the
     * interval if that is sooner. A job this process sends moves the look to its time (`sendJob`).
     */
    let look: { at: number; timer: ReturnType<typeof setTimeout> } | undefined;
    let working = false;
    function lookAt(at: number): void {
      if (!working || (look && look.at <= at)) return;
      if (look) clearTimeout(look.timer);
      const timer = setTimeout(() => void lookNow(), Math.max(0, at - Date.now()));
      timer.unref();
      look = { at, timer };
    }
    function stopLooking(): void {
      working = false;
      if (look) clearTimeout(look.timer);
      look = undefined;
    }
    looks.add(stopLooking);
    async function lookNow(): Promise<void> {
      look = undefined;
      let due = false;
      let inMs: number | null = null;
      try {
        // Both halves read the fetch's own index (name, start_after, for jobs not yet started).
        const { rows } = await direct.query(
          `SELECT EXISTS (SELECT 1 FROM ${schema}.job
                          WHERE name = $1 AND state < 'active' AND start_after <= now()) AS due,
                  (SELECT extract(epoch FROM min(start_after) - now()) * 1000 FROM ${schema}.job
                   WHERE name = $1 AND state < 'active' AND start_after > now())::float8 AS in_ms`,
          [name],
        );
        const row = rows[0] as { due: boolean; in_ms: number | null } | undefined;
        due = row?.due ?? false;
        inMs = row?.in_ms ?? null;
      } catch (error) {
        logger.warn({ err: error, queue: name }, 'could not look for the next due job; looking again later');
      }
      // A job already due is a slot's (a busy one takes it when it is done).
      if (due) wake();
      lookAt(Date.now() + (inMs === null ? lookMs : Math.min(inMs, lookMs)));
    }

    /**
     * Ends `job` and sends its successor due at `until`, with `spent` attempts behind it, in one
     * transaction; nothing happens if the job is no longer active (it expired and runs elsewhere).
     */
    async function succeed(
      job: PgBoss.JobWithMetadata<unknown>,
      envelope: Envelope,
      until: number,
      spent: number,
      why: Record<string, string>,
    ): Promise<void> {
      await inTransaction(pool, async (client) => {
        const done = await boss.complete(name, job.id, why, { db: asBossDb(client) });
        if (!affected(done)) return;
        const next = randomUUID();
        await sendJob(client, next, { ...envelope, spent }, new Date(until), job.priority);
        await client.query(`UPDATE ${keys} SET job_id = $3 WHERE queue = $1 AND key = $2`, [
          name,
          envelope.key,
          next,
        ]);
      });
      // A successor due later moved the look to its time (`sendJob`); one due now is taken at once.
      if (until <= Date.now()) wake();
    }

    /** Ends `job` for good as failed: pg-boss sees it completed, the ledger keeps the verdict. */
    async function giveUp(job: PgBoss.JobWithMetadata<unknown>, envelope: Envelope, reason: string) {
      await inTransaction(pool, async (client) => {
        const done = await boss.complete(name, job.id, { gaveUp: reason }, { db: asBossDb(client) });
        if (!affected(done)) return;
        await client.query(`UPDATE ${keys} SET outcome = 'failed' WHERE queue = $1 AND key = $2`, [
          name,
          envelope.key,
        ]);
      });
    }

    /** Whether an earlier job of the same order key is still queued, running or retrying. */
    async function earlierPending(envelope: Envelope): Promise<boolean> {
      if (envelope.orderKey === undefined || envelope.seq === undefined) return false;
      const { rows } = await pool.query(
        `SELECT 1 FROM ${keys} k JOIN ${schema}.job j ON j.name = k.queue AND j.id = k.job_id
         WHERE k.queue = $1 AND k.order_key = $2 AND k.seq < $3 AND j.state < 'completed' LIMIT 1`,
        [name, envelope.orderKey, envelope.seq],
      );
      return rows.length > 0;
    }

    /** Jobs of one order key in this process run one after another (see the module comment). */
    const lanes = new Map<string, Promise<void>>();
    function inLane(orderKey: string | undefined, run: () => Promise<void>): Promise<void> {
      if (orderKey === undefined) return run();
      const before = lanes.get(orderKey) ?? Promise.resolve();
      const mine = before.then(run, run);
      const tail = mine.catch(() => {});
      lanes.set(orderKey, tail);
      void tail.then(() => {
        if (lanes.get(orderKey) === tail) lanes.delete(orderKey);
      });
      return mine;
    }

    /** Jobs this process is running, so that `stopWork` can wait for them. */
    let running = 0;
    const idleWaiters: Array<() => void> = [];

    async function runOne(job: PgBoss.JobWithMetadata<unknown>, handler: JobHandler<Data>): Promise<void> {
      running++;
      try {
        await runEnvelope(job, handler);
      } finally {
        running--;
        if (running === 0) for (const resolve of idleWaiters.splice(0)) resolve();
      }
    }

    async function runEnvelope(
      job: PgBoss.JobWithMetadata<unknown>,
      handler: JobHandler<Data>,
    ): Promise<void> {
      const envelope = envelopeSchema.parse(job.data);
      await inLane(envelope.orderKey, async () => {
        if (await earlierPending(envelope)) {
          // Waiting for the chat's earlier message is not an attempt.
          await succeed(job, envelope, Date.now() + orderWaitMs, envelope.spent + job.retryCount, {
            waited: 'an earlier job of its order key',
          });
          return;
        }
        const attempt = envelope.spent + job.retryCount + 1;
        // A throw propagates to pg-boss's worker, which fails the job: retried with backoff while
        // attempts remain, then failed for good (manager.js:219, plans.js:608).
        const outcome = await handler({
          id: job.id,
          key: envelope.key,
          data: parse(envelope.data),
          attempt,
        });
        if (!outcome) {
          // Completed here rather than by the worker afterwards, so that the next job of the
          // order key sees it done; the worker's own complete then touches nothing (plans.js:552).
          await boss.complete(name, job.id);
        } else if ('postpone' in outcome) {
          await succeed(job, envelope, outcome.postpone.until, attempt - 1, {
            postponed: outcome.postpone.reason,
          });
        } else if ('retry' in outcome) {
          if (attempt >= attempts) await giveUp(job, envelope, outcome.retry.reason);
          else await succeed(job, envelope, outcome.retry.at, attempt, { failed: outcome.retry.reason });
        } else {
          await giveUp(job, envelope, outcome.giveUp);
        }
      });
    }

    return {
      name,

      async enqueue(job, tx) {
        if (tx) return enqueueWith(tx, job);
        const added = await inTransaction(pool, (client) => enqueueWith(client, job));
        if (added) wake();
        return added;
      },

      async cancel(key, tx) {
        const run = async (client: SqlClient): Promise<boolean> => {
          const { rows } = await client.query(
            `SELECT job_id FROM ${keys} WHERE queue = $1 AND key = $2 AND outcome IS NULL FOR UPDATE`,
            [name, key],
          );
          const row = rows[0] as { job_id: string } | undefined;
          if (!row) return false;
          const db = asBossDb(client);
          const current = await boss.getJobById(name, row.job_id, { db, includeArchive: false });
          // Only a job not started yet; a running or finished one keeps its key.
          if (current?.state !== 'created' && current?.state !== 'retry') return false;
          const cancelled = await boss.cancel(name, row.job_id, { db });
          if (!affected(cancelled)) return false;
          await client.query(`DELETE FROM ${keys} WHERE queue = $1 AND key = $2`, [name, key]);
          return true;
        };
        return tx ? run(tx) : inTransaction(pool, run);
      },

      async state(key) {
        const { rows } = await pool.query(
          `SELECT job_id, outcome FROM ${keys} WHERE queue = $1 AND key = $2`,
          [name, key],
        );
        const row = rows[0] as { job_id: string; outcome: string | null } | undefined;
        if (!row) return undefined;
        if (row.outcome === 'failed') return 'failed';
        const job = await boss.getJobById(name, row.job_id, { includeArchive: true });
        return stateOf(job?.state);
      },

      async work(handler, { concurrency }) {
        // One fetch loop per slot, each with one job: a slow job holds only its own slot. Idle,
        // the slots do not poll: the queue's look or a sender wakes one when a job is due.
        const mine: Array<{ id: string; busy: boolean }> = [];
        for (let n = 0; n < Math.max(1, concurrency); n++) {
          const slot = { id: '', busy: false };
          slot.id = await boss.work<unknown>(
            name,
            { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: SLOT_POLLING_SECONDS },
            async (jobs) => {
              slot.busy = true;
              // More may be due: another slot looks too. This one looks again once done, as a
              // worker notified meanwhile skips its sleep (worker.js:77).
              wake();
              boss.notifyWorker(slot.id);
              try {
                for (const job of jobs) await runOne(job, handler);
              } catch (error) {
                // pg-boss fails the job and queues its retry for later (plans.js:608): once it
                // has, a look finds the retry's due time.
                lookAt(Date.now() + 1_000);
                throw error;
              } finally {
                slot.busy = false;
              }
            },
          );
          mine.push(slot);
        }
        slots = [...slots, ...mine];
        working = true;
        // Jobs already waiting, due now or later: the first look finds them.
        lookAt(Date.now());
      },

      async stopWork() {
        stopLooking();
        const ids = slots.map((slot) => slot.id);
        slots = [];
        // offWork only asks the workers to stop (manager.js `offWork`); a job they hold still runs.
        await Promise.all(ids.map((id) => boss.offWork({ id })));
        while (running > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      },

      async liveKeys(prefix) {
        const { rows } = await pool.query(
          `SELECT k.key FROM ${keys} k JOIN ${schema}.job j ON j.name = k.queue AND j.id = k.job_id
           WHERE k.queue = $1 AND starts_with(k.key, $2) AND j.state < 'completed'`,
          [name, prefix],
        );
        return new Set(rows.map((row) => String((row as { key: string }).key)));
      },

      async counts() {
        const { rows } = await pool.query(
          `SELECT state, count(*)::int AS n FROM ${schema}.job WHERE name = $1 GROUP BY state`,
          [name],
        );
        const counts = { queued: 0, active: 0, failed: 0 };
        for (const row of rows as Array<{ state: string; n: number }>) {
          if (row.state === 'created' || row.state === 'retry') counts.queued += row.n;
          else if (row.state === 'active') counts.active += row.n;
          else if (row.state === 'failed') counts.failed += row.n;
        }
        return counts;
      },

      wake,
    };
  }

  return {
    queue: open,
    async maintain() {
      await boss.maintain();
    },
    async stop(timeoutMs = 10_000) {
      for (const stopLooking of looks) stopLooking();
      await boss.stop({ graceful: true, timeout: timeoutMs, close: false, wait: true });
    },
  };
}

/** A pg-boss job state as the port names it; a job missing from both tables was finished long ago. */
function stateOf(state: PgBoss.JobWithMetadata['state'] | undefined): QueueJobState {
  switch (state) {
    case 'created':
    case 'retry':
      return 'queued';
    case 'active':
      return 'active';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'done';
  }
}

/** pg-boss's complete/cancel answer `{ affected }` (manager.js `mapCommandResponse`), typed `void`. */
function affected(result: unknown): boolean {
  return typeof result === 'object' && result !== null && 'affected' in result && Number(result.affected) > 0;
}

/** Runs `fn` in a transaction on a client of `pool`. */
async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
