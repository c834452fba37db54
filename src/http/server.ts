import { createServer, type RequestListener } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

/** Altegio's webhook bodies are small; anything larger is refused with 413 before it is parsed. */
export const BODY_LIMIT_BYTES = 256 * 1024;

export interface HttpServerOptions {
  logger: Logger;
  metrics: Metrics;
  /**
   * Given, the server does not listen: its request handler is handed to `attach`, and whoever
   * owns the listening server (a tenant host) passes it the requests meant for this engine.
   */
  attach?: (handler: RequestListener) => void;
}

/**
 * The engine's one HTTP server. Routes register themselves on it (health, metrics, webhooks,
 * admin API); this file only holds what every route shares: body limit, logging, metrics.
 */
export function createHttpServer({ logger, metrics, attach }: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    ...(attach
      ? {
          serverFactory: (handler: RequestListener) => {
            attach(handler);
            // Never listens; fastify only needs a server object to hang its close on.
            return createServer();
          },
        }
      : {}),
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Requests are logged once, at debug, by the hook below; fastify's own two lines per request are noise.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    forceCloseConnections: true,
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({
      route: request.routeOptions.url ?? 'unknown',
      status: String(reply.statusCode),
    });
    request.log.debug(
      { method: request.method, route: request.routeOptions.url, status: reply.statusCode },
      'request served',
    );
  });
  // Bodies fastify refuses before a route runs (not JSON, over the limit) are logged too: a salon
  // debugging its webhook setup must find them in the log.
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error, route: request.routeOptions.url }, 'request failed');
    else
      request.log.warn({ route: request.routeOptions.url, status, reason: error.message }, 'request refused');
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
  });
  return app;
}
