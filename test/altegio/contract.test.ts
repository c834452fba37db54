/**
 * Every client operation against the sandbox over real HTTP: the client and the sandbox agree on
 * paths, headers, envelopes and error codes, as Altegio defines them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AltegioApi, createAltegioClient } from '../../src/altegio/client.js';
import { AltegioApiError } from '../../src/altegio/errors.js';
import { type Sandbox, SEED_IDS, startSandbox } from '../../src/altegio/sandbox/index.js';
import { maxPerWindow } from './fixtures/test-server.js';

const CID = SEED_IDS.companies.centre;
const HAIRCUT = SEED_IDS.services.womensHaircut;

let sandbox: Sandbox;
let altegio: AltegioApi;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  altegio = createAltegioClient({
    baseUrl: sandbox.url,
    partnerToken: 'sandbox-partner',
    userToken: 'sandbox-user',
    retry: { baseDelayMs: 10 },
    bookRecordSettleMs: 50,
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

/** A free slot: first bookable date and its first time, for "any master". */
async function freeSlot(serviceIds = [HAIRCUT]) {
  const { bookingDates } = await altegio.bookDates(CID, { serviceIds, staffId: 0 });
  for (const day of bookingDates) {
    const times = await altegio.bookTimes(CID, 0, day, { serviceIds });
    if (times[0]) return { day, time: times[0] };
  }
  throw new Error('sandbox has no free slot');
}

