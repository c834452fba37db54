import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, SEED_IDS, startSandbox } from '../../src/altegio/sandbox/index.js';
import { birthdayMatches } from '../../src/altegio/sandbox/routes-clients.js';
import { createLogger } from '../../src/log.js';

// Tuesday 2026-03-10 06:00 UTC: 09:00 in Moscow (branch 101), 11:00 in Almaty (branch 102).
const NOW = new Date('2026-03-10T06:00:00Z');
const PARTNER = { authorization: 'Bearer sandbox-partner' };
const USER = { authorization: 'Bearer sandbox-partner, User sandbox-user' };

interface Answer {
  status: number;
  body: {
    success: boolean;
    data: unknown;
    meta: Record<string, unknown> & { message?: string; total_count?: number };
  };
}

/** The booking code of a failed answer: the vendor's `meta.errors[]`, a generic 422 entry skipped. */
function codeOf(answer: Answer): number | undefined {
  const entries = (answer.body.meta.errors ?? []) as Array<{ code: number }>;
  return (entries.find((e) => e.code !== answer.status) ?? entries[0])?.code;
}

let sandbox: Sandbox;

async function call(
  method: string,
  path: string,
  headers: Record<string, string> = USER,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { accept: 'application/vnd.api.v2+json', 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const list = (answer: Answer): Array<Record<string, unknown>> =>
  answer.body.data as Array<Record<string, unknown>>;
const one = (answer: Answer): Record<string, unknown> => answer.body.data as Record<string, unknown>;

/** The body update_appointment documents, built from a rendered record, with `changes` on top. */
function putBody(record: Record<string, unknown>, changes: Record<string, unknown> = {}) {
  const client = record.client as { phone: string; name: string; email: string };
  const services = record.services as Array<Record<string, number>>;
  return {
    staff_id: record.staff_id,
    services: services.map((s) => ({
      id: s.id,
      cost: s.cost,
      discount: s.discount,
      first_cost: s.first_cost,
    })),
    client: { phone: String(client.phone), name: client.name, email: client.email ?? '' },
    datetime: record.datetime,
    seance_length: record.seance_length,
    attendance: record.attendance,
    comment: record.comment,
    ...changes,
  };
}

const booking = (staffId: number, serviceId: number, datetime: string, phone = '+79161234567') => ({
  phone,
  fullname: 'Elena Sokolova',
  email: '',
  comment: 'booked via bot',
  api_id: 'bot-42',
  appointments: [{ id: 1, services: [serviceId], staff_id: staffId, datetime }],
});

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => NOW, logger: createLogger({ level: 'silent' }) });
});

afterEach(async () => {
  await sandbox.stop();
});

describe('sandbox: branches, catalogue, auth', () => {
  it('lists both branches with their zones and pages them', async () => {
    const all = await call('GET', '/companies', PARTNER);
    expect(all.status).toBe(200);
    expect(list(all).map((c) => [c.id, c.timezone_name])).toEqual([
      [101, 'Europe/Moscow'],
      [102, 'Asia/Almaty'],
    ]);
    expect(all.body.meta.total_count).toBe(2);
    const second = await call('GET', '/companies?count=1&page=2', PARTNER);
    expect(list(second).map((c) => c.id)).toEqual([102]);
    expect(second.body.meta.total_count).toBe(2);
  });

  it('shows online services only in book_services, everything in the B2B list', async () => {
    const b2b = await call('GET', '/company/101/services');
    const onlineData = (await call('GET', '/book_services/101', PARTNER)).body.data as {
      services: Array<Record<string, unknown>>;
      category: unknown[];
    };
    const ids = onlineData.services.map((s) => s.id);
    expect(ids).not.toContain(SEED_IDS.services.consultationOffline);
    expect(onlineData.services.find((s) => s.id === SEED_IDS.services.colouring)?.title).toBe(
      'Hair colouring',
    );
    expect(onlineData.category.length).toBeGreaterThan(0);
    const offline = list(b2b).find((s) => s.id === SEED_IDS.services.consultationOffline);
    expect(offline?.service_type).toBe(0);
    const colouring = list(b2b).find((s) => s.id === SEED_IDS.services.colouring);
    expect(colouring?.booking_title).not.toBe(colouring?.title);
    expect(colouring?.price_min).toBe('6000.00');
  });

  it('answers 401 in the envelope without the right tokens, 404 for unknown paths', async () => {
    const none = await call('GET', '/companies', {});
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({
      success: false,
      data: null,
      meta: { message: 'Authentication needed.' },
    });
    expect((await call('GET', '/records/101', PARTNER)).status).toBe(401);
    expect(
      (await call('GET', '/records/101', { authorization: 'Bearer sandbox-partner, User wrong' })).status,
    ).toBe(401);
    const missing = await call('GET', '/no/such/path', USER);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, meta: { message: 'Not found' } });
    expect((await call('GET', '/company/999', PARTNER)).status).toBe(404);
  });

  it('answers 400 in the envelope for a malformed body', async () => {
    const bad = await call('POST', '/book_record/101', PARTNER, { phone: '+79161234567', fullname: 'X' });
    expect(bad.status).toBe(400);
    expect(bad.body.success).toBe(false);
    expect(bad.body.meta.message).toMatch(/appointments/);
  });
});

