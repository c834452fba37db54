/**
 * The tenant host's `/metrics`: the process figures once (memory, CPU, event loop, which all of
 * its salons share), how many salons it hosts, and every hosted salon's own series, each labelled
 * `tenant="<id>"` by that salon's registry (`metrics.ts`). A salon's own `/t/<id>/metrics` is its
 * registry alone.
 *
 * The families are merged by name with prom-client's `AggregatorRegistry.aggregate` (built for
 * cluster workers): series of different salons differ by their `tenant` label, so nothing is
 * summed, and each family's HELP and TYPE lines appear once, as the text format requires.
 *
 * @module
 */

import type { MetricValue } from 'prom-client';
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Gauge,
  type MetricObjectWithValues,
  Registry,
} from 'prom-client';
import type { Logger } from '../log.js';
import { METRIC_PREFIX } from '../metrics.js';

export interface HostMetrics {
  readonly contentType: string;
  /** The host's figures and those of every salon in `tenants` (id → its engine's registry). */
  text(tenants: ReadonlyMap<string, Registry>): Promise<string>;
}

export function createHostMetrics(
  counts: () => { running: number; failed: number },
  logger: Logger,
): HostMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  new Gauge({
    name: `${METRIC_PREFIX}tenants`,
    help: 'Salons this process hosts: running, or failed to start (retried at each poll)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const now = counts();
      this.set({ state: 'running' }, now.running);
      this.set({ state: 'failed' }, now.failed);
    },
  });
  return {
    contentType: registry.contentType,
    async text(tenants) {
      const parts: MetricObjectWithValues<MetricValue<string>>[][] = [await registry.getMetricsAsJSON()];
      for (const [tenant, own] of tenants) {
        try {
          parts.push(await own.getMetricsAsJSON());
        } catch (error) {
          // One salon's failing collector leaves its series out, not everyone's.
          logger.warn({ tenant, err: error }, "a salon's metrics could not be collected");
        }
      }
      return AggregatorRegistry.aggregate(parts).metrics();
    },
  };
}
