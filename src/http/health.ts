import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface HealthInfo {
  version: string;
  mode: 'sandbox' | 'live';
  startedAt: number;
  now: () => number;
}

/** `GET /health` for probes and humans; `GET /metrics` in Prometheus text format. */
export function registerHealthRoutes(app: FastifyInstance, info: HealthInfo, metrics: Metrics): void {
  app.get('/health', async () => ({
    status: 'ok',
    version: info.version,
    mode: info.mode,
    uptimeSeconds: Math.round((info.now() - info.startedAt) / 1000),
  }));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
