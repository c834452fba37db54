import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { type LimiterStats, PRIORITIES } from './altegio/rate-limiter.js';

/**
 * One registry per engine (not prom-client's global one), so that two engines in one process —
 * as in tests — never share or double-register counters.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'altegio_bot_' });
  const startedAt = Date.now();
  let budget: (() => LimiterStats) | undefined;
  return {
    /** Where the Altegio call budget's gauges read from. */
    watchBudget(stats: () => LimiterStats): void {
      budget = stats;
    },
    altegioBudgetWaiting: new Gauge({
      name: 'altegio_bot_altegio_budget_waiting',
      help: 'Altegio calls waiting for the call budget, by priority',
      labelNames: ['priority'] as const,
      registers: [registry],
      collect() {
        const stats = budget?.();
        if (stats) for (const priority of PRIORITIES) this.set({ priority }, stats.pending[priority]);
      },
    }),
    altegioRateLimited: new Gauge({
      name: 'altegio_bot_altegio_rate_limited',
      help: 'Times Altegio answered 429 since the start (the budget should keep this at 0)',
      registers: [registry],
      collect() {
        this.set(budget?.().rateLimited ?? 0);
      },
    }),
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
