/**
 * Our client held against Altegio's published contract: requests and responses written from the
 * vendor's schemas (fixtures `vendor-*.json`, each naming its source), served over HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAltegioClient } from '../../src/altegio/client.js';
import { AltegioApiError } from '../../src/altegio/errors.js';
import { fixture, type Handler, ok, startTestServer, type TestServer } from './fixtures/test-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(handler: Handler) {
  server = await startTestServer(handler);
  const client = createAltegioClient({
    baseUrl: server.url,
    partnerToken: 'p-token',
    userToken: 'u-token',
    retry: { baseDelayMs: 5, random: () => 0 },
    bookRecordSettleMs: 0,
  });
  return { client, seen: server.seen };
}

const record = (fixture('record.json') as { data: Record<string, unknown> }).data;

describe('vendor contract', () => {
  it('book_check: a 433 after a generic 422 entry in meta.errors[] is slot-taken', async () => {
    const reply = fixture('vendor-book-check-433.json') as { status: number; body: unknown };
    const { client } = await setup(() => ({ status: reply.status, body: reply.body }));
    const error = await client
      .bookCheck(42, [{ id: 1, services: [7], staffId: 11, datetime: '2026-03-14T10:00:00+03:00' }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AltegioApiError);
    expect(error).toMatchObject({ httpStatus: 422, code: 433, kind: 'slot-taken' });
    expect((error as AltegioApiError).serverMessage).toBe('An error occurred while validating the booking');
  });

  it('update_appointment: the PUT body has every required key and only documented ones', async () => {
    const spec = fixture('vendor-update-appointment.json') as {
      required: string[];
      properties: string[];
      clientProperties: string[];
      serviceProperties: string[];
    };
    const { client, seen } = await setup((req) => (req.method === 'GET' ? ok(record) : ok(record)));
    await client.setRecordColor(42, 9001, '#123456');
    const body = seen.find((r) => r.method === 'PUT')?.body as Record<string, unknown>;
    for (const key of spec.required) expect(body).toHaveProperty(key);
    expect(Object.keys(body).filter((key) => !spec.properties.includes(key))).toEqual([]);
    const clientKeys = Object.keys(body.client as Record<string, unknown>);
    expect(clientKeys.filter((key) => !spec.clientProperties.includes(key))).toEqual([]);
    for (const service of body.services as Array<Record<string, unknown>>) {
      expect(Object.keys(service).filter((key) => !spec.serviceProperties.includes(key))).toEqual([]);
    }
    for (const label of body.record_labels as unknown[]) expect(typeof label).toBe('string');
    expect(body.custom_color).toBe('123456');
  });

  it('get_client_list: asks only for fields the endpoint can return, within its page size', async () => {
    const spec = fixture('vendor-client-search.json') as {
      fields: string[];
      order_by: string[];
      maxPageSize: number;
    };
    const { client, seen } = await setup(() => ok([], { total_count: 0 }));
    await client.searchClients(42, { birthday: { from: '2026-05-17', to: '2026-05-17' } });
    const body = seen[0]?.body as { fields: string[]; order_by: string; page_size: number };
    expect(body.fields.filter((field) => !spec.fields.includes(field))).toEqual([]);
    expect(spec.order_by).toContain(body.order_by);
    expect(body.page_size).toBeLessThanOrEqual(spec.maxPageSize);
  });

  it('get_appointment_list: paid is prepaid_confirmed or paid_full 1, never prepaid alone', async () => {
    const { client } = await setup(() => ({ status: 200, body: fixture('vendor-records-payment.json') }));
    const records = await client.listRecords(42, { startDate: '2026-03-14' });
    expect(records.map((r) => [r.id, r.paid])).toEqual([
      [1, false],
      [2, true],
      [3, true],
    ]);
  });
});