describe('reference data', () => {
  it('getCompany and listCompanies', async () => {
    const company = await altegio.getCompany(CID);
    expect(company.id).toBe(CID);
    expect(company.timezoneName).toMatch(/\//);
    const list = await altegio.listCompanies({ groupId: SEED_IDS.group });
    expect(list.map((c) => c.id)).toEqual(expect.arrayContaining([CID, SEED_IDS.companies.riverside]));
  });

  it('services honour widget names and the offline switch', async () => {
    const all = await altegio.services(CID);
    expect(all.map((s) => s.id)).toContain(SEED_IDS.services.consultationOffline);
    const online = await altegio.services(CID, { includeOffline: false, useWidgetNames: true });
    expect(online.map((s) => s.id)).not.toContain(SEED_IDS.services.consultationOffline);
    for (const s of online) expect(s.name).toBe(s.bookingTitle || s.title);
    expect((await altegio.serviceCategories(CID)).length).toBeGreaterThan(0);
  });

  it('staff', async () => {
    const staff = await altegio.staff(CID);
    expect(staff.map((s) => s.id)).toContain(SEED_IDS.staff.anna);
  });
});

describe('online booking', () => {
  it('bookServices, bookStaff, bookDates, bookTimes', async () => {
    const { services } = await altegio.bookServices(CID);
    expect(services.map((s) => s.id)).toContain(HAIRCUT);
    expect(services.map((s) => s.id)).not.toContain(SEED_IDS.services.consultationOffline);
    const staff = await altegio.bookStaff(CID, { serviceIds: [HAIRCUT] });
    expect(staff.length).toBeGreaterThan(0);
    const { day, time } = await freeSlot();
    expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(time.startsAt).toBeGreaterThan(0);
  });

  it('bookCheck, bookRecord, findBooking; a second booking of the slot is slot-taken', async () => {
    const { time } = await freeSlot();
    const appointments = [{ id: 1, services: [HAIRCUT], staffId: 0, datetime: time.datetime }];
    await altegio.bookCheck(CID, appointments);
    const input = { phone: '+7 900 555-00-11', fullname: 'Contract Test', appointments };
    const [booked] = await altegio.bookRecord(CID, input);
    expect(booked?.recordId).toBeGreaterThan(0);
    const record = await altegio.getRecord(CID, booked?.recordId ?? 0);
    expect(record).toMatchObject({ client: { phone: '79005550011' } });
    expect(record.staffId).toBeGreaterThan(0); // "any" resolved to a real master
    expect(await altegio.findBooking(CID, input)).toEqual([
      { id: 1, recordId: booked?.recordId, recordHash: null },
    ]);

    const again = [{ ...appointments[0], staffId: record.staffId } as (typeof appointments)[number]];
    const error = await altegio.bookCheck(CID, again).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AltegioApiError);
    expect((error as AltegioApiError).isSlotUnavailable).toBe(true);
  });

  it('a 500 on book_record goes through the safe check path: one record, no duplicate', async () => {
    const { time } = await freeSlot();
    const appointments = [{ id: 1, services: [HAIRCUT], staffId: 0, datetime: time.datetime }];
    sandbox.failNext({ method: 'POST', path: /^\/book_record\// }, 500);
    const before = sandbox.requests.length;
    const [booked] = await altegio.bookRecord(CID, {
      phone: '+79005550022',
      fullname: 'Contract Retry',
      appointments,
    });
    const calls = sandbox.requests
      .slice(before)
      .map((r) => `${r.method} ${r.path.split('/')[1]} ${r.status}`);
    expect(calls).toEqual(['POST book_record 500', 'GET records 200', 'POST book_record 201']);
    const mine = (await altegio.listRecords(CID)).filter((r) => r.client?.phone === '79005550022');
    expect(mine.map((r) => r.id)).toEqual([booked?.recordId]);
  });
});

describe('records', () => {
  let recordId: number;
  beforeAll(async () => {
    const { time } = await freeSlot();
    const [booked] = await altegio.bookRecord(CID, {
      phone: '+79005550033',
      fullname: 'Contract Records',
      appointments: [{ id: 1, services: [HAIRCUT], staffId: 0, datetime: time.datetime }],
    });
    recordId = booked?.recordId ?? 0;
  });

  it('listRecords (paged, changed_after) and getRecord', async () => {
    const all = await altegio.listRecords(CID, { count: 2 });
    expect(all.map((r) => r.id)).toContain(recordId);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    const recent = await altegio.listRecords(CID, { changedAfter: Date.now() - 60 * 60_000 });
    expect(recent.map((r) => r.id)).toContain(recordId);
    const record = await altegio.getRecord(CID, recordId);
    expect(record.id).toBe(recordId);
    expect(record.lastChangeDate).not.toBeNull();
  });

  it('setAttendance through the record and the visit, setRecordColor, updateRecord', async () => {
    await altegio.setAttendance(CID, recordId, 2);
    expect((await altegio.getRecord(CID, recordId)).attendance).toBe(2);
    await altegio.setAttendance(CID, recordId, -1, { via: 'visit' });
    expect((await altegio.getRecord(CID, recordId)).attendance).toBe(-1);
    const coloured = await altegio.setRecordColor(CID, recordId, '#2ECC71');
    expect(coloured.customColor).toBe('2ecc71');
    const updated = await altegio.updateRecord(CID, recordId, {
      comment: 'via contract test',
      attendance: 0,
    });
    expect(updated).toMatchObject({ comment: 'via contract test', attendance: 0, customColor: '2ecc71' });
  });

  it('confirm, colour and no-show PUTs are accepted by the strict sandbox (documented body only)', async () => {
    const before = sandbox.requests.length;
    await altegio.setAttendance(CID, recordId, 2);
    await altegio.setRecordColor(CID, recordId, '#3498DB');
    await altegio.setAttendance(CID, recordId, -1);
    const record = await altegio.getRecord(CID, recordId);
    expect(record).toMatchObject({ attendance: -1, customColor: '3498db' });
    const puts = sandbox.requests.slice(before).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => `${r.path.split('/')[1]} ${r.status}`)).toEqual([
      'record 201',
      'record 201',
      'record 201',
    ]);
  });

  it('under the documented edit restrictions attendance goes through the visit; a colour refusal is reported', async () => {
    sandbox.control.markPaid(CID, recordId);
    sandbox.control.restrictEdits({ paidFull: true });
    try {
      const before = sandbox.requests.length;
      await altegio.setAttendance(CID, recordId, 2);
      expect((await altegio.getRecord(CID, recordId)).attendance).toBe(2);
      const puts = sandbox.requests.slice(before).filter((r) => r.method === 'PUT');
      // Paid in full is a documented restriction: straight to the visit, no refused PUT first.
      expect(puts.map((r) => `${r.path.split('/')[1]} ${r.status}`)).toEqual(['visits 200']);

      const error = await altegio.setRecordColor(CID, recordId, '#000000').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AltegioApiError);
      expect((error as AltegioApiError).httpStatus).toBe(422);
    } finally {
      sandbox.control.restrictEdits({ paidFull: false });
    }
  });

  it('a refusal the record did not show falls back to the visit for attendance', async () => {
    const fresh = Number(
      sandbox.control.createRecord(CID, {
        staff_id: SEED_IDS.staff.anna,
        services: [HAIRCUT],
        datetime: '2030-01-10T10:00:00+03:00',
        client: { phone: '+79005550044', name: 'Contract Refused' },
        save_if_busy: true,
      }).id,
    );
    sandbox.failNext({ method: 'PUT', path: /^\/record\// }, 403);
    const before = sandbox.requests.length;
    await altegio.setAttendance(CID, fresh, 2);
    expect((await altegio.getRecord(CID, fresh)).attendance).toBe(2);
    const puts = sandbox.requests.slice(before).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => `${r.path.split('/')[1]} ${r.status}`)).toEqual(['record 403', 'visits 200']);
  });

  it('deleteRecord removes it (still listed with with_deleted)', async () => {
    await altegio.deleteRecord(CID, recordId);
    expect((await altegio.listRecords(CID)).map((r) => r.id)).not.toContain(recordId);
    const withDeleted = await altegio.listRecords(CID, { withDeleted: true });
    expect(withDeleted.find((r) => r.id === recordId)?.deleted).toBe(true);
  });
});

