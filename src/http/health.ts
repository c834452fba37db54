import type { FastifyInstance } from 'fastify';
import type { LimiterStats } from '../altegio/rate-limiter.js';
import type { ChannelAdapter } from '../channels/channel.js';
import type { ChatChannel } from '../domain/channels.js';
import type { Metrics } from '../metrics.js';
import type { SyncStatus } from '../notify/reconcile.js';
import type { JobEngineFigures } from '../notify/worker.js';
import type { DatabaseProbe } from '../store/diagnostics.js';
import { budgetFigures, channelStates, verdictOf } from './health-report.js';

export interface HealthInfo {
  version: string;
  mode: 'sandbox' | 'live';
  startedAt: number;
  now: () => number;
  /** The configured channels; each reports its own state under `channels`. */
  channels?: Partial<Record<ChatChannel, ChannelAdapter>>;
  /** Last reconcile of each branch's records with Altegio. */
  sync?: () => Promise<{ initialSyncDone: boolean; branches: SyncStatus[] }>;
  /** The database, its migrations and the durable queues, reported under `database`. */
  database?: DatabaseProbe;
  /** The job engine (notification jobs), reported under `jobEngine`. */
  jobs?: () => Promise<JobEngineFigures>;
  /** The Altegio call budget, reported under `altegioBudget`. */
  budget?: () => LimiterStats;
  /** Due work waiting longer than this makes the status `degraded`. Default 600 s. */
  stuckAfterSeconds?: number;
}

/**
 * `GET /health` for probes and humans; `GET /metrics` in Prometheus text format. `status` is
 * `down` while the database does not answer, and the answer is then 503, so that a load balancer
 * or readiness probe sends nothing to a process that can store nothing; the process keeps
 * running and answers 200 again once the database is back (a restart would not mend it, so a
 * liveness probe should only ask for an answer). `degraded` (200) when a part runs but cannot do
 * its job fully (Telegram refusing our polls while another instance takes the updates, due work
 * stuck in a queue, migrations missing), and `problems` names each part and why. `database` is
 * the probe (dialect, latency, migrations, pool, queues); `jobEngine` what runs the notification
 * jobs; `altegioBudget` the Altegio call budget; `sync.branches` the last reconcile of each
 * branch's records with Altegio.
 */
export function registerHealthRoutes(app: FastifyInstance, info: HealthInfo, metrics: Metrics): void {
  app.get('/health', async (_request, reply) => {
    const channels = channelStates(info.channels);
    // The reconcile status is read from the database: when that is down, `database` says so.
    const [database, sync, jobEngine] = await Promise.all([
      info.database?.probe(),
      info.sync?.().catch(() => undefined),
      info.jobs?.(),
    ]);
    const verdict = verdictOf(database, channels, info.stuckAfterSeconds ?? 600);
    const now = info.now();
    reply.code(verdict.status === 'down' ? 503 : 200);
    return {
      status: verdict.status,
      version: info.version,
      mode: info.mode,
      uptimeSeconds: Math.round((now - info.startedAt) / 1000),
      channels,
      ...(sync ? { sync } : {}),
      problems: verdict.problems,
      ...(database ? { database } : {}),
      ...(jobEngine ? { jobEngine } : {}),
      ...(info.budget ? { altegioBudget: budgetFigures(info.budget(), now) } : {}),
    };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
