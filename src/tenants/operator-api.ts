/**
 * `/operator/tenants`: the operator's API for adding, listing and removing salons, behind
 * `Authorization: Bearer $OPERATOR_TOKEN`. A salon admin's token opens only that salon's `/api`;
 * this one opens no salon's data, only the registry.
 *
 * @module
 */
import type { RequestListener } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import type { Clock } from '../domain/clock.js';
import { sameSecret } from '../http/secret.js';
import { createHttpServer } from '../http/server.js';
import type { Logger } from '../log.js';
import { createMetrics } from '../metrics.js';
import { addTenant, removeTenant, tenantAccess, tenantSummary } from './operations.js';
import { NewTenant, TENANT_ID, TenantExistsError, type TenantsRegistry } from './registry.js';

export interface OperatorApiOptions {
  token: string;
  /** The host's pool on the database's default schema (where processes register). */
  pool: () => pg.Pool;
  logger: Logger;
  clock: Clock;
  registry: () => TenantsRegistry;
  /** The deployment's public base URL, for the URLs a new tenant is told. */
  publicUrl: () => string;
  /** Reads the registry now, so this process runs (or stops) the salon before answering. */
  refresh: () => Promise<void>;
  isRunning: (id: string) => boolean;
  attach: (handler: RequestListener) => void;
  /** How long a removal waits for the salon's engines to stop everywhere (default 60 s). */
  removeWaitMs?: number;
}

const idParams = z.object({ id: TENANT_ID });

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

export function createOperatorApi(options: OperatorApiOptions): FastifyInstance {
  const { token, logger, clock } = options;
  const app = createHttpServer({
    logger: logger.child({ component: 'operator' }),
    metrics: createMetrics(),
    attach: options.attach,
  });
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!given || !sameSecret(given, token)) {
      request.log.warn(
        { route: request.routeOptions.url },
        'operator API call without a valid token refused',
      );
      return reply.code(401).send({ error: 'missing or wrong bearer token' });
    }
  });

  app.get('/operator/tenants', async () => {
    const rows = await options.registry().list();
    return rows.map((row) => ({ ...tenantSummary(row), runningHere: options.isRunning(row.id) }));
  });

  app.post('/operator/tenants', async (request, reply) => {
    const input = NewTenant.safeParse(request.body);
    if (!input.success) return reply.code(400).send({ error: firstIssue(input.error) });
    try {
      const added = await addTenant(options.registry(), input.data, clock.now());
      if (!added.ok) return reply.code(400).send({ error: 'invalid settings', problems: added.problems });
      await options.refresh();
      logger.info({ tenant: added.tenant.id }, 'salon added by the operator API');
      return reply.code(201).send({
        ...tenantAccess(added.tenant, options.publicUrl()),
        runningHere: options.isRunning(added.tenant.id),
      });
    } catch (error) {
      if (error instanceof TenantExistsError) return reply.code(409).send({ error: error.message });
      throw error;
    }
  });

  app.delete('/operator/tenants/:id', async (request, reply) => {
    const params = idParams.safeParse(request.params);
    if (!params.success) return reply.code(400).send({ error: firstIssue(params.error) });
    const { id } = params.data;
    const registry = options.registry();
    // This process's engine stops before the wait, not a poll later.
    const result = await removeTenant(registry, id, clock.now(), {
      pool: options.pool(),
      ...(options.removeWaitMs === undefined ? {} : { waitMs: options.removeWaitMs }),
      beforeWait: options.refresh,
    });
    if (result === 'unknown') return reply.code(404).send({ error: `no tenant "${id}"` });
    await options.refresh();
    logger.info({ tenant: id }, 'salon removed by the operator API');
    return reply.code(204).send();
  });
  return app;
}
