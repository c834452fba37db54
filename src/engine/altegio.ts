/**
 * The `altegio` part: the Altegio API client with its one call budget and caches, and in
 * sandbox mode the fake salon it talks to.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { type CachedAltegioApi, createCachedAltegio } from '../altegio/cache.js';
import { createAltegioClient } from '../altegio/client.js';
import { createRateLimiter, type LimiterStats, type RateLimiter } from '../altegio/rate-limiter.js';
import {
  DEFAULT_PARTNER_TOKEN,
  DEFAULT_USER_TOKEN,
  type Sandbox,
  startSandbox,
} from '../altegio/sandbox/index.js';
import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Part } from './lifecycle.js';

export interface AltegioPart extends Part {
  /** Available once started. */
  readonly api: CachedAltegioApi;
  /** Set in sandbox mode, once started. */
  readonly sandbox: Sandbox | undefined;
  /** The call budget's figures now, for `/health`. Available once started. */
  budgetStats(): LimiterStats;
  /** The secret in the webhook URL; in sandbox mode nobody configures one, so one is made. */
  readonly webhookSecret: string | undefined;
}

export function createAltegioPart(
  env: Env,
  deps: { logger: Logger; metrics: Metrics; limiter?: RateLimiter | undefined },
): AltegioPart {
  const { logger, metrics } = deps;
  let sandbox: Sandbox | undefined;
  let api: CachedAltegioApi | undefined;
  let budget: RateLimiter | undefined;
  const webhookSecret = env.webhookSecret ?? (env.sandboxMode ? randomBytes(12).toString('hex') : undefined);
  return {
    name: 'altegio',
    get api() {
      if (!api) throw new Error('the altegio part has not started');
      return api;
    },
    get sandbox() {
      return sandbox;
    },
    budgetStats() {
      if (!budget) throw new Error('the altegio part has not started');
      return budget.stats();
    },
    webhookSecret,
    async start() {
      // Sandbox mode: a fake salon in this process answers every Altegio call.
      if (env.sandboxMode) sandbox = await startSandbox({ logger: logger.child({ component: 'sandbox' }) });
      try {
        // One budget for every Altegio call of this process: Altegio counts per IP.
        const limiter = deps.limiter ?? createRateLimiter();
        budget = limiter;
        metrics.watchBudget(() => limiter.stats());
        api = createCachedAltegio(
          createAltegioClient({
            baseUrl: sandbox?.url ?? env.altegioApiUrl,
            partnerToken: sandbox ? DEFAULT_PARTNER_TOKEN : (env.altegioPartnerToken ?? ''),
            userToken: sandbox ? DEFAULT_USER_TOKEN : env.altegioUserToken,
            logger: logger.child({ component: 'altegio' }),
            limiter,
            onResponse: (info) =>
              metrics.altegioCalls.inc({
                endpoint: info.endpoint,
                method: info.method,
                status: String(info.status),
              }),
          }),
        );
      } catch (error) {
        // A part that fails to start releases what it holds; the lifecycle stops only started parts.
        await sandbox?.stop();
        throw error;
      }
    },
    async stop() {
      await sandbox?.stop();
    },
  };
}
