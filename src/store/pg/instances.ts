/**
 * The engine processes sharing one Postgres database, and the rule about Telegram long polling
 * among them: a process that long-polls must be the only one, because Telegram hands each update
 * to one `getUpdates` caller and answers a second poller with 409 Conflict
 * (https://core.telegram.org/bots/api#getupdates), so updates would go to whichever process asks.
 * Several processes take updates by webhook (`TELEGRAM_WEBHOOK_URL`) behind a load balancer.
 *
 * A process registers at start (a row of `engine_instances`), refreshes its row's `seen_at`
 * every heartbeat and deletes it on a clean stop. A row counts as live while its `seen_at` is
 * recent and its process still holds the session advisory lock keyed by the row's id (on a
 * connection kept for that): the server drops the lock with the connection, so a killed process
 * no longer counts from the moment its connection closes, and its restart is not refused.
 * Registration checks and inserts under a transaction-scoped advisory lock, so two processes
 * starting at once cannot both pass the check. Times are the database server's clock, which every
 * process shares whatever its own says.
 *
 * @module
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Logger } from '../../log.js';

/** First key of the registry's advisory locks ("Inst"); the second is 0 (registry) or a row id. */
const INSTANCE_LOCK_NAMESPACE = 0x496e_7374;
/** The registry's own lock: row ids start at 1. */
const REGISTRY_LOCK = 0;
/** How often a live process refreshes its row. */
const DEFAULT_HEARTBEAT_MS = 10_000;
/** A row not refreshed for this long is taken for a process gone (a hung or cut-off one). */
const DEFAULT_STALE_MS = 60_000;

/** The database server's clock in epoch ms. */
const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/** Whether row `i` is a live process: refreshed lately, and its lock still held on this database. */
const LIVE = `i.seen_at > ${NOW_MS} - $2::bigint AND EXISTS (
  SELECT 1 FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.classid = $1::int::oid AND l.objid = i.id::oid)`;

/** Options of {@link registerInstance}. */
export interface RegisterInstanceOptions {
  /** Whether this process takes Telegram's updates by long polling. */
  longPolling: boolean;
  logger: Logger;
  /** Default 10 s. */
  heartbeatMs?: number;
  /** Default 60 s: several missed heartbeats, so a slow database does not make a process "gone". */
  staleMs?: number;
}

/** Another process on the database, as the registry shows it. */
export interface EngineInstance {
  id: number;
  host: string;
  pid: number;
  longPolling: boolean;
  /** How long ago it refreshed its row. */
  seenMsAgo: number;
}

/** This process's row, kept fresh until {@link InstanceRegistration.stop}. */
export interface InstanceRegistration {
  readonly id: number;
  /** A tenant host says which salons' engines it runs now (see {@link countLiveInstances}). */
  setTenants(ids: readonly string[]): Promise<void>;
  /** The ids of the processes live on this registry now, this one's included. */
  liveIds(): Promise<Set<number>>;
  /**
   * Calls `listener` with the ids of processes that were live at one heartbeat and are gone
   * (killed, cut off) at the next, so that their work is taken over at once. Returns the unsubscribe.
   */
  onGone(listener: (ids: readonly number[]) => void): () => void;
  /** Deletes the row and releases the lock and its connection; safe to call twice. */
  stop(): Promise<void>;
}

/** Refused: this process and the live ones cannot share the database; the message says what to do. */
export class InstanceConflictError extends Error {
  override readonly name = 'InstanceConflictError';
  constructor(
    message: string,
    readonly others: EngineInstance[],
  ) {
    super(message);
  }
}

const describe = (instance: EngineInstance): string =>
  `process ${instance.pid} on ${instance.host} (instance ${instance.id}, seen ${Math.round(instance.seenMsAgo / 1000)} s ago)`;

/** Why a process of `longPolling` cannot join `others`, or undefined when it can. */
export function conflictOf(longPolling: boolean, others: EngineInstance[]): string | undefined {
  const poller = others.find((other) => other.longPolling);
  if (poller)
    return (
      `Another engine process takes Telegram updates by long polling on this database: ${describe(poller)}. ` +
      'Long polling allows one process only. To run several processes on one database, set ' +
      'TELEGRAM_WEBHOOK_URL on every one of them (restart that one with it too).'
    );
  const [other] = others;
  if (longPolling && other)
    return (
      'This process would take Telegram updates by long polling (TELEGRAM_BOT_TOKEN is set, ' +
      `TELEGRAM_WEBHOOK_URL is not), but another engine process runs on this database: ${describe(other)}` +
      `${others.length > 1 ? ` and ${others.length - 1} more` : ''}. Long polling allows one process only. ` +
      'Set TELEGRAM_WEBHOOK_URL on every process to run several on one database.'
    );
  return undefined;
}

interface InstanceRow {
  id: number;
  host: string;
  pid: number;
  long_polling: boolean;
  seen_ms_ago: string;
}

/**
 * Registers this process, or throws {@link InstanceConflictError} (having registered nothing)
 * when it cannot share the database with the processes live on it.
 */
/**
 * The first key of this registry's advisory locks. Locks are per database, not per schema, so
 * each tenant's registry (in its own schema, whose row ids also start at 1) gets its own.
 */
async function lockNamespace(client: pg.PoolClient): Promise<number> {
  const found = await client.query<{ schema: string; ns: number }>(
    `SELECT current_schema() AS schema, hashtext('engine_instances.' || current_schema()) AS ns`,
  );
  const row = found.rows[0];
  return !row || row.schema === 'public' ? INSTANCE_LOCK_NAMESPACE : row.ns;
}