describe('sandbox: free slots', () => {
  it('excludes booked times and keeps the branch offset', async () => {
    const answer = await call('GET', '/book_times/101/1001/2026-03-11?service_ids[]=301', PARTNER);
    const slots = list(answer);
    const times = slots.map((s) => s.time);
    expect(times).toContain('11:00');
    expect(times).toContain('13:00');
    // Seed: Anna 12:00–13:00 and 16:00–16:30 tomorrow; the 14:00 record is deleted, so 14:00 is free.
    for (const taken of ['11:15', '12:00', '12:45', '15:15', '16:00', '16:15'])
      expect(times).not.toContain(taken);
    expect(times).toContain('14:00');
    expect(slots.find((s) => s.time === '13:00')).toMatchObject({
      datetime: '2026-03-11T13:00:00+03:00',
      seance_length: 3600,
      sum_length: 3600,
    });
  });

  it('drops past times and uses the other branch zone', async () => {
    const slots = list(await call('GET', '/book_times/102/1004/2026-03-10?service_ids[]=306', PARTNER));
    expect(slots[0]).toMatchObject({ time: '11:15', datetime: '2026-03-10T11:15:00+05:00' });
    expect(slots.every((s) => String(s.datetime).endsWith('+05:00'))).toBe(true);
    const yesterday = list(await call('GET', '/book_times/102/1004/2026-03-09?service_ids[]=306', PARTNER));
    expect(yesterday).toEqual([]);
  });

  it('lists bookable dates inside the 30-day window, skipping days off', async () => {
    const data = one(await call('GET', '/book_dates/102?service_ids[]=306&staff_id=1004', PARTNER)) as {
      booking_dates: string[];
    };
    expect(data.booking_dates[0]).toBe('2026-03-10');
    expect(data.booking_dates.at(-1)).toBe('2026-04-08');
    expect(data.booking_dates).not.toContain('2026-03-15'); // Sunday
  });

  it('lists staff for services without hidden members', async () => {
    const staff = list(await call('GET', '/book_staff/101?service_ids[]=303', PARTNER));
    expect(staff.map((s) => s.id)).toEqual([SEED_IDS.staff.maria]);
    expect(staff[0]).toMatchObject({ bookable: true, seance_date: '2026-03-10' });
  });
});

