/**
 * Many salons in one deployment: two processes host the tenants of one Postgres database. Each
 * salon is reached under its own prefix with its own tokens; what one salon's admin presents
 * never reads or changes another salon's data, however its ids are forged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openPostgresStore } from '../../src/store/pg/index.js';
import { createTenantHost, TENANT_COOKIE, type TenantHost } from '../../src/tenants/host.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';

const OPERATOR = 'operator-secret-token';

interface Access {
  id: string;
  adminToken: string;
  webhookSecret: string;
  urls: { console: string; api: string; altegioWebhook: string };
}

describe('a deployment of many salons', () => {
  let server: TestPostgres;
  let database: TestDatabase;
  const hosts: TenantHost[] = [];
  let first = '';
  let second = '';
  const access: Record<string, Access> = {};

  const startHost = async (): Promise<string> => {
    const host = createTenantHost({
      // Two processes take Telegram's updates by webhook: long polling is one process's only.
      env: {
        DATABASE_URL: database.url,
        OPERATOR_TOKEN: OPERATOR,
        TELEGRAM_WEBHOOK_URL: 'https://bots.example.com',
      },
      port: 0,
      pollMs: 200,
      logger: createLogger({ level: 'silent' }),
    });
    hosts.push(host);
    return (await host.start()).url;
  };
  const bearer = (token: string, init: RequestInit): RequestInit => ({
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
  });
  const operator = (base: string, path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, bearer(OPERATOR, init));
  const admin = (base: string, tenant: string, token: string, path: string, init: RequestInit = {}) =>
    fetch(`${base}/t/${tenant}/api${path}`, bearer(token, init));

  beforeAll(async () => {
    server = await startTestPostgres();
    database = await server.createDatabase();
    first = await startHost();
    second = await startHost();
    for (const id of ['salon-a', 'salon-b']) {
      const created = await operator(first, '/operator/tenants', {
        method: 'POST',
        body: JSON.stringify({ id, name: `Salon ${id}`, settings: { booking: { replyTimeout: '20m' } } }),
      });
      expect(created.status).toBe(201);
      access[id] = (await created.json()) as Access;
    }
  }, 120_000);
  afterAll(async () => {
    for (const host of hosts) await host.stop();
    await database?.drop();
    await server?.stop();
  });

  it('refuses the operator API without the operator token, and a salon admin token there', async () => {
    expect((await fetch(`${first}/operator/tenants`)).status).toBe(401);
    const withAdmin = await fetch(`${first}/operator/tenants`, {
      headers: { authorization: `Bearer ${access['salon-a']?.adminToken}` },
    });
    expect(withAdmin.status).toBe(401);
    const list = (await (await operator(first, '/operator/tenants')).json()) as Array<
      Record<string, unknown>
    >;
    expect(list.map((tenant) => tenant.id)).toEqual(['salon-a', 'salon-b']);
    // Listed without secrets.
    expect(JSON.stringify(list)).not.toContain(access['salon-a']?.adminToken);
  });

  it('answers a clear error for a taken or malformed id', async () => {
    const taken = await operator(first, '/operator/tenants', {
      method: 'POST',
      body: JSON.stringify({ id: 'salon-a' }),
    });
    expect(taken.status).toBe(409);
    const bad = await operator(first, '/operator/tenants', {
      method: 'POST',
      body: JSON.stringify({ id: 'Salon A' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^id: /);
    const badSettings = await operator(first, '/operator/tenants', {
      method: 'POST',
      body: JSON.stringify({ id: 'salon-c', settings: { booking: { replyTimeout: 'soon' } } }),
    });
    expect(badSettings.status).toBe(400);
    const list = (await (await operator(first, '/operator/tenants')).json()) as Array<{ id: string }>;
    expect(list.map((tenant) => tenant.id)).not.toContain('salon-c');
  });

  it('serves each salon in every process, with its own settings', async () => {
    for (const base of [first, second]) {
      await eventually(async () => {
        for (const id of ['salon-a', 'salon-b']) {
          const response = await admin(base, id, access[id]?.adminToken ?? '', '/settings');
          expect(response.status).toBe(200);
        }
      });
    }
    const changed = await admin(first, 'salon-a', access['salon-a']?.adminToken ?? '', '/settings', {
      method: 'PUT',
      body: JSON.stringify({ booking: { replyTimeout: '30m' } }),
    });
    expect(changed.status).toBe(200);
    // The other process reloads the salon's settings from the database; the other salon keeps its own.
    await eventually(async () => {
      const seen = (await (
        await admin(second, 'salon-a', access['salon-a']?.adminToken ?? '', '/settings')
      ).json()) as {
        booking: { replyTimeout: string };
      };
      expect(seen.booking.replyTimeout).toBe('30m');
    });
    const other = (await (
      await admin(second, 'salon-b', access['salon-b']?.adminToken ?? '', '/settings')
    ).json()) as {
      booking: { replyTimeout: string };
    };
    expect(other.booking.replyTimeout).toBe('20m');
  });

  it("never reads or changes another salon's data, whatever ids or tokens are forged", async () => {
    // A task in salon B, as its engine would make one.
    const storeB = await openPostgresStore(database.url, { schema: 'tenant_salon_b' });
    const task = await storeB.tasks.create({
      kind: 'status-change',
      title: 'Call the client',
      recordId: 77,
      companyId: 1,
    });
    try {
      const tokenA = access['salon-a']?.adminToken ?? '';
      // Salon A's admin, with B's task id: not found, and B's task is untouched.
      const done = await admin(first, 'salon-a', tokenA, `/tasks/${task.id}/done`, { method: 'POST' });
      expect(done.status).toBe(404);
      const listA = (await (await admin(first, 'salon-a', tokenA, '/tasks')).json()) as unknown[];
      expect(listA).toEqual([]);
      expect((await storeB.tasks.get(task.id))?.done).toBe(false);
      // A's token on B's prefix is refused; B's own admin sees and closes the task.
      expect((await admin(first, 'salon-b', tokenA, '/tasks')).status).toBe(401);
      const tokenB = access['salon-b']?.adminToken ?? '';
      const listB = (await (await admin(first, 'salon-b', tokenB, '/tasks')).json()) as Array<{ id: number }>;
      expect(listB.map((row) => row.id)).toEqual([task.id]);
      // A's Altegio webhook secret on B's path is refused and stores nothing in B.
      const forgedHook = await fetch(
        `${first}/t/salon-b/webhooks/altegio/${access['salon-a']?.webhookSecret}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            company_id: 1,
            resource: 'record',
            resource_id: 5,
            status: 'create',
            data: {},
          }),
        },
      );
      expect(forgedHook.status).toBe(401);
      // The console cookie only chooses whose sign-in page answers: A's token does not open B's console.
      const signIn = await fetch(`${first}/console/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${TENANT_COOKIE}=salon-b` },
        body: new URLSearchParams({ token: tokenA, next: '/console/tasks' }).toString(),
      });
      expect(signIn.headers.get('set-cookie') ?? '').not.toContain('console_session=');
    } finally {
      await storeB.close();
    }
  });

  it("opens a salon's console from its prefix", async () => {
    const opened = await fetch(`${first}/t/salon-a/console/tasks`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/console/tasks');
    expect(opened.headers.get('set-cookie')).toContain(`${TENANT_COOKIE}=salon-a`);
    const page = await fetch(`${first}/console/sign-in`, { headers: { cookie: `${TENANT_COOKIE}=salon-a` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form');
    expect((await fetch(`${first}/console/sign-in`)).status).toBe(404);
  });

  it('removes a salon with all of its data, in every process', async () => {
    const removed = await operator(first, '/operator/tenants/salon-b', { method: 'DELETE' });
    expect(removed.status).toBe(204);
    for (const host of hosts) expect(host.running()).toEqual(['salon-a']);
    const storeA = await openPostgresStore(database.url, { schema: 'tenant_salon_a' });
    try {
      const schemas = await storeA.executeSql(
        `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%' ORDER BY nspname`,
      );
      expect(schemas.rows.map((row) => row.nspname)).toEqual(['tenant_salon_a', 'tenant_salon_a_boss']);
    } finally {
      await storeA.close();
    }
    expect((await fetch(`${second}/t/salon-b/health`)).status).toBe(404);
    expect((await operator(first, '/operator/tenants/salon-b', { method: 'DELETE' })).status).toBe(404);
  });
});
