/**
 * Keeps a lost Postgres connection from ending the process.
 *
 * node-postgres hands a client's `'error'` event to the pool only while the client sits idle in
 * it: pg-pool removes its idle listener when the client is checked out and puts it back on
 * release (pg-pool `_acquireClient` / `_release`). A client held checked out — a transaction
 * waiting on its caller, a connection holding a session advisory lock, even one with a query in
 * flight, which gets the server's `57P01` (terminating connection due to administrator command)
 * and then "Connection terminated unexpectedly" as an event (pg `Client._handleErrorEvent`) —
 * emits `'error'` with no listener, and Node ends the process for it.
 *
 * {@link guardConnections} gives every client of a pool a listener of its own for its whole
 * life, attached when the pool opens it (pg-pool emits `'connect'` before handing a new client
 * out), so every checkout is covered wherever it happens: our transactions, pg-boss's, the
 * budget's and the instance registry's connections, drizzle's. The holder still sees the failure
 * on its next query ("Client has encountered a connection error and is not queryable"), and
 * pg-pool drops such a client on release instead of lending it again. The pool's own `'error'`
 * (an idle client lost) is listened to as well.
 *
 * What was lost, how often and when, is kept per pool for `/health`.
 *
 * @module
 */
import type pg from 'pg';

/** Connections a pool has lost since it was opened. */
export interface ConnectionLosses {
  count: number;
  /** Epoch ms of the last loss, or null. */
  lastAt: number | null;
  /** Why, as {@link describeDatabaseError} puts it, or null. */
  lastReason: string | null;
}

const losses = new WeakMap<pg.Pool, ConnectionLosses>();

/**
 * A database error as it may be logged or shown: the SQLSTATE code when there is one and the
 * driver's message, with anything shaped like a connection string (which may carry a password)
 * taken out.
 */
export function describeDatabaseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
      ? `${error.code}: `
      : '';
  return `${code}${message}`.replace(/postgres(ql)?:\/\/\S+/gi, 'postgres://…').slice(0, 200);
}

/**
 * Listens for `'error'` on every client `pool` opens from now on, and on the pool. `onLost` hears
 * each lost connection once, with its reason (no connection string), and `now` stamps it.
 */
export function guardConnections(
  pool: pg.Pool,
  onLost: (reason: string) => void,
  now: () => number = Date.now,
): void {
  if (losses.has(pool)) return;
  const seen: ConnectionLosses = { count: 0, lastAt: null, lastReason: null };
  losses.set(pool, seen);
  const lost = new WeakSet<object>();
  const record = (client: object, error: unknown) => {
    // A client that failed says so once; the idle listener and ours may both hear it.
    if (lost.has(client)) return;
    lost.add(client);
    const reason = describeDatabaseError(error);
    seen.count += 1;
    seen.lastAt = now();
    seen.lastReason = reason;
    onLost(reason);
  };
  pool.on('connect', (client) => {
    client.on('error', (error) => record(client, error));
  });
  pool.on('error', (error, client) => record(client ?? {}, error));
}

/** What {@link guardConnections} has seen on `pool`, or undefined when it does not guard it. */
export function connectionLossesOf(pool: pg.Pool): ConnectionLosses | undefined {
  const seen = losses.get(pool);
  return seen ? { ...seen } : undefined;
}
