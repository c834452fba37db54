import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { type LimiterStats, PRIORITIES } from './altegio/rate-limiter.js';
import { budgetFigures } from './http/health-report.js';
import type { DatabaseFigures, DatabaseProbe, QueuesFigures } from './store/diagnostics.js';

/** The queue states `altegio_bot_queue_items` counts; a queue that does not keep one leaves it out. */
const QUEUE_STATES = ['pending', 'running', 'failed', 'overdue'] as const;

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /**
   * The salon this engine serves in a tenant host (`tenants/host.ts`): every series carries
   * `tenant="<id>"`, and the process figures (memory, CPU, event loop) are left to the host,
   * which exports them once for all its salons.
   */
  tenant?: string;
}

/** The process figures every registry of ours names the same way. */
export const METRIC_PREFIX = 'altegio_bot_';

/**
 * One registry per engine (not prom-client's global one), so that two engines in one process —
 * as in tests — never share or double-register counters. No label carries client data: routes are
 * route patterns, Altegio endpoints templates (`/book_record/{cid}`), never a phone, name or chat id.
 */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  if (options.tenant === undefined) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  else registry.setDefaultLabels({ tenant: options.tenant });
  const startedAt = Date.now();
  let budget: (() => LimiterStats) | undefined;
  let database: DatabaseProbe | undefined;
  /**
   * One probe per scrape: prom-client collects every metric at once, so the gauges below share
   * the probe in flight. In a tenant host each salon's engine has its registry, labelled by
   * `setDefaultLabels`, so the collectors never loop over tenants.
   */
  const probe = async (): Promise<DatabaseFigures | undefined> => database?.probe();
  const queuesOf = async (): Promise<QueuesFigures | undefined> => {
    const figures = await probe();
    return figures?.status === 'ok' ? figures.queues : undefined;
  };
  return {
    /** Where the Altegio call budget's gauges read from. */
    watchBudget(stats: () => LimiterStats): void {
      budget = stats;
    },
    /** Where the database and queue gauges read from. */
    watchDatabase(source: DatabaseProbe): void {
      database = source;
    },
    databaseUp: new Gauge({
      name: 'altegio_bot_database_up',
      help: '1 when the database answered the last probe, 0 when it did not',
      registers: [registry],
      async collect() {
        const figures = await probe();
        if (figures) this.set(figures.status === 'ok' ? 1 : 0);
      },
    }),
    databaseProbe: new Gauge({
      name: 'altegio_bot_database_probe_seconds',
      help: 'Round trip of the last database probe',
      registers: [registry],
      async collect() {
        const figures = await probe();
        if (figures) this.set(figures.latencyMs / 1000);
      },
    }),
    databaseMigrationsPending: new Gauge({
      name: 'altegio_bot_database_migrations_pending',
      help: 'Migrations this build ships that the database has not applied',
      registers: [registry],
      async collect() {
        const figures = await probe();
        if (figures?.status === 'ok')
          this.set(Math.max(0, figures.migrations.known - figures.migrations.applied));
      },
    }),
    databasePoolConnections: new Gauge({
      name: 'altegio_bot_database_pool_connections',
      help: 'Postgres connections the pool holds open',
      registers: [registry],
      async collect() {
        const pool = (await probe())?.pool;
        if (pool) this.set(pool.total);
      },
    }),
    databasePoolIdle: new Gauge({
      name: 'altegio_bot_database_pool_idle_connections',
      help: 'Postgres connections open and free',
      registers: [registry],
      async collect() {
        const pool = (await probe())?.pool;
        if (pool) this.set(pool.idle);
      },
    }),
    databasePoolWaiting: new Gauge({
      name: 'altegio_bot_database_pool_waiting_queries',
      help: 'Queries waiting for a free Postgres connection',
      registers: [registry],
      async collect() {
        const pool = (await probe())?.pool;
        if (pool) this.set(pool.waiting);
      },
    }),
    queueItems: new Gauge({
      name: 'altegio_bot_queue_items',
      help: 'Items of the durable queues (jobs, timers, outbox) by state; overdue = pending and already due',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        const queues = await queuesOf();
        if (!queues) return;
        for (const [queue, figures] of Object.entries(queues)) {
          for (const state of QUEUE_STATES) {
            const value = figures[state];
            if (value !== undefined) this.set({ queue, state }, value);
          }
        }
      },
    }),
    queueOldestOverdue: new Gauge({
      name: 'altegio_bot_queue_oldest_overdue_seconds',
      help: 'How long the oldest due item of each queue has waited past its due time (0: none)',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        const queues = await queuesOf();
        if (!queues) return;
        for (const [queue, figures] of Object.entries(queues))
          this.set({ queue }, figures.oldestOverdueSeconds ?? 0);
      },
    }),
    altegioBudgetUsed: new Gauge({
      name: 'altegio_bot_altegio_budget_used',
      help: 'Altegio calls counted in the budget window now (in flight or finished inside it)',
      labelNames: ['window'] as const,
      registers: [registry],
      collect() {
        const stats = budget?.();
        if (!stats) return;
        const figures = budgetFigures(stats, Date.now());
        this.set({ window: 'second' }, figures.perSecond.used);
        this.set({ window: 'minute' }, figures.perMinute.used);
      },
    }),
    altegioBudgetLimit: new Gauge({
      name: 'altegio_bot_altegio_budget_limit',
      help: "Altegio's published limit per window (5 per second, 200 per minute)",
      labelNames: ['window'] as const,
      registers: [registry],
      collect() {
        const stats = budget?.();
        if (!stats) return;
        const figures = budgetFigures(stats, Date.now());
        this.set({ window: 'second' }, figures.perSecond.limit);
        this.set({ window: 'minute' }, figures.perMinute.limit);
      },
    }),
    altegioBudgetInFlight: new Gauge({
      name: 'altegio_bot_altegio_budget_in_flight',
      help: 'Altegio calls of this process sent and not yet answered',
      registers: [registry],
      collect() {
        const stats = budget?.();
        if (stats) this.set(stats.inFlight);
      },
    }),
    altegioBudgetPaused: new Gauge({
      name: 'altegio_bot_altegio_budget_paused_seconds',
      help: 'Seconds left of the pause a 429 imposed on every Altegio call (0: none)',
      registers: [registry],
      collect() {
        const stats = budget?.();
        if (stats) this.set(Math.max(0, stats.pausedUntil - Date.now()) / 1000);
      },
    }),
    altegioBudgetShared: new Gauge({
      name: 'altegio_bot_altegio_budget_shared',
      help: '1 when the Altegio budget is shared through Postgres by every process of an egress IP, 0 when in memory',
      registers: [registry],
      collect() {
        const stats = budget?.();
        if (stats) this.set(stats.ledger === 'postgres' ? 1 : 0);
      },
    }),
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
