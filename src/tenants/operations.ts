/**
 * Adding and removing a salon: what the CLI (`altegio-bot tenant …`) and the operator API
 * (`/operator/tenants`) both do, so the two cannot drift apart.
 *
 * @module
 */
import type pg from 'pg';
import { parseSettings, type SettingsProblem } from '../domain/settings.js';
import { countLiveInstances } from '../store/pg/instances.js';
import type { NewTenant, TenantRow, TenantsRegistry } from './registry.js';

export type AddResult = { ok: true; tenant: TenantRow } | { ok: false; problems: SettingsProblem[] };

/** Validates the settings document (defaults for what it leaves out) and adds the tenant. */
export async function addTenant(
  registry: TenantsRegistry,
  input: NewTenant,
  now: number,
): Promise<AddResult> {
  const parsed = parseSettings(input.settings ?? {});
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  return { ok: true, tenant: await registry.create(input, parsed.settings, now) };
}

export interface RemoveOptions {
  /** A pool on the database's default schema, where the processes register. */
  pool: pg.Pool;
  /** Longest wait for the tenant's engines to stop in every process (they notice at their next poll). */
  waitMs?: number;
  /** Between two looks at whether they have. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Runs once the removal is marked, before the wait: the caller's own process stops its engine. */
  beforeWait?: () => Promise<void>;
}

export type RemoveResult = 'removed' | 'unknown';

/**
 * Marks the tenant as being removed, waits until no live process runs its engine any more (each
 * tenant host lists its salons in its `engine_instances` row), then drops its schemas and its row. An
 * engine that does not stop within `waitMs` (a hung process) does not keep the data alive: it is
 * dropped anyway, and that engine's next queries fail until its process notices.
 */
export async function removeTenant(
  registry: TenantsRegistry,
  id: string,
  now: number,
  options: RemoveOptions,
): Promise<RemoveResult> {
  if (!(await registry.beginRemoval(id, now))) return 'unknown';
  await options.beforeWait?.();
  const waitMs = options.waitMs ?? 60_000;
  const pollMs = options.pollMs ?? 500;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && (await countLiveInstances(options.pool, { tenant: id })) > 0) {
    await sleep(pollMs);
  }
  await registry.drop(id);
  return 'removed';
}

/** What a new tenant's operator needs to know, once: where its salon is reached, and its secrets. */
export function tenantAccess(tenant: TenantRow, baseUrl: string) {
  const base = `${baseUrl.replace(/\/+$/, '')}/t/${tenant.id}`;
  return {
    id: tenant.id,
    name: tenant.name,
    adminToken: tenant.adminToken,
    webhookSecret: tenant.webhookSecret,
    urls: {
      console: `${base}/`,
      api: `${base}/api`,
      altegioWebhook: `${base}/webhooks/altegio/${tenant.webhookSecret}`,
      telegramWebhook: `${base}/webhooks/telegram`,
    },
  };
}

/** A tenant as listed: no secrets. */
export function tenantSummary(tenant: TenantRow) {
  return {
    id: tenant.id,
    name: tenant.name,
    createdAt: new Date(tenant.createdAt).toISOString(),
    altegio: tenant.altegioPartnerToken ? 'live' : 'sandbox',
    telegram: tenant.telegramBotToken !== null,
    removing: tenant.removingSince !== null,
  };
}