describe('sandbox: booking', () => {
  it('books a free slot once; the second attempt gets 422 with code 433', async () => {
    const slot = '2026-03-11T13:00:00+03:00';
    const check = await call('POST', '/book_check/101', PARTNER, {
      appointments: booking(1001, 301, slot).appointments,
    });
    expect(check.status).toBe(201);
    const first = await call('POST', '/book_record/101', PARTNER, booking(1001, 301, slot));
    expect(first.status).toBe(201);
    const [item] = list(first);
    expect(item).toMatchObject({ id: 1, record_id: expect.any(Number), record_hash: expect.any(String) });
    const again = await call('POST', '/book_record/101', PARTNER, booking(1001, 301, slot, '+79169876543'));
    expect(again.status).toBe(422);
    expect(codeOf(again)).toBe(433);
    const recheck = await call('POST', '/book_check/101', PARTNER, {
      appointments: booking(1001, 301, slot).appointments,
    });
    expect(codeOf(recheck)).toBe(433);

    const record = one(await call('GET', `/record/101/${item?.record_id}`));
    expect(record).toMatchObject({
      staff_id: 1001,
      datetime: slot,
      date: '2026-03-11 13:00:00',
      comment: 'booked via bot',
      api_id: 'bot-42',
      master_request: 1,
      online: true,
      client: { id: SEED_IDS.clients.elena, phone: '+79161234567' },
    });
    const times = list(await call('GET', '/book_times/101/1001/2026-03-11?service_ids[]=301', PARTNER)).map(
      (s) => s.time,
    );
    expect(times).not.toContain('13:00');
  });

  it('assigns a real member for "any staff" and stores master_request 0', async () => {
    // Aigerim has the seeded 11:00 facial; Daniyar is free, so "any" must pick him.
    const answer = await call(
      'POST',
      '/book_record/102',
      PARTNER,
      booking(0, 307, '2026-03-11T11:00:00+05:00', '+77000000001'),
    );
    expect(answer.status).toBe(201);
    const record = one(await call('GET', `/record/102/${list(answer)[0]?.record_id}`));
    expect(record).toMatchObject({ staff_id: SEED_IDS.staff.daniyar, master_request: 0 });
    expect(record.client).toMatchObject({ phone: '+77000000001', name: 'Elena' });
  });

  it('refuses with Altegio codes: 436, 438, 431, 435, 434', async () => {
    // Men's haircut on Wednesday: Maria is off and Dmitry is hidden.
    const noStaff = await call(
      'POST',
      '/book_record/101',
      PARTNER,
      booking(0, 303, '2026-03-11T12:00:00+03:00'),
    );
    expect([noStaff.status, codeOf(noStaff)]).toEqual([422, 436]);
    const offline = await call('POST', '/book_check/101', PARTNER, {
      appointments: booking(1001, 305, '2026-03-11T10:00:00+03:00').appointments,
    });
    expect([offline.status, codeOf(offline)]).toEqual([422, 438]);
    const badPhone = await call(
      'POST',
      '/book_record/101',
      PARTNER,
      booking(1001, 301, '2026-03-11T10:00:00+03:00', '12'),
    );
    expect(codeOf(badPhone)).toBe(431);
    const noName = await call('POST', '/book_record/101', PARTNER, {
      ...booking(1001, 301, '2026-03-11T10:00:00+03:00'),
      fullname: ' ',
    });
    expect(codeOf(noName)).toBe(435);
    const blacklisted = await call(
      'POST',
      '/book_record/101',
      PARTNER,
      booking(1001, 301, '2026-03-11T10:00:00+03:00', '+79035556677'),
    );
    expect([blacklisted.status, codeOf(blacklisted)]).toEqual([403, 434]);
  });
});

