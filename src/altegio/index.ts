/**
 * Public surface of the Altegio integration: the typed client, its cache, webhook parsing,
 * errors and neutral types. Other modules import from here, not from the files behind it.
 */

export type * from './api.js';
export {
  type CachedAltegioApi,
  type CachedResource,
  type CacheOptions,
  createCachedAltegio,
} from './cache.js';
export type { AltegioClientOptions } from './client.js';
export { createAltegioClient } from './client.js';
export { parseAltegioTime } from './coerce.js';
export * from './errors.js';
export { serviceDisplayName } from './ops-reference.js';
export {
  ALTEGIO_LIMITS,
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';
export type { RetryOptions } from './retry.js';
/** The neutral types the client returns (type-only: the zod schemas stay behind this module). */
export type * from './schemas.js';
export type { ResponseInfo } from './transport.js';
export {
  parseWebhook,
  type ReferenceResource,
  type WebhookEvent,
  type WebhookParseResult,
  type WebhookStatus,
  webhookDedupeKey,
} from './webhooks.js';
