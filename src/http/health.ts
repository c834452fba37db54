import type { FastifyInstance } from 'fastify';
import type { ChannelAdapter, ChannelHealth } from '../channels/channel.js';
import type { ChatChannel } from '../domain/channels.js';
import type { Metrics } from '../metrics.js';
import type { SyncStatus } from '../notify/reconcile.js';

export interface HealthInfo {
  version: string;
  mode: 'sandbox' | 'live';
  startedAt: number;
  now: () => number;
  /** The configured channels; each reports its own state under `channels`. */
  channels?: Partial<Record<ChatChannel, ChannelAdapter>>;
  /** Last reconcile of each served branch's records with Altegio. */
  sync?: () => Promise<{ initialSyncDone: boolean; branches: SyncStatus[] }>;
}

/**
 * `GET /health` for probes and humans; `GET /metrics` in Prometheus text format. The answer is
 * always 200 while the process serves: `status` is `degraded` when a channel runs but cannot do its
 * job fully (Telegram refusing our polls while another instance takes the updates), and
 * `channels.<name>` says which and why. `sync.branches` is the last reconcile of each branch's
 * records with Altegio (`lastSyncAt`, `lastError`).
 */
export function registerHealthRoutes(app: FastifyInstance, info: HealthInfo, metrics: Metrics): void {
  app.get('/health', async () => {
    const channels: Partial<Record<ChatChannel, ChannelHealth>> = {};
    for (const [name, channel] of Object.entries(info.channels ?? {}) as Array<
      [ChatChannel, ChannelAdapter]
    >) {
      channels[name] = channel.health?.() ?? { status: channel.isRunning() ? 'ok' : 'stopped' };
    }
    const degraded = Object.values(channels).some((state) => state.status === 'degraded');
    return {
      status: degraded ? 'degraded' : 'ok',
      version: info.version,
      mode: info.mode,
      uptimeSeconds: Math.round((info.now() - info.startedAt) / 1000),
      channels,
      ...(info.sync ? { sync: await info.sync() } : {}),
    };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
