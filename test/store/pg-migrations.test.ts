import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, openPostgres, type PgDb } from '../../src/store/pg/db.js';
import { conversations, jobs } from '../../src/store/pg/schema.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';

/** How many migrations `drizzle-pg/` holds: what a fresh database gets applied. */
const MIGRATIONS = (
  JSON.parse(readFileSync(new URL('../../drizzle-pg/meta/_journal.json', import.meta.url), 'utf8')) as {
    entries: unknown[];
  }
).entries.length;

describe('Postgres migrations', () => {
  let server: TestPostgres;
  let database: TestDatabase;
  let db: PgDb;

  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await db?.$client.end();
    await database?.drop();
  });

  it('creates every table once, then finds nothing to apply', async () => {
    database = await server.createDatabase();
    db = openPostgres(database.url);
    expect(await migratePostgres(db)).toBe(MIGRATIONS);
    expect(await migratePostgres(db)).toBe(0);
    const tables = await db.$client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    );
    expect(tables.rows.map((row) => row.tablename)).toEqual([
      'altegio_budget_pauses',
      'altegio_budget_slots',
      'conversations',
      'deliveries',
      'dialogues',
      'engine_instances',
      'inbound_events',
      'jobs',
      'outbox',
      'ratings',
      'record_syncs',
      'records',
      'tasks',
      'tenants',
      'timers',
    ]);
  });

  it("puts a tenant's tables in its own schema, and nothing in another", async () => {
    database = await server.createDatabase();
    db = openPostgres(database.url, { schema: 'tenant_one' });
    expect(await migratePostgres(db, undefined, 'tenant_one')).toBe(MIGRATIONS);
    expect(await migratePostgres(db, undefined, 'tenant_one')).toBe(0);
    const bySchema = await db.$client.query<{ schemaname: string; n: string }>(
      `SELECT schemaname, count(*) AS n FROM pg_tables
       WHERE schemaname NOT IN ('pg_catalog', 'information_schema') GROUP BY schemaname`,
    );
    // Its migration ledger is in its schema too, so another tenant's migrations are its own.
    expect(bySchema.rows).toEqual([{ schemaname: 'tenant_one', n: '16' }]);
    // Its connections search only its schema: a name of another schema's table is not found.
    const path = await db.$client.query<{ search_path: string }>('SHOW search_path');
    expect(path.rows[0]?.search_path).toBe('tenant_one');
  });

  it('two processes migrating at once apply the migrations once between them', async () => {
    database = await server.createDatabase();
    db = openPostgres(database.url);
    const other = openPostgres(database.url);
    try {
      const applied = await Promise.all([migratePostgres(db), migratePostgres(other)]);
      expect(applied.sort()).toEqual([0, MIGRATIONS]);
    } finally {
      await other.$client.end();
    }
  });

  it('reads 64-bit instants and JSON back as the SQLite rows have them', async () => {
    database = await server.createDatabase();
    db = openPostgres(database.url);
    await migratePostgres(db);
    const at = Date.UTC(2026, 2, 14, 12);
    const [row] = await db
      .insert(conversations)
      .values({
        channel: 'telegram',
        chatId: '-1001234567890',
        lastUpdateId: 9_007_199_254,
        createdAt: at,
        updatedAt: at,
      })
      .returning();
    expect(row).toMatchObject({ id: 1, lastUpdateId: 9_007_199_254, createdAt: at, phone: null });
    await db.insert(jobs).values({
      kind: 'reminder',
      dueAt: at,
      dedupeKey: 'k',
      payload: { recordId: 7, list: [1] },
      createdAt: at,
      updatedAt: at,
    });
    const [job] = await db.select().from(jobs).where(eq(jobs.dedupeKey, 'k'));
    expect(job).toMatchObject({
      payload: { recordId: 7, list: [1] },
      dueAt: at,
      state: 'pending',
      attempts: 0,
    });
  });
});
