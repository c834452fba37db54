import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * One registry per engine (not prom-client's global one), so that two engines in one process —
 * as in tests — never share or double-register counters.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'altegio_bot_' });
  const startedAt = Date.now();
  return {
    registry,
    uptime: new Gauge({
      name: 'altegio_bot_uptime_seconds',
      help: 'Seconds since the engine started',
      registers: [registry],
      collect() {
        this.set((Date.now() - startedAt) / 1000);
      },
    }),
    httpRequests: new Counter({
      name: 'altegio_bot_http_requests_total',
      help: 'HTTP requests served, by route and status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    altegioCalls: new Counter({
      name: 'altegio_bot_altegio_calls_total',
      help: 'Calls made to the Altegio API, by endpoint and status',
      labelNames: ['endpoint', 'method', 'status'] as const,
      registers: [registry],
    }),
    webhooks: new Counter({
      name: 'altegio_bot_webhooks_total',
      help: 'Altegio webhooks received, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