export async function registerInstance(
  pool: pg.Pool,
  options: RegisterInstanceOptions,
): Promise<InstanceRegistration> {
  const { logger, longPolling } = options;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const client = await pool.connect();
  // A checked-out client that loses its connection emits 'error'; unheard, it would end the process.
  client.on('error', (error) => logger.warn({ err: error }, 'the instance registry lost its connection'));
  let id: number;
  let others: EngineInstance[];
  let ns: number;
  try {
    ns = await lockNamespace(client);
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [ns, REGISTRY_LOCK]);
    // Rows of processes gone (killed, cut off) would otherwise refuse their successors.
    await client.query(`DELETE FROM engine_instances i WHERE NOT (${LIVE})`, [ns, staleMs]);
    const live = await client.query<InstanceRow>(
      `SELECT id, host, pid, long_polling, (${NOW_MS} - seen_at)::text AS seen_ms_ago FROM engine_instances ORDER BY id`,
    );
    others = live.rows.map((row) => ({
      id: row.id,
      host: row.host,
      pid: row.pid,
      longPolling: row.long_polling,
      seenMsAgo: Number(row.seen_ms_ago),
    }));
    const conflict = conflictOf(longPolling, others);
    if (conflict) throw new InstanceConflictError(conflict, others);
    const inserted = await client.query<{ id: number }>(
      `INSERT INTO engine_instances (host, pid, long_polling, started_at, seen_at)
       VALUES ($1, $2, $3, ${NOW_MS}, ${NOW_MS}) RETURNING id`,
      [hostname(), process.pid, longPolling],
    );
    id = inserted.rows[0]?.id ?? 0;
    // Session-level: held past this commit, for as long as the connection lives.
    await client.query('SELECT pg_advisory_lock($1, $2)', [ns, id]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    throw error;
  }
  logger.info({ instance: id, longPolling, others: others.length }, 'registered with the database');

  const liveIds = async (): Promise<Set<number>> => {
    const found = await client.query<{ id: number }>(`SELECT id FROM engine_instances i WHERE ${LIVE}`, [
      ns,
      staleMs,
    ]);
    return new Set(found.rows.map((row) => Number(row.id)));
  };
  const goneListeners = new Set<(ids: readonly number[]) => void>();
  /**
   * The processes live at the last look (one per heartbeat while listened to), first those live at
   * registration. One that registers and dies between two looks goes unreported: what it ran
   * waits for its run limit.
   */
  let lastLive = new Set([...others.map((other) => other.id), id]);
  const lookForGone = async () => {
    if (goneListeners.size === 0) return;
    const live = await liveIds();
    const gone = [...lastLive].filter((other) => !live.has(other));
    lastLive = live;
    if (gone.length === 0) return;
    logger.info({ gone }, 'engine processes stopped; their work is taken over');
    for (const listener of goneListeners) listener(gone);
  };

  let beating: Promise<void> = Promise.resolve();
  let tenants: readonly string[] = [];
  const beat = async () => {
    try {
      const refreshed = await client.query(`UPDATE engine_instances SET seen_at = ${NOW_MS} WHERE id = $1`, [
        id,
      ]);
      // Deleted as gone (this process stalled past the stale window): it is back, so say so again.
      if (refreshed.rowCount === 0) {
        logger.warn({ instance: id }, 'this process was taken for gone by the registry; registering again');
        await client.query(
          `INSERT INTO engine_instances (id, host, pid, long_polling, started_at, seen_at, tenants)
           VALUES ($1, $2, $3, $4, ${NOW_MS}, ${NOW_MS}, $5) ON CONFLICT (id) DO NOTHING`,
          [id, hostname(), process.pid, longPolling, tenants],
        );
      }
    } catch (error) {
      logger.warn({ err: error, instance: id }, 'could not refresh this process in the registry');
    }
    // The processes last seen live stay the baseline: one gone now is reported at the next look.
    await lookForGone().catch((error: unknown) => {
      logger.warn({ err: error, instance: id }, 'could not look for engine processes gone');
    });
  };
  const timer = setInterval(() => {
    beating = beating.then(beat);
  }, heartbeatMs);
  timer.unref();

  let stopped: Promise<void> | undefined;
  return {
    id,
    setTenants(ids) {
      tenants = [...ids];
      // On the registration's own connection, after any heartbeat in flight.
      const run = beating.then(async () => {
        await client.query('UPDATE engine_instances SET tenants = $1 WHERE id = $2', [tenants, id]);
      });
      beating = run.catch(() => undefined);
      return run;
    },
    liveIds,
    onGone(listener) {
      goneListeners.add(listener);
      return () => goneListeners.delete(listener);
    },
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await beating;
        try {
          await client.query('DELETE FROM engine_instances WHERE id = $1', [id]);
          await client.query('SELECT pg_advisory_unlock($1, $2)', [ns, id]);
          client.release();
        } catch (error) {
          // The connection is gone, and the lock with it; the row is left to age out.
          logger.warn({ err: error, instance: id }, 'could not remove this process from the registry');
          client.release(error instanceof Error ? error : true);
        }
      })();
      return stopped;
    },
  };
}

/**
 * How many processes are live on this registry; with `tenant`, how many of them run that salon's
 * engine. For a caller that waits for none.
 */
export async function countLiveInstances(
  pool: pg.Pool,
  options: { tenant?: string; staleMs?: number } = {},
): Promise<number> {
  const client = await pool.connect();
  try {
    const ns = await lockNamespace(client);
    const found = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM engine_instances i WHERE ${LIVE} AND ($3::text IS NULL OR $3 = ANY(i.tenants))`,
      [ns, options.staleMs ?? DEFAULT_STALE_MS, options.tenant ?? null],
    );
    return Number(found.rows[0]?.n ?? 0);
  } finally {
    client.release();
  }
}
