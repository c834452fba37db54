/**
 * Metrics of a host of many salons: the host's `/metrics` carries every salon's series labelled
 * with its id and the process figures once; `/t/<id>/metrics` is that salon's alone. No series
 * carries a client's phone number or name, even after the salon has stored a client's record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createTenantHost, type TenantHost } from '../../src/tenants/host.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';

const OPERATOR = 'operator-secret-token';
const PHONE = '+79161234567';
const CLIENT = 'Elena Smirnova';

/** The sample lines of `name` in Prometheus text. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('metrics of a host of many salons', () => {
  let server: TestPostgres;
  let database: TestDatabase;
  let host: TenantHost;
  let base = '';
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestPostgres();
    database = await server.createDatabase();
    host = createTenantHost({
      env: { DATABASE_URL: database.url, OPERATOR_TOKEN: OPERATOR },
      port: 0,
      pollMs: 200,
      logger: createLogger({ level: 'silent' }),
    });
    base = (await host.start()).url;
    for (const id of ['salon-a', 'salon-b']) {
      const created = await fetch(`${base}/operator/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id, name: `Salon ${id}` }),
      });
      expect(created.status).toBe(201);
      secrets[id] = ((await created.json()) as { webhookSecret: string }).webhookSecret;
    }
    await eventually(() => expect(host.running()).toEqual(['salon-a', 'salon-b']), 60_000);
    // Salon A stores a client's record: its figures move, and its data must stay out of them.
    const hook = await fetch(`${base}/t/salon-a/webhooks/altegio/${secrets['salon-a']}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        company_id: 101,
        resource: 'record',
        resource_id: 9001,
        status: 'create',
        data: {
          id: 9001,
          company_id: 101,
          staff_id: 1001,
          staff: { id: 1001, name: 'Anna' },
          services: [{ id: 301, title: 'Haircut', cost: 1500 }],
          client: { id: 501, name: CLIENT, phone: PHONE },
          date: '2026-03-11 12:00:00',
          datetime: '2026-03-11T12:00:00+03:00',
          seance_length: 3600,
          attendance: 0,
          visit_attendance: 0,
          deleted: false,
          create_date: '2026-03-10T09:00:00+0300',
          last_change_date: '2026-03-10T09:00:00+0300',
        },
      }),
    });
    expect(hook.status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await database?.drop();
    await server?.stop();
  });

  it("the host's /metrics: every salon's series with its tenant label, the process figures once", async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    for (const tenant of ['salon-a', 'salon-b']) {
      expect(samples(text, 'altegio_bot_database_up')).toContain(
        `altegio_bot_database_up{tenant="${tenant}"} 1`,
      );
      expect(text).toMatch(
        new RegExp(
          `^altegio_bot_queue_items\\{queue="jobs",state="pending",tenant="${tenant}"\\} \\d+$`,
          'm',
        ),
      );
    }
    // Each family once, however many salons have it.
    expect(text.match(/^# TYPE altegio_bot_database_up gauge$/gm)).toHaveLength(1);
    // The webhook counts in salon A only.
    expect(samples(text, 'altegio_bot_webhooks_total')).toEqual([
      'altegio_bot_webhooks_total{outcome="accepted",tenant="salon-a"} 1',
    ]);
    // Process figures belong to the process, not to a salon.
    const cpu = samples(text, 'altegio_bot_process_cpu_user_seconds_total');
    expect(cpu).toHaveLength(1);
    expect(cpu[0]).not.toContain('tenant=');
    expect(samples(text, 'altegio_bot_tenants')).toEqual([
      'altegio_bot_tenants{state="running"} 2',
      'altegio_bot_tenants{state="failed"} 0',
    ]);
    expect(text).not.toContain(PHONE.slice(1));
    expect(text).not.toContain('Elena');
    expect(text).not.toContain(secrets['salon-a']);
  });

  it("/t/<id>/metrics: that salon's series alone", async () => {
    const text = await (await fetch(`${base}/t/salon-b/metrics`)).text();
    expect(samples(text, 'altegio_bot_database_up')).toEqual(['altegio_bot_database_up{tenant="salon-b"} 1']);
    expect(text).not.toContain('tenant="salon-a"');
    expect(samples(text, 'altegio_bot_webhooks_total')).toEqual([]);
    expect(samples(text, 'altegio_bot_process_cpu_user_seconds_total')).toEqual([]);
    const own = await (await fetch(`${base}/t/salon-a/metrics`)).text();
    expect(samples(own, 'altegio_bot_webhooks_total')).toEqual([
      'altegio_bot_webhooks_total{outcome="accepted",tenant="salon-a"} 1',
    ]);
    expect(own).not.toContain(PHONE.slice(1));
    expect(own).not.toContain('Elena');
    expect((await fetch(`${base}/t/salon-c/metrics`)).status).toBe(404);
  });
});
