import { afterEach, describe, expect, it } from 'vitest';
import { type AltegioClientOptions, createAltegioClient } from '../../src/altegio/client.js';
import { AltegioApiError, AltegioNetworkError, isAltegioError } from '../../src/altegio/errors.js';
import type { ResponseInfo } from '../../src/altegio/transport.js';
import { fail, fixture, type Handler, ok, startTestServer, type TestServer } from './fixtures/test-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(handler: Handler, extra: Partial<AltegioClientOptions> = {}) {
  server = await startTestServer(handler);
  const client = createAltegioClient({
    baseUrl: `${server.url}/`,
    partnerToken: 'p-token',
    userToken: 'u-token',
    retry: { baseDelayMs: 5, random: () => 0 },
    bookRecordSettleMs: 0,
    ...extra,
  });
  return { client, seen: server.seen };
}

const record = (fixture('record.json') as { data: Record<string, unknown> }).data;

describe('headers', () => {
  it('sends the partner token alone for online booking and company calls', async () => {
    const { client, seen } = await setup(() => ok([]));
    await client.bookStaff(42, { serviceIds: [7, 8] });
    await client.listCompanies({ groupId: 3 });
    for (const req of seen) {
      expect(req.headers.accept).toBe('application/vnd.api.v2+json');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers.authorization).toBe('Bearer p-token');
    }
    expect(seen[0]?.path).toBe('/book_staff/42');
    expect(seen[0]?.query.getAll('service_ids[]')).toEqual(['7', '8']);
    expect(seen[1]?.query.get('group_id')).toBe('3');
  });

  it('sends partner and user token for B2B calls', async () => {
    const { client, seen } = await setup(() => ok([]));
    await client.staff(42);
    await client.listRecords(42, { startDate: '2026-03-14', endDate: '2026-03-14' });
    await client.searchClients(42, { quickSearch: 'Maria' });
    expect(seen.map((r) => r.headers.authorization)).toEqual([
      'Bearer p-token, User u-token',
      'Bearer p-token, User u-token',
      'Bearer p-token, User u-token',
    ]);
    expect(seen.map((r) => r.headers.accept)).toEqual(Array(3).fill('application/vnd.api.v2+json'));
  });

  it('never puts a token into an error message', async () => {
    const { client } = await setup(() => fail(401, 'Authentication needed.'));
    const error = await client.staff(42).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AltegioApiError);
    expect((error as AltegioApiError).kind).toBe('unauthorized');
    expect(String((error as Error).message)).not.toMatch(/p-token|u-token/);
  });
});

