import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from '../../log.js';
import type { SandboxControl } from './control.js';
import { errorBody, SandboxError } from './envelope.js';
import { registerB2bRoutes } from './routes-b2b.js';
import { registerBookingRoutes } from './routes-booking.js';
import { registerClientRoutes } from './routes-clients.js';
import { type RequestLogEntry, registerControlRoutes } from './routes-control.js';
import type { SandboxState } from './state.js';
import type { WebhookSender } from './webhooks.js';

/** One armed fault: the next `times` requests matching it get `status` instead of an answer. */
export interface FaultRule {
  method?: string | undefined;
  path: RegExp;
  status: number;
  times: number;
}

export interface SandboxServerDeps {
  state: SandboxState;
  control: SandboxControl;
  webhooks: WebhookSender;
  logger: Logger;
  partnerToken: string;
  userToken: string;
  requests: RequestLogEntry[];
  faults: FaultRule[];
}

type AuthLevel = 'partner' | 'user';

const AUTH_RE = /^Bearer\s+([^,\s]+)\s*(?:,\s*User\s+(\S+))?\s*$/i;

/**
 * Altegio's two token levels: online booking needs `Bearer <partner>`, B2B calls need
 * `Bearer <partner>, User <user>`. A B2B header is accepted on partner-level calls too, as
 * Altegio does.
 */
function authHook(level: AuthLevel, deps: SandboxServerDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const match = AUTH_RE.exec(request.headers.authorization ?? '');
    const partnerOk = match?.[1] === deps.partnerToken;
    const userOk = match?.[2] === deps.userToken;
    if (partnerOk && (level === 'partner' || userOk)) return undefined;
    // Returning the reply tells fastify the hook answered and the chain must stop here.
    return reply.code(401).send(errorBody(401, 'Authentication needed.'));
  };
}

function pathOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}

/** Takes one use of the first armed fault matching the request, if any. */
function takeFault(faults: FaultRule[], method: string, url: string): FaultRule | undefined {
  const path = pathOf(url);
  const index = faults.findIndex(
    (f) =>
      (f.method === undefined || f.method.toUpperCase() === method) &&
      (f.path.test(path) || f.path.test(url)),
  );
  const fault = faults[index];
  if (!fault) return undefined;
  fault.times -= 1;
  if (fault.times <= 0) faults.splice(index, 1);
  return fault;
}

/**
 * The sandbox's fastify app: Altegio's paths at the root, control calls under `/__sandbox/`,
 * Altegio's envelope on every error including 404 and malformed JSON.
 */
export function createSandboxServer(deps: SandboxServerDeps): FastifyInstance {
  const app = Fastify({
    // Widened to fastify's logger type so the app is a plain `FastifyInstance` for the route modules.
    loggerInstance: deps.logger.child({ component: 'altegio-sandbox' }) as FastifyBaseLogger,
    // The request log (`Sandbox.requests`) replaces per-request log lines.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true },
  });

  // Clients send `Content-Type: application/json` on every call, DELETE included, usually with
  // no body; fastify's default parser would refuse those with 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new SandboxError(400, 'Invalid request: body is not valid JSON'), undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/__sandbox/')) return undefined;
    const fault = takeFault(deps.faults, request.method, request.url);
    if (!fault) return undefined;
    // Retry-After on 429 is unconfirmed upstream; sending it lets a client's honouring code be tested.
    if (fault.status === 429) reply.header('retry-after', '1');
    return reply.code(fault.status).send(errorBody(fault.status, `Injected failure (${fault.status})`));
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.url.startsWith('/__sandbox/')) return;
    deps.requests.push({
      method: request.method,
      path: pathOf(request.url),
      at: Date.now(),
      status: reply.statusCode,
    });
  });

  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof SandboxError) {
      return reply.code(error.status).send(errorBody(error.status, error.message, error.code, error.extra));
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply.code(status).send(errorBody(status, (error as Error).message));
    }
    request.log.error(
      { err: error, method: request.method, path: pathOf(request.url) },
      'sandbox handler failed',
    );
    return reply.code(500).send(errorBody(500, 'Internal sandbox error'));
  });

  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send(errorBody(404, 'Not found')));

  app.register(async (scope) => {
    scope.addHook('onRequest', authHook('partner', deps));
    registerBookingRoutes(scope, deps.state);
  });
  app.register(async (scope) => {
    scope.addHook('onRequest', authHook('user', deps));
    registerB2bRoutes(scope, deps.state);
    registerClientRoutes(scope, deps.state);
  });
  app.register(async (scope) => {
    registerControlRoutes(scope, deps);
  });
  return app;
}
