/**
 * `npm run bench -- tenants [salons] [idleSeconds]`: what one more salon costs a tenant host while
 * nothing happens in it — the fixed cost that decides how many salons a process and a database
 * carry, besides the per-message work `bench scale` measures.
 *
 * One host process on a Postgres cluster of its own (or `BENCH_DATABASE_URL`), salons added
 * through the operator API, each live against one sandbox Altegio serving branch 101. Printed:
 * start time, memory (heap and RSS after a forced GC), Postgres connections held, and over an
 * idle window the transactions and Altegio calls each salon makes on its own (heartbeats, queue
 * polling, reconcile).
 */

import pg from 'pg';
import { DEFAULT_PARTNER_TOKEN, DEFAULT_USER_TOKEN, startSandbox } from '../src/altegio/sandbox/index.js';
import { createLogger } from '../src/log.js';
import { checkoutsBySchema } from '../src/store/pg/schema-pool.js';
import { createTenantHost } from '../src/tenants/host.js';
import { startTestPostgres } from '../test/helpers/postgres.js';
import { clusterCpuUs } from './server-cpu.js';

const OPERATOR = 'bench-operator';

function gcNow(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

export async function benchTenants(args: string[]): Promise<string> {
  const salons = Number(args[0] ?? 20);
  const idleSeconds = Number(args[1] ?? 30);
  const external = process.env.BENCH_DATABASE_URL;
  const server = await startTestPostgres(external ? { url: external } : { durable: true });
  const database = await server.createDatabase();
  const databaseName = new URL(database.url).pathname.slice(1);
  const sandbox = await startSandbox();
  const logger = createLogger({ level: 'warn' });
  const host = createTenantHost({
    env: { DATABASE_URL: database.url, OPERATOR_TOKEN: OPERATOR },
    port: 0,
    logger,
  });
  const stats = new pg.Pool({ connectionString: database.url, max: 1 });
  stats.on('error', () => {});
  try {
    const { url } = await host.start();
    gcNow();
    const before = process.memoryUsage();
    const started = performance.now();
    for (let n = 0; n < salons; n++) {
      const response = await fetch(`${url}/operator/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: `salon-${n}`,
          altegio: {
            partnerToken: DEFAULT_PARTNER_TOKEN,
            userToken: DEFAULT_USER_TOKEN,
            apiUrl: sandbox.url,
          },
          settings: { branches: [{ id: 101 }] },
        }),
      });
      if (response.status !== 201)
        throw new Error(`adding salon ${n}: ${response.status} ${await response.text()}`);
    }
    const startMs = (performance.now() - started) / salons;
    if (host.running().length !== salons)
      throw new Error(`only ${host.running().length} of ${salons} salons run`);
    // The first reconcile of every salon is start-up work, not idle cost.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    gcNow();
    const after = process.memoryUsage();
    const counters = async () => {
      const row = (
        await stats.query<{ xacts: string; conns: string }>(
          `SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()) AS xacts,
                  (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) AS conns`,
        )
      ).rows[0];
      let checkouts = 0;
      for (const [schema, n] of checkoutsBySchema) if (schema.startsWith('tenant_')) checkouts += n;
      const cpu = process.cpuUsage();
      return {
        hostCpuUs: cpu.user + cpu.system,
        serverCpuUs: clusterCpuUs(databaseName),
        xacts: Number(row?.xacts ?? 0),
        conns: Number(row?.conns ?? 0),
        calls: sandbox.requests.length,
        checkouts,
      };
    };
    const idleStart = await counters();
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const idleEnd = await counters();
    const perSalon = {
      heapKb: (after.heapUsed - before.heapUsed) / 1024 / salons,
      rssKb: (after.rss - before.rss) / 1024 / salons,
      connections: (idleEnd.conns - 1) / salons,
      txPerSecond: (idleEnd.xacts - idleStart.xacts) / idleSeconds / salons,
      // Statements outside a transaction and transactions, as the salons' engines asked for them.
      workPerSecond: (idleEnd.checkouts - idleStart.checkouts) / idleSeconds / salons,
      hostCpuMsPerSecond: (idleEnd.hostCpuUs - idleStart.hostCpuUs) / 1000 / idleSeconds / salons,
      serverCpuMsPerSecond: (idleEnd.serverCpuUs - idleStart.serverCpuUs) / 1000 / idleSeconds / salons,
      altegioPerMinute: (((idleEnd.calls - idleStart.calls) / idleSeconds) * 60) / salons,
    };
    console.log(
      `tenants: ${salons} salons started, ${startMs.toFixed(0)} ms each (operator API call to running)`,
    );
    console.log(
      `memory: heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB, rss ${mb(before.rss)} -> ${mb(after.rss)} MB; ` +
        `per salon heap ${perSalon.heapKb.toFixed(0)} KB, rss ${perSalon.rssKb.toFixed(0)} KB`,
    );
    console.log(
      `idle ${idleSeconds} s: ${idleEnd.conns - 1} Postgres connections held (${perSalon.connections.toFixed(2)}/salon), ` +
        `${perSalon.workPerSecond.toFixed(2)} statements or transactions/s/salon asked by its engine ` +
        `(${perSalon.txPerSecond.toFixed(2)} server transactions/s/salon, autovacuum included), ` +
        `${perSalon.altegioPerMinute.toFixed(2)} Altegio calls/min/salon`,
    );
    // CPU busy per second of idling: at 10 ms/s a salon keeps 1% of a core busy doing nothing.
    console.log(
      `idle cpu per salon: host ${perSalon.hostCpuMsPerSecond.toFixed(2)} ms/s, ` +
        `Postgres cluster ${perSalon.serverCpuMsPerSecond.toFixed(2)} ms/s (all of its databases; 0 when it is on another machine)`,
    );
    return (
      `bench tenants: ${salons} salons, ${perSalon.rssKb.toFixed(0)} KB rss/salon, ` +
      `${perSalon.connections.toFixed(2)} connections/salon, ${perSalon.workPerSecond.toFixed(2)} idle queries/s/salon, ` +
      `idle cpu ${perSalon.hostCpuMsPerSecond.toFixed(2)} + ${perSalon.serverCpuMsPerSecond.toFixed(2)} ms/s/salon, ` +
      `${perSalon.altegioPerMinute.toFixed(2)} altegio calls/min/salon`
    );
  } finally {
    await host.stop();
    await stats.end();
    await sandbox.stop();
    await database.drop();
    await server.stop();
  }
}