describe('retries', () => {
  it('retries a GET answered 500 transparently (2 requests seen)', async () => {
    const { client, seen } = await setup((_req, all) => (all.length === 1 ? fail(500, 'oops') : ok(record)));
    const result = await client.getRecord(42, 9001);
    expect(result.id).toBe(9001);
    expect(seen).toHaveLength(2);
  });

  it('gives up after maxRetries and reports the 5xx', async () => {
    const { client, seen } = await setup(() => fail(503, 'down'), { maxRetries: 1 });
    await expect(client.getRecord(42, 9001)).rejects.toMatchObject({ kind: 'server', httpStatus: 503 });
    expect(seen).toHaveLength(2);
  });

  it('honours Retry-After on 429', async () => {
    const { client, seen } = await setup((_req, all) =>
      all.length === 1
        ? { ...fail(429, 'Too many requests'), headers: { 'Retry-After': '1' } }
        : ok(fixture('book-times.json') && []),
    );
    const times = await client.bookTimes(42, 0, '2026-03-14');
    expect(times).toEqual([]);
    expect(seen).toHaveLength(2);
    const gap = (seen[1]?.at ?? 0) - (seen[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(950);
  });

  it('turns a timeout into AltegioNetworkError kind timeout', async () => {
    const { client, seen } = await setup(() => ({ ...ok([]), delayMs: 400 }), {
      timeoutMs: 100,
      maxRetries: 1,
    });
    const error = await client.staff(42).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AltegioNetworkError);
    expect((error as AltegioNetworkError).kind).toBe('timeout');
    expect(seen).toHaveLength(2); // a GET is retried once, then given up
  });

  it('reports a refused connection as a network error', async () => {
    const client = createAltegioClient({
      baseUrl: 'http://127.0.0.1:1',
      partnerToken: 'p',
      maxRetries: 0,
    });
    await expect(client.getCompany(1)).rejects.toMatchObject({
      name: 'AltegioNetworkError',
      kind: 'network',
    });
  });

  it('stops at once when the caller aborts', async () => {
    const { client } = await setup(() => ({ ...ok([]), delayMs: 500 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(client.staff(42, { signal: controller.signal })).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('treats a 404 on a repeated DELETE as done', async () => {
    const { client, seen } = await setup((_req, all) =>
      all.length === 1 ? fail(502, 'bad gateway') : fail(404, 'Not found'),
    );
    await expect(client.deleteRecord(42, 9001)).resolves.toBeUndefined();
    expect(seen.map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('reports a 404 on the first DELETE', async () => {
    const { client } = await setup(() => fail(404, 'Not found'));
    await expect(client.deleteRecord(42, 9001)).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('calls onResponse for every attempt with the templated endpoint', async () => {
    const infos: ResponseInfo[] = [];
    const { client } = await setup((_req, all) => (all.length === 1 ? fail(500, 'x') : ok([])), {
      onResponse: (info) => infos.push(info),
    });
    await client.bookTimes(42, 11, '2026-03-14', { serviceIds: [7] });
    expect(infos.map((i) => [i.endpoint, i.method, i.status])).toEqual([
      ['/book_times/{cid}/{sid}/{date}', 'GET', 500],
      ['/book_times/{cid}/{sid}/{date}', 'GET', 200],
    ]);
  });
});

describe('booking errors', () => {
  it('surfaces 433 as a typed slot-taken error', async () => {
    const { client, seen } = await setup(() => fail(422, 'The selected time is already taken', 433));
    const error = await client
      .bookCheck(42, [{ id: 1, services: [7], staffId: 11, datetime: '2026-03-14T10:00:00+03:00' }])
      .catch((e: unknown) => e);
    expect(isAltegioError(error, 'slot-taken')).toBe(true);
    expect(error).toMatchObject({ httpStatus: 422, code: 433, endpoint: '/book_check/{cid}' });
    expect((error as AltegioApiError).isSlotUnavailable).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it.each([
    [403, 434, 'blacklisted'],
    [422, 436, 'no-staff-for-any'],
    [422, 437, 'overlap'],
    [422, 438, 'not-bookable'],
    [422, 431, 'bad-phone'],
    [422, 435, 'name-missing'],
  ])('maps %i/%i to %s, wherever the code sits', async (status, code, kind) => {
    const { client } = await setup(() => ({
      status,
      body: { success: false, data: null, meta: { message: 'no', code } },
    }));
    const input = { phone: '+79161234567', fullname: 'Maria', appointments: [] };
    await expect(client.bookRecord(42, input)).rejects.toMatchObject({ kind, code });
  });
});

describe('book_record is never sent twice blindly', () => {
  const input = {
    phone: '+7 916 123-45-67',
    fullname: 'Maria',
    appointments: [{ id: 1, services: [7], staffId: 11, datetime: '2026-03-14T10:00:00+03:00' }],
  };

  it('sends phone and appointments in the documented shape, no api_id (its length is undocumented)', async () => {
    const { client, seen } = await setup(() => ({
      status: 201,
      body: { success: true, data: [{ id: 1, record_id: 9001, record_hash: 'h' }], meta: [] },
    }));
    const booked = await client.bookRecord(42, input);
    expect(booked).toEqual([{ id: 1, recordId: 9001, recordHash: 'h' }]);
    expect(seen[0]?.body).toEqual({
      phone: '+79161234567',
      fullname: 'Maria',
      email: '',
      appointments: [{ id: 1, services: [7], staff_id: 11, datetime: '2026-03-14T10:00:00+03:00' }],
    });
    expect(seen[0]?.headers.authorization).toBe('Bearer p-token');
  });

  it('on 500 finds the record Altegio created anyway and does not resend', async () => {
    const { client, seen } = await setup((req) => {
      if (req.method === 'POST') return fail(500, 'Internal error');
      return ok([{ ...record, api_id: 'dlg-1' }], { total_count: 1 });
    });
    const booked = await client.bookRecord(42, input);
    expect(booked).toEqual([{ id: 1, recordId: 9001, recordHash: null }]);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /book_record/42', 'GET /records/42']);
    expect(seen[1]?.query.get('start_date')).toBe('2026-03-14');
    // One named master: only that master's day is read, not the whole salon's.
    expect(seen[1]?.query.get('staff_id')).toBe('11');
  });

  it('a lookup for "any master" reads the whole day', async () => {
    const any = {
      ...input,
      appointments: [{ id: 1, services: [7], staffId: 0, datetime: '2026-03-14T10:00:00+03:00' }],
    };
    const { client, seen } = await setup((req) =>
      req.method === 'POST'
        ? fail(500, 'Internal error')
        : ok([{ ...record, api_id: 'dlg-1' }], { total_count: 1 }),
    );
    const booked = await client.bookRecord(42, any);
    expect(booked[0]?.recordId).toBe(9001);
    expect(seen[1]?.query.get('start_date')).toBe('2026-03-14');
    expect(seen[1]?.query.has('staff_id')).toBe(false);
  });

  it('on 500 with no record found sends once more', async () => {
    const { client, seen } = await setup((req, all) => {
      if (req.method === 'GET') return ok([], { total_count: 0 });
      return all.length === 1
        ? fail(500, 'Internal error')
        : {
            status: 201,
            body: { success: true, data: [{ id: 1, record_id: 9002, record_hash: 'x' }], meta: [] },
          };
    });
    const booked = await client.bookRecord(42, input);
    expect(booked[0]?.recordId).toBe(9002);
    expect(seen.map((r) => r.method)).toEqual(['POST', 'GET', 'POST']);
  });

  it('on a lost answer (timeout) matches by phone, time and master', async () => {
    const { client, seen } = await setup(
      (req) => (req.method === 'POST' ? { ...ok([]), delayMs: 300 } : ok([{ ...record, api_id: null }])),
      { timeoutMs: 100 },
    );
    const booked = await client.bookRecord(42, input);
    expect(booked[0]?.recordId).toBe(9001);
    expect(seen.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('when it cannot check, reports outcome-unknown instead of resending', async () => {
    const { client, seen } = await setup((req) =>
      req.method === 'POST' ? fail(500, 'Internal error') : fail(403, 'No rights'),
    );
    const error = await client.bookRecord(42, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AltegioNetworkError);
    expect((error as AltegioNetworkError).outcomeUnknown).toBe(true);
    expect(seen.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a resend answered 433 is checked: our own first attempt may hold the slot', async () => {
    let lookups = 0;
    const { client, seen } = await setup((req, all) => {
      if (req.method === 'GET') {
        lookups++;
        // The first lookup races Altegio still committing our record; the second one sees it.
        return ok(lookups === 1 ? [] : [{ ...record, api_id: 'dlg-1' }]);
      }
      return all.length === 1 ? fail(500, 'Internal error') : fail(422, 'taken', 433);
    });
    const booked = await client.bookRecord(42, input);
    expect(booked).toEqual([{ id: 1, recordId: 9001, recordHash: null }]);
    expect(seen.map((r) => r.method)).toEqual(['POST', 'GET', 'POST', 'GET']);
  });

  it('a 433 on the first send is reported without any lookup', async () => {
    const { client, seen } = await setup(() => fail(422, 'taken', 433));
    await expect(client.bookRecord(42, input)).rejects.toMatchObject({ kind: 'slot-taken' });
    expect(seen).toHaveLength(1);
  });

  it('does not retry a 422 booking error', async () => {
    const { client, seen } = await setup(() => fail(422, 'bad phone', 431));
    await expect(client.bookRecord(42, input)).rejects.toMatchObject({ kind: 'bad-phone' });
    expect(seen).toHaveLength(1);
  });
});

describe('records', () => {
  it('updateRecord GETs the record and PUTs the full state with the change', async () => {
    const { client, seen } = await setup((req) =>
      req.method === 'GET' ? ok(record) : ok({ ...record, attendance: -1 }),
    );
    const updated = await client.updateRecord(42, 9001, { attendance: -1 });
    expect(updated.attendance).toBe(-1);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /record/42/9001', 'PUT /record/42/9001']);
    // update_appointment's documented body, and nothing else (extra keys are a 422 upstream).
    expect(seen[1]?.body).toEqual({
      staff_id: 11,
      services: [{ id: 7, cost: 1500, discount: 0, first_cost: 1500 }],
      client: { phone: '79161234567', name: 'Maria', email: '' },
      datetime: '2026-03-14T10:00:00+03:00',
      seance_length: 3600,
      attendance: -1,
      comment: 'booked via bot',
      custom_color: '',
      record_labels: ['3'],
      sms_remain_hours: 24,
      email_remain_hours: 0,
      api_id: '12345',
    });
  });

  it('updateRecord with a known copy PUTs from it without reading first', async () => {
    const { client, seen } = await setup(() => ok({ ...record, attendance: -1 }));
    const updated = await client.updateRecord(42, 9001, { attendance: -1 }, { known: record });
    expect(updated.attendance).toBe(-1);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /record/42/9001']);
    expect(seen[0]?.body).toMatchObject({ staff_id: 11, attendance: -1, api_id: '12345' });
  });

  it('a known copy that already shows the change is not trusted: the record is read', async () => {
    const { client, seen } = await setup((req) => (req.method === 'GET' ? ok(record) : ok(record)));
    await client.setAttendance(42, 9001, -1, { known: { ...record, attendance: -1 } });
    expect(seen.map((r) => r.method)).toEqual(['GET', 'PUT']);
  });

  it('skips the PUT when the record already has the change (idempotent re-run)', async () => {
    const { client, seen } = await setup(() => ok(record));
    await client.setAttendance(42, 9001, 2);
    expect(seen.map((r) => r.method)).toEqual(['GET']);
  });

  it('setRecordColor writes hex without #', async () => {
    const { client, seen } = await setup((req) => (req.method === 'GET' ? ok(record) : ok(null)));
    await client.setRecordColor(42, 9001, '#2ECC71');
    expect(seen[1]?.body).toMatchObject({ custom_color: '2ecc71' });
    expect(seen).toHaveLength(3); // GET, PUT (no body back), GET to return the fresh record
  });

  it('setAttendance via the visit uses PUT /visits/{visit_id}/{record_id}', async () => {
    const { client, seen } = await setup((req) => (req.method === 'GET' ? ok(record) : ok(null)));
    await client.setAttendance(42, 9001, -1, { via: 'visit' });
    expect(seen[1]?.path).toBe('/visits/7001/9001');
    expect(seen[1]?.body).toEqual({ attendance: -1, comment: 'booked via bot' });
  });

  it('listRecords pages through all pages', async () => {
    const { client, seen } = await setup((req) => {
      const page = Number(req.query.get('page'));
      const items =
        page < 3
          ? [
              { ...record, id: page * 10 },
              { ...record, id: page * 10 + 1 },
            ]
          : [{ ...record, id: 99 }];
      return ok(items, { total_count: 5 });
    });
    const list = await client.listRecords(42, { count: 2, changedAfter: Date.UTC(2026, 2, 1) });
    expect(list.map((r) => r.id)).toEqual([10, 11, 20, 21, 99]);
    expect(seen).toHaveLength(3);
    expect(seen[0]?.query.get('changed_after')).toBe('2026-03-01T00:00:00+00:00');
  });
});

describe('reference data and clients', () => {
  it('services: title or booking_title when sent, offline (active 0) kept or dropped', async () => {
    const { client } = await setup(() => ({ status: 200, body: fixture('services.json') }));
    const plain = await client.services(42);
    expect(plain.map((s) => [s.id, s.name])).toEqual([
      [7, 'Haircut (internal)'],
      [8, 'Colouring'],
      [9, 'Consultation (phone only)'],
    ]);
    const widget = await client.services(42, { useWidgetNames: true, includeOffline: false });
    expect(widget.map((s) => [s.id, s.name])).toEqual([
      [7, "Women's haircut"],
      [8, 'Colouring'], // empty booking_title falls back to title
    ]);
  });

  it('searchClients sends the birthday filter and pages with page_size', async () => {
    const { client, seen } = await setup((req) => {
      const page = (req.body as { page: number }).page;
      return ok(
        page === 1
          ? [
              { id: 1, name: 'A', phone: '79160000001' },
              { id: 2, name: 'B', phone: 79160000002 },
            ]
          : [{ id: 3, name: 'C' }],
        {
          total_count: 3,
        },
      );
    });
    const found = await client.searchClients(42, {
      birthday: { from: '2026-05-17', to: '2026-05-17' },
      pageSize: 2,
    });
    expect(found.map((c) => [c.id, c.phone])).toEqual([
      [1, '79160000001'],
      [2, '79160000002'],
      [3, null],
    ]);
    expect(seen[0]?.path).toBe('/company/42/clients/search');
    // get_client_list: only fields it can return; the birthday filter as Altegio's tooling sends it.
    expect(seen[0]?.body).toMatchObject({
      page: 1,
      page_size: 2,
      fields: ['id', 'name', 'phone', 'email'],
      filters: [{ type: 'birthday', state: { from: '05-17', to: '05-17' } }],
    });
  });

  it('clientCategories accepts a bare array and drops deleted labels', async () => {
    const { client, seen } = await setup(() => ({ status: 200, body: fixture('labels-bare.json') }));
    const labels = await client.clientCategories(42);
    expect(labels.map((l) => l.id)).toEqual([4, 5]);
    expect(seen[0]?.path).toBe('/labels/42/1');
  });

  it('rejects a response missing an id with a parse error naming endpoint and path', async () => {
    const { client } = await setup(() => ok([{ name: 'no id' }]));
    await expect(client.staff(42)).rejects.toMatchObject({
      name: 'AltegioParseError',
      kind: 'invalid-response',
      endpoint: '/company/{cid}/staff',
      path: 'data[0].id',
    });
  });

  it('refuses a bad configuration early', () => {
    expect(() => createAltegioClient({ baseUrl: 'api.alteg.io', partnerToken: 'p' })).toThrow(/baseUrl/);
    expect(() => createAltegioClient({ baseUrl: 'https://api.alteg.io/api/v1', partnerToken: '' })).toThrow(
      /token/,
    );
  });
});
