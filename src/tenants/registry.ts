/**
 * The tenants registry: one row per salon of a multi-tenant deployment, in the `tenants` table of
 * the database's default schema. Every process of the deployment reads it; the operator's CLI
 * and API write it. A tenant's own data is in its schema (`tenant_<id>`), which only that
 * tenant's engine opens.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { PgDb } from '../store/pg/db.js';
import { tenants } from '../store/pg/schema.js';

export type TenantRow = typeof tenants.$inferSelect;

/** Lower-case letters, digits and inner dashes: it is part of URL paths and of a schema name. */
export const TENANT_ID = z
  .string()
  .regex(
    /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
    'lower-case letters, digits and single dashes, starting with a letter',
  )
  .max(40);

/** The schema of a tenant's tables; its pg-boss queues are in `<schema>_boss`. */
export function tenantSchema(id: string): string {
  return `tenant_${TENANT_ID.parse(id).replaceAll('-', '_')}`;
}

/** What the operator gives when adding a salon; the secrets are generated. */
export const NewTenant = z
  .object({
    id: TENANT_ID,
    name: z.string().trim().min(1).max(200).optional(),
    altegio: z
      .object({
        partnerToken: z.string().min(1),
        userToken: z.string().min(1).optional(),
        apiUrl: z.url().optional(),
      })
      .strict()
      .optional(),
    telegramBotToken: z.string().min(1).optional(),
    /** The salon's settings document (the same shape as the settings file); default: defaults. */
    settings: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type NewTenant = z.infer<typeof NewTenant>;

export class TenantExistsError extends Error {
  constructor(id: string) {
    super(`a tenant "${id}" already exists`);
    this.name = 'TenantExistsError';
  }
}

/** A secret for a URL path or a bearer token: 192 random bits. */
function secret(): string {
  return randomBytes(24).toString('base64url');
}

export interface TenantsRegistry {
  list(): Promise<TenantRow[]>;
  get(id: string): Promise<TenantRow | undefined>;
  /** Adds a tenant with fresh secrets; throws {@link TenantExistsError} when the id is taken. */
  create(input: NewTenant, settings: unknown, now: number): Promise<TenantRow>;
  /** Saves a changed settings document and bumps its version, so other processes reload it. */
  saveSettings(id: string, settings: unknown): Promise<void>;
  /** Marks the tenant as being removed (its engines stop); false when there is no such tenant. */
  beginRemoval(id: string, now: number): Promise<boolean>;
  /** Drops the tenant's schemas and its row: all of its data. */
  drop(id: string): Promise<void>;
}

export function createTenantsRegistry(db: PgDb): TenantsRegistry {
  return {
    list: () => db.select().from(tenants).orderBy(tenants.id),
    async get(id) {
      const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
      return row;
    },
    async create(input, settings, now) {
      const [row] = await db
        .insert(tenants)
        .values({
          id: input.id,
          name: input.name ?? input.id,
          altegioPartnerToken: input.altegio?.partnerToken ?? null,
          altegioUserToken: input.altegio?.userToken ?? null,
          altegioApiUrl: input.altegio?.apiUrl ?? null,
          telegramBotToken: input.telegramBotToken ?? null,
          webhookSecret: secret(),
          adminToken: secret(),
          settings,
          createdAt: now,
        })
        .onConflictDoNothing()
        .returning();
      if (!row) throw new TenantExistsError(input.id);
      return row;
    },
    async saveSettings(id, settings) {
      await db
        .update(tenants)
        .set({ settings, settingsVersion: sql`${tenants.settingsVersion} + 1` })
        .where(eq(tenants.id, id));
    },
    async beginRemoval(id, now) {
      const updated = await db
        .update(tenants)
        .set({ removingSince: sql`coalesce(${tenants.removingSince}, ${now})` })
        .where(eq(tenants.id, id))
        .returning({ id: tenants.id });
      return updated.length > 0;
    },
    async drop(id) {
      const schema = tenantSchema(id);
      await db.transaction(async (tx) => {
        await tx.execute(sql.raw(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`));
        await tx.execute(sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
        await tx.delete(tenants).where(eq(tenants.id, id));
      });
    },
  };
}