describe('sandbox: records and clients', () => {
  it('pages records with total_count and filters by changed_after and deletion', async () => {
    const page1 = await call('GET', '/records/101?count=2&page=1');
    expect(list(page1)).toHaveLength(2);
    expect(page1.body.meta).toMatchObject({ page: 1, total_count: 4 });
    const page2 = await call('GET', '/records/101?count=2&page=2');
    expect(list(page2).map((r) => r.id)).not.toContain(list(page1)[0]?.id);
    expect((await call('GET', '/records/101?with_deleted=1')).body.meta.total_count).toBe(5);

    const before = (await call('GET', '/records/101')).body.data as Array<{ last_change_date: string }>;
    const newest =
      before
        .map((r) => r.last_change_date)
        .sort()
        .at(-1) ?? '';
    const current = one(await call('GET', '/record/101/601'));
    await call('PUT', '/record/101/601', USER, putBody(current, { attendance: 2, custom_color: '#F44336' }));
    const changed = list(
      await call('GET', `/records/101?changed_after=${encodeURIComponent('2026-03-10T09:00:00+03:00')}`),
    );
    expect(changed.map((r) => r.id)).toEqual([601]);
    expect(changed[0]).toMatchObject({ attendance: 2, visit_attendance: 2, custom_color: 'f44336' });
    expect(String(changed[0]?.last_change_date) > newest).toBe(true);

    expect((await call('DELETE', '/record/101/601')).status).toBe(204);
    expect(list(await call('GET', '/records/101')).map((r) => r.id)).not.toContain(601);
    expect(one(await call('GET', '/record/101/601')).deleted).toBe(true);
  });

  it('PUT /record takes the documented body only: extra or missing keys are a 422', async () => {
    const record = one(await call('GET', '/record/101/601'));
    const answer = await call('PUT', '/record/101/601', USER, putBody(record, { attendance: 2 }));
    expect(answer.status).toBe(201);
    expect(one(answer)).toMatchObject({
      attendance: 2,
      datetime: record.datetime,
      staff_id: 1001,
      seance_length: 3600,
    });
    // The whole record echoed back carries undocumented keys (client.id, services[].amount, …).
    const echoed = await call('PUT', '/record/101/601', USER, { ...record, attendance: 2 });
    expect([echoed.status, answer.body.success, echoed.body.success]).toEqual([422, true, false]);
    expect(echoed.body.meta.message).toMatch(/Unrecognized key/i);
    const extraClientKey = putBody(record);
    (extraClientKey.client as Record<string, unknown>).id = 501;
    expect((await call('PUT', '/record/101/601', USER, extraClientKey)).status).toBe(422);
    const { client: _client, ...noClient } = putBody(record);
    expect((await call('PUT', '/record/101/601', USER, noClient)).status).toBe(422);
    expect((await call('PUT', '/record/101/601', USER, { attendance: 2 })).status).toBe(422);

    // Moving Anna's 12:00 visit onto her 16:00 block is a clash.
    const clash = await call(
      'PUT',
      '/record/101/601',
      USER,
      putBody(record, { datetime: '2026-03-11T16:00:00+03:00' }),
    );
    expect([clash.status, codeOf(clash)]).toEqual([422, 433]);
  });

  it('refuses a PUT under the documented edit restrictions when switched on', async () => {
    sandbox.control.markPaid(101, 601);
    const record = one(await call('GET', '/record/101/601'));
    expect((await call('PUT', '/record/101/601', USER, putBody(record))).status).toBe(201);
    sandbox.control.restrictEdits({ paidFull: true });
    const refused = await call('PUT', '/record/101/601', USER, putBody(record, { attendance: 2 }));
    expect([refused.status, refused.body.meta.message]).toEqual([422, expect.stringMatching(/paid in full/)]);
    // The visit route still moves attendance.
    const visit = await call('PUT', `/visits/${record.visit_id}/601`, USER, { attendance: 2, comment: '' });
    expect(visit.status).toBe(200);
  });

  it('moves attendance through PUT /visits', async () => {
    const record = one(await call('GET', '/record/102/606'));
    const answer = await call('PUT', `/visits/${record.visit_id}/606`, USER, {
      attendance: -1,
      comment: 'no-show',
    });
    expect(answer.status).toBe(200);
    expect(one(answer)).toMatchObject({ attendance: -1, visit_attendance: -1, comment: 'no-show' });
  });

  it('searches clients by birthday (month-day, any year) and quick_search', async () => {
    const search = (filters: unknown[]) =>
      call('POST', '/company/101/clients/search', USER, {
        page: 1,
        page_size: 50,
        fields: ['id', 'name', 'phone'],
        filters,
      });
    const today = await search([{ type: 'birthday', state: { from: '03-10', to: '03-10' } }]);
    expect(list(today).map((c) => c.id)).toEqual([SEED_IDS.clients.elena]);
    // get_client_list never returns birth date or categories.
    expect(list(today)[0]).toEqual({ id: SEED_IDS.clients.elena, name: 'Elena', phone: 79161234567 });
    const twoDays = await search([{ type: 'birthday', state: { from: '03-10', to: '03-11' } }]);
    expect(twoDays.body.meta.total_count).toBe(2);
    // Older texts show full dates: still read, the year ignored.
    const fullDates = await search([{ type: 'birthday', state: { from: '2026-03-10', to: '2026-03-10' } }]);
    expect(list(fullDates).map((c) => c.id)).toEqual([SEED_IDS.clients.elena]);
    const asksCategories = await call('POST', '/company/101/clients/search', USER, {
      fields: ['id', 'categories', 'birth_date'],
    });
    expect(asksCategories.status).toBe(400);
    // Digits are compared without formatting, as a human types them.
    const formatted = await search([{ type: 'quick_search', state: { value: '916 123' } }]);
    expect(list(formatted).map((c) => c.id)).toEqual([SEED_IDS.clients.elena]);
    const byDigits = await search([{ type: 'quick_search', state: { value: '1234567' } }]);
    expect(list(byDigits).map((c) => c.id)).toEqual([SEED_IDS.clients.elena]);
    const byName = await search([{ type: 'quick_search', state: { value: 'orlov' } }]);
    expect(list(byName).map((c) => c.id)).toEqual([SEED_IDS.clients.pavel]);
    expect(birthdayMatches('1990-12-31', '2026-12-30', '2027-01-02')).toBe(true);
    expect(birthdayMatches('1990-01-03', '2026-12-30', '2027-01-02')).toBe(false);
    expect(birthdayMatches('1990-12-31', '12-30', '01-02')).toBe(true);

    const client = one(await call('GET', `/client/101/${SEED_IDS.clients.elena}`));
    expect(client).toMatchObject({
      birth_date: '1988-03-10',
      categories: [{ id: SEED_IDS.labels.vip, title: 'VIP' }],
    });
    const labels = list(await call('GET', '/labels/101/1'));
    expect(labels.map((l) => l.title)).toEqual(['VIP', 'No notifications', 'Blacklist']);
  });
});

