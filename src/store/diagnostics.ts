/**
 * What `/health` and `/metrics` say about the database: whether it answers (a cheap query with a
 * short timeout, so a probe never hangs on a server that went away), how fast, whether its schema
 * is up to date, the Postgres pool's figures, and where the three durable queues (notification
 * jobs, dialogue deadlines, outgoing messages) stand, so that a stuck queue shows.
 *
 * Nothing here reads a phone number, a chat id or a name: only counts and times.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MIGRATIONS_FOLDER } from './db.js';
import { type ConnectionLosses, connectionLossesOf, describeDatabaseError } from './pg/connection-guard.js';
import { PG_MIGRATIONS_FOLDER } from './pg/db.js';
import { isPostgresStore } from './pg/index.js';
import { SchemaPool } from './pg/schema-pool.js';
import type { Dialect, Store } from './ports.js';
import type { SqliteStore } from './sqlite-store.js';

/** Where one durable queue stands. */
export interface QueueFigures {
  /** Waiting to run (due or not). */
  pending: number;
  /** Claimed by a worker and not finished; only queues that mark it (jobs) report it. */
  running?: number;
  /** Given up for good; only queues that keep them (jobs, outbox) report it. */
  failed?: number;
  /** Pending and already due: a worker should be on them. */
  overdue: number;
  /** How long the oldest due-but-pending item has waited past its due time, in seconds; null when none. */
  oldestOverdueSeconds: number | null;
}

/** The three durable queues, by name. */
export interface QueuesFigures {
  /** Notification jobs (reminders, feedback requests, grouping windows, tasks). */
  jobs: QueueFigures;
  /** Dialogue deadlines (the durable `after` timers). */
  timers: QueueFigures;
  /** Outgoing messages waiting for a channel. */
  outbox: QueueFigures;
}

/** The Postgres pool right now (node-postgres' counters). */
export interface PoolFigures {
  /** Connections open. */
  total: number;
  /** Open and free. */
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  /** Most connections the pool opens. */
  max: number;
  /**
   * Connections lost since the start (server stopped or restarted, connection terminated) and
   * the last one's time (ISO) and reason; the engine went on and opened new ones.
   */
  lost: { count: number; lastAt: string | null; lastReason: string | null };
}

export interface MigrationsFigures {
  /** Migrations recorded as applied in the database. */
  applied: number;
  /** Migrations this build ships. */
  known: number;
  upToDate: boolean;
  /** Applied while this process opened the store. */
  appliedAtStart: number;
}

/** One probe of the database. */
export type DatabaseFigures = {
  dialect: Dialect;
  /** Round trip of the probe query, in ms (also when it failed). */
  latencyMs: number;
  pool?: PoolFigures;
} & (
  | { status: 'ok'; migrations: MigrationsFigures; queues: QueuesFigures }
  | {
      status: 'down';
      /** Why: the driver's message or "no answer within N ms" (no connection string, no data). */
      error: string;
    }
);

/** Options of {@link createDatabaseProbe}. */
export interface DatabaseProbeOptions {
  /** Epoch ms now (the engine's clock). */
  now: () => number;
  /** Longest wait for the database's answer. Default 2000 ms. */
  timeoutMs?: number;
}

/** Probes a store; one probe at a time (a second caller shares the one in flight). */
export interface DatabaseProbe {
  probe(): Promise<DatabaseFigures>;
}

const journalSchema = z.object({ entries: z.array(z.unknown()) });

/** How many migrations a drizzle folder ships (its journal's entries), read once. */
function knownMigrations(folder: string): () => number {
  let known: number | undefined;
  return () => {
    known ??= journalSchema.parse(JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')))
      .entries.length;
    return known;
  };
}
const knownSqlite = knownMigrations(MIGRATIONS_FOLDER);
const knownPostgres = knownMigrations(PG_MIGRATIONS_FOLDER);

/**
 * Every figure in one statement, so a probe is one round trip. `:now` is the one parameter.
 * Each count walks an index (`jobs_state_due_idx`, `timers_due_unfired_idx`,
 * `outbox_pending_due_idx`) except the outbox's failed rows, which stay few.
 */
const FIGURES_SQL = `SELECT
  (SELECT count(*) FROM jobs WHERE state = 'pending') AS jobs_pending,
  (SELECT count(*) FROM jobs WHERE state = 'running') AS jobs_running,
  (SELECT count(*) FROM jobs WHERE state = 'failed') AS jobs_failed,
  (SELECT count(*) FROM jobs WHERE state = 'pending' AND due_at <= :now) AS jobs_overdue,
  (SELECT min(due_at) FROM jobs WHERE state = 'pending' AND due_at <= :now) AS jobs_oldest,
  (SELECT count(*) FROM timers WHERE fired_at IS NULL) AS timers_pending,
  (SELECT count(*) FROM timers WHERE fired_at IS NULL AND due_at <= :now) AS timers_overdue,
  (SELECT min(due_at) FROM timers WHERE fired_at IS NULL AND due_at <= :now) AS timers_oldest,
  (SELECT count(*) FROM outbox WHERE state = 'pending') AS outbox_pending,
  (SELECT count(*) FROM outbox WHERE state = 'failed') AS outbox_failed,
  (SELECT count(*) FROM outbox WHERE state = 'pending' AND next_attempt_at <= :now) AS outbox_overdue,
  (SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending' AND next_attempt_at <= :now) AS outbox_oldest`;

/** A count or time as either driver answers it (Postgres' bigint comes as text). */
const figure = z.union([z.number(), z.string(), z.bigint()]).transform(Number);
const figuresRow = z.object({
  jobs_pending: figure,
  jobs_running: figure,
  jobs_failed: figure,
  jobs_overdue: figure,
  jobs_oldest: figure.nullable(),
  timers_pending: figure,
  timers_overdue: figure,
  timers_oldest: figure.nullable(),
  outbox_pending: figure,
  outbox_failed: figure,
  outbox_overdue: figure,
  outbox_oldest: figure.nullable(),
});
type FiguresRow = z.infer<typeof figuresRow>;

function queuesFrom(row: FiguresRow, now: number): QueuesFigures {
  const age = (oldest: number | null) =>
    oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000));
  return {
    jobs: {
      pending: row.jobs_pending,
      running: row.jobs_running,
      failed: row.jobs_failed,
      overdue: row.jobs_overdue,
      oldestOverdueSeconds: age(row.jobs_oldest),
    },
    timers: {
      pending: row.timers_pending,
      overdue: row.timers_overdue,
      oldestOverdueSeconds: age(row.timers_oldest),
    },
    outbox: {
      pending: row.outbox_pending,
      failed: row.outbox_failed,
      overdue: row.outbox_overdue,
      oldestOverdueSeconds: age(row.outbox_oldest),
    },
  };
}