describe('clients', () => {
  it('getClient, searchClients (quick search and birthday), clientCategories', async () => {
    const client = await altegio.getClient(CID, SEED_IDS.clients.elena);
    expect(client.id).toBe(SEED_IDS.clients.elena);
    expect(client.phone).toMatch(/^\d{10,15}$/);
    const byName = await altegio.searchClients(CID, { quickSearch: client.name });
    expect(byName.map((c) => c.id)).toContain(client.id);
    if (client.birthDate) {
      const born = await altegio.searchClients(CID, {
        birthday: { from: client.birthDate, to: client.birthDate },
      });
      expect(born.map((c) => c.id)).toContain(client.id);
    }
    const categories = await altegio.clientCategories(CID);
    expect(categories.map((c) => c.id)).toContain(SEED_IDS.labels.vip);
  });
});

describe('errors and transport', () => {
  it('typed errors: unauthorized and not found', async () => {
    const stranger = createAltegioClient({ baseUrl: sandbox.url, partnerToken: 'wrong', userToken: 'wrong' });
    await expect(stranger.staff(CID)).rejects.toMatchObject({ kind: 'unauthorized', httpStatus: 401 });
    await expect(altegio.getRecord(CID, 999_999)).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('a 500 followed by success is retried transparently for a GET', async () => {
    sandbox.failNext({ method: 'GET', path: new RegExp(`^/company/${CID}$`) }, 500);
    const before = sandbox.requests.length;
    const company = await altegio.getCompany(CID);
    expect(company.id).toBe(CID);
    const seen = sandbox.requests.slice(before).map((r) => [r.method, r.path, r.status]);
    expect(seen).toEqual([
      ['GET', `/company/${CID}`, 500],
      ['GET', `/company/${CID}`, 200],
    ]);
  });

  it('50 calls at once: the sandbox request log shows at most 5 in any second', async () => {
    // A fresh client has a fresh limiter with Altegio's real 5/s and 200/min limits.
    const limited = createAltegioClient({ baseUrl: sandbox.url, partnerToken: 'sandbox-partner' });
    const before = sandbox.requests.length;
    await Promise.all(Array.from({ length: 50 }, () => limited.getCompany(CID)));
    const arrivals = sandbox.requests.slice(before).map((r) => r.at);
    expect(arrivals).toHaveLength(50);
    expect(maxPerWindow(arrivals, 1000)).toBeLessThanOrEqual(5);
  }, 20_000);
});