describe('sandbox: webhooks and test hooks', () => {
  let receiver: Server;
  let received: Array<{
    resource: string;
    status: string;
    resource_id: number;
    data: Record<string, unknown>;
  }>;

  beforeEach(async () => {
    received = [];
    receiver = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      request.on('end', () => {
        received.push(JSON.parse(text));
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    sandbox.setWebhookUrl(
      `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/altegio/secret`,
    );
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('sends create for a booking and update for an attendance change, with increasing last_change_date', async () => {
    const booked = await call(
      'POST',
      '/book_record/101',
      PARTNER,
      booking(1001, 301, '2026-03-11T13:00:00+03:00'),
    );
    const recordId = list(booked)[0]?.record_id as number;
    const control = await fetch(`${sandbox.url}/__sandbox/records/101/${recordId}/attendance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ attendance: 1 }),
    });
    expect(control.status).toBe(200);
    await sandbox.webhooksIdle();
    const records = received.filter((event) => event.resource === 'record');
    expect(records.map((event) => [event.status, event.resource_id])).toEqual([
      ['create', recordId],
      ['update', recordId],
    ]);
    expect(records[0]).toMatchObject({ company_id: 101, data: { id: recordId, attendance: 0 } });
    expect(records[1]?.data).toMatchObject({ attendance: 1, visit_attendance: 1 });
    expect(String(records[1]?.data.last_change_date) > String(records[0]?.data.last_change_date)).toBe(true);

    sandbox.control.deleteRecord(101, recordId);
    await sandbox.webhooksIdle();
    expect(received.at(-1)).toMatchObject({
      status: 'delete',
      resource_id: recordId,
      data: { deleted: true },
    });
  });

  it('keeps serving when the webhook receiver is gone', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    sandbox.setWebhookUrl(`http://127.0.0.1:${port}/gone`);
    const started = Date.now();
    const answer = await call(
      'PUT',
      '/record/101/601',
      USER,
      putBody(one(await call('GET', '/record/101/601')), { attendance: 2 }),
    );
    expect(answer.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await call('GET', '/record/101/601')).status).toBe(200);
  });

  it('logs requests and injects failures', async () => {
    sandbox.failNext({ method: 'GET', path: /^\/companies$/ }, 503);
    const failed = await call('GET', '/companies', PARTNER);
    expect(failed.status).toBe(503);
    expect(failed.body.success).toBe(false);
    expect((await call('GET', '/companies', PARTNER)).status).toBe(200);
    expect(sandbox.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', '/companies', 503],
      ['GET', '/companies', 200],
    ]);
  });
});