class ProbeTimeout extends Error {}

/** `work`'s answer, or a {@link ProbeTimeout} after `ms`; the timer never keeps the process alive. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

interface Answer {
  row: FiguresRow;
  applied: number;
}

/** One round trip on SQLite, on the store's connection (after whatever transaction holds it). */
function sqliteAnswer(store: SqliteStore, now: number): Promise<Answer> {
  return store.connection.run(() => {
    const raw = store.sqlite.prepare(FIGURES_SQL.replaceAll(':now', '@now')).get({ now });
    const applied = store.sqlite
      .prepare(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations') THEN (SELECT count(*) FROM __drizzle_migrations) ELSE 0 END AS n",
      )
      .get() as { n: number };
    return { row: figuresRow.parse(raw), applied: applied.n };
  });
}

async function postgresAnswer(
  query: (text: string, values: unknown[]) => Promise<{ rows: unknown[] }>,
  migrationsTable: string,
  now: number,
): Promise<Answer> {
  const result = await query(
    `${FIGURES_SQL.replaceAll(':now', '$1::bigint')},
     (SELECT count(*) FROM ${migrationsTable}) AS migrations_applied`,
    [now],
  );
  const raw = result.rows[0] as Record<string, unknown> | undefined;
  return { row: figuresRow.parse(raw), applied: figure.parse(raw?.migrations_applied) };
}

function lostFigures(seen: ConnectionLosses | undefined): PoolFigures['lost'] {
  return {
    count: seen?.count ?? 0,
    lastAt: seen?.lastAt ? new Date(seen.lastAt).toISOString() : null,
    lastReason: seen?.lastReason ?? null,
  };
}

/**
 * Builds the probe of `store`. On Postgres the query carries node-postgres' `query_timeout` and
 * the probe gives up after `timeoutMs` in any case (a connection attempt to a vanished host may
 * otherwise wait for the kernel); a probe still in flight is shared, never stacked.
 */
export function createDatabaseProbe(store: Store, options: DatabaseProbeOptions): DatabaseProbe {
  const timeoutMs = options.timeoutMs ?? 2_000;
  let inFlight: Promise<DatabaseFigures> | undefined;

  async function run(): Promise<DatabaseFigures> {
    const now = options.now();
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 10) / 10;
    const postgres = isPostgresStore(store) ? store : undefined;
    const pool = postgres?.pool;
    // A tenant's pool borrows the host's connections: those are the ones to count.
    const counted = pool instanceof SchemaPool ? pool.shared : pool;
    const poolFigures = (): PoolFigures | undefined =>
      counted
        ? {
            total: counted.totalCount,
            idle: counted.idleCount,
            waiting: counted.waitingCount,
            max: counted.options.max ?? 10,
            lost: lostFigures(connectionLossesOf(counted)),
          }
        : undefined;
    try {
      const answer = await within(
        postgres
          ? postgresAnswer(
              (text, values) => {
                // node-postgres reads `query_timeout` per query (lib/client.js); its types leave it out.
                const config = { text, values, query_timeout: timeoutMs };
                return postgres.pool.query(config);
              },
              postgres.migrationsTable,
              now,
            )
          : sqliteAnswer(store as SqliteStore, now),
        timeoutMs,
      );
      const known = store.dialect === 'postgres' ? knownPostgres() : knownSqlite();
      const figures: DatabaseFigures = {
        dialect: store.dialect,
        status: 'ok',
        latencyMs: latency(),
        migrations: {
          applied: answer.applied,
          known,
          upToDate: answer.applied >= known,
          appliedAtStart: store.migrationsApplied,
        },
        queues: queuesFrom(answer.row, now),
      };
      const poolNow = poolFigures();
      return poolNow ? { ...figures, pool: poolNow } : figures;
    } catch (error) {
      const poolNow = poolFigures();
      const figures: DatabaseFigures = {
        dialect: store.dialect,
        status: 'down',
        latencyMs: latency(),
        error: describeDatabaseError(error),
      };
      return poolNow ? { ...figures, pool: poolNow } : figures;
    }
  }

  return {
    probe() {
      inFlight ??= run().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
