import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../../log.js';
import { createControl, type SandboxControl } from './control.js';
import type { RequestLogEntry } from './routes-control.js';
import { createSeed } from './seed.js';
import { createSandboxServer, type FaultRule } from './server.js';
import { SandboxState } from './state.js';
import { renderClient, renderRecord } from './views.js';
import { WebhookSender } from './webhooks.js';

export type { AltegioObject, SandboxControl } from './control.js';
export type { RequestLogEntry } from './routes-control.js';
export { SEED_IDS } from './seed.js';

export interface SandboxOptions {
  /** Default `127.0.0.1`: the sandbox has no real auth on its control routes. */
  host?: string;
  /** `0` (default) picks a free port; read the result from `Sandbox.url`. */
  port?: number;
  partnerToken?: string;
  userToken?: string;
  /** Where record and client changes are POSTed, Altegio-style. Unset = webhooks off. */
  webhookUrl?: string;
  /** Bearer token of the webhooks' `Authorization` header (docs/webhooks.md); default: none. */
  webhookBearerToken?: string;
  /** Between webhook attempts (Altegio: 1.5 s); tests may shorten it. */
  webhookRetryDelayMs?: number;
  /** Clock for seeding, slots and stamps; tests pass a fixed one. */
  now?: () => Date;
  logger?: Logger;
  seed?: 'default';
}

export interface Sandbox {
  /** Base URL, what `ALTEGIO_API_URL` would be: `http://127.0.0.1:PORT`. */
  url: string;
  stop(): Promise<void>;
  setWebhookUrl(url: string | undefined): void;
  /** Every Altegio API request answered (control routes excluded), oldest first. */
  requests: RequestLogEntry[];
  /** The next `times` (default 1) requests matching get `status` in Altegio's error envelope. */
  failNext(match: { method?: string; path: RegExp }, status: number, times?: number): void;
  control: SandboxControl;
  /** Resolves when queued webhooks were delivered or given up; lets tests wait without sleeping. */
  webhooksIdle(): Promise<void>;
}

export const DEFAULT_PARTNER_TOKEN = 'sandbox-partner';
export const DEFAULT_USER_TOKEN = 'sandbox-user';

/**
 * Starts a fake Altegio over a seeded two-branch salon. Used by tests (port 0, fixed clock),
 * by `altegio-bot sandbox --port N`, and embedded by `npm start` when no Altegio credentials are
 * configured, so every flow works out of the box.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? createLogger({ level: 'warn' });
  const state = new SandboxState(createSeed(now()), now);
  const webhooks = new WebhookSender({
    logger: logger.child({ component: 'altegio-sandbox-webhooks' }),
    url: options.webhookUrl,
    bearerToken: options.webhookBearerToken,
    ...(options.webhookRetryDelayMs === undefined ? {} : { retryDelayMs: options.webhookRetryDelayMs }),
  });
  state.onChange((event) => {
    let data: Record<string, unknown> | undefined;
    if (event.resource === 'record') {
      const row = state.record(event.companyId, event.id);
      data = row && renderRecord(state, row);
    } else {
      const client = state.client(event.id);
      data = client && renderClient(state, client);
    }
    if (!data) return;
    webhooks.send({
      company_id: event.companyId,
      resource: event.resource,
      resource_id: event.id,
      status: event.status,
      data,
    });
  });
  const control = createControl(state);
  const requests: RequestLogEntry[] = [];
  const faults: FaultRule[] = [];
  const app = createSandboxServer({
    state,
    control,
    webhooks,
    logger,
    partnerToken: options.partnerToken ?? DEFAULT_PARTNER_TOKEN,
    userToken: options.userToken ?? DEFAULT_USER_TOKEN,
    requests,
    faults,
  });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  logger.info({ url, webhookUrl: options.webhookUrl ?? null }, 'Altegio sandbox listening');
  return {
    url,
    requests,
    control,
    async stop() {
      await webhooks.stop();
      await app.close();
    },
    setWebhookUrl: (next) => webhooks.setUrl(next),
    failNext(match, status, times = 1) {
      faults.push({ method: match.method, path: match.path, status, times });
    },
    webhooksIdle: () => webhooks.idle(),
  };
}
