import { afterEach, describe, expect, it } from 'vitest';
import { createAltegioClient } from '../../src/altegio/client.js';
import { parseAltegioTime, toCalendarDate } from '../../src/altegio/coerce.js';
import { fixture, type Reply, startTestServer, type TestServer } from './fixtures/test-server.js';

let server: TestServer | undefined;
afterEach(async () => server?.close());

/** Serves one fixture for every request and returns a client pointed at it. */
async function serving(name: string) {
  server = await startTestServer((): Reply => ({ status: 200, body: fixture(name) }));
  return createAltegioClient({ baseUrl: server.url, partnerToken: 'p', userToken: 'u' });
}

describe('tolerant parsing of realistic payloads', () => {
  it('company: strings for numbers, nulls, extra fields, PHP []', async () => {
    const company = await (await serving('company.json')).getCompany(42);
    expect(company).toMatchObject({
      id: 42,
      title: 'Beauty Lab on Tverskaya',
      publicTitle: 'Beauty Lab on Tverskaya',
      timezoneName: 'Europe/Moscow',
      timezone: '3',
      active: true,
      allowChangeRecord: false,
      allowDeleteRecordDelayStep: 32400,
      allowChangeRecordDelayStep: 0,
      bookforms: [{ id: 555, title: 'Main', isDefault: true, url: 'https://n555.alteg.io/' }],
    });
    expect(company).not.toHaveProperty('unexpected_new_field');
  });

  it('services: prices as strings, null weight/staff', async () => {
    const [haircut, colouring] = await (await serving('services.json')).services(42);
    expect(haircut).toMatchObject({
      id: 7,
      categoryId: 3,
      priceMin: 1500,
      priceMax: 2500.5,
      duration: 3600,
      online: true,
      staff: [{ id: 11, seanceLength: 3600 }],
    });
    expect(colouring).toMatchObject({ id: 8, priceMax: 0, weight: 0, staff: [] });
  });

  it('staff: position [] and flags as strings', async () => {
    const staff = await (await serving('staff.json')).staff(42);
    expect(staff.map((s) => [s.id, s.position, s.hidden, s.fired, s.deleted])).toEqual([
      [11, { id: 2, title: 'Senior' }, false, false, false],
      [12, null, true, false, false],
      [13, null, false, true, true],
    ]);
    expect(staff[0]?.rating).toBe(4.8);
  });

  it('book_services: reads `category` as categories', async () => {
    const result = await (await serving('book-services.json')).bookServices(42);
    expect(result.services[0]).toMatchObject({
      id: 7,
      name: "Women's haircut",
      priceMin: 1500,
      duration: 3600,
    });
    expect(result.categories).toEqual([{ id: 3, title: 'Hair', weight: 1 }]);
  });

  it('book_staff: seance_date as date string or unix timestamp', async () => {
    const staff = await (await serving('book-staff.json')).bookStaff(42);
    expect(staff.map((s) => [s.id, s.bookable, s.seanceDate, s.position])).toEqual([
      [11, true, '2026-03-14', { id: 2, title: 'Senior' }],
      [12, false, '2026-03-14', null],
    ]);
  });

  it('book_dates: unix timestamps become salon-local calendar dates', async () => {
    const dates = await (await serving('book-dates-unix.json')).bookDates(42, { serviceIds: [7] });
    expect(dates.bookingDates).toEqual(['2026-03-14', '2026-03-15']);
    expect(dates.workingDates).toEqual(['2026-03-14', '2026-03-15', '2026-03-16']);
  });

  it('book_times: ISO and unix datetimes, kept as sent for book_record', async () => {
    const times = await (await serving('book-times.json')).bookTimes(42, 0, '2026-03-14');
    expect(times).toEqual([
      {
        time: '10:00',
        seanceLength: 3600,
        sumLength: 3600,
        datetime: '2026-03-14T10:00:00+03:00',
        startsAt: Date.parse('2026-03-14T07:00:00Z'),
      },
      { time: '11:00', seanceLength: 3600, sumLength: 3600, datetime: 1773475200, startsAt: 1773475200000 },
    ]);
  });

  it('record: strings everywhere, phone as number, +0300 stamps, labels as objects', async () => {
    const record = await (await serving('record.json')).getRecord(42, 9001);
    expect(record).toMatchObject({
      id: 9001,
      companyId: 42,
      staffId: 11,
      services: [{ id: 7, title: "Women's haircut", cost: 1500, firstCost: 1500, discount: 0, amount: 1 }],
      client: { id: 501, name: 'Maria', phone: '79161234567', email: '', birthday: '1990-05-17' },
      seanceLength: 3600,
      attendance: 2,
      visitAttendance: 0,
      confirmed: true,
      paid: true, // prepaid_confirmed "1"
      visitId: 7001,
      online: true,
      apiId: '12345',
      labelIds: [3],
      shortLink: 'https://alteg.io/r/abc',
      createDate: Date.parse('2026-03-01T09:30:00Z'),
    });
  });
});

describe('time helpers', () => {
  it.each([
    ['2026-03-14T10:00:00+03:00', Date.parse('2026-03-14T07:00:00Z')],
    ['2026-03-14T10:00:00+0300', Date.parse('2026-03-14T07:00:00Z')],
    ['2026-03-14 10:00:00', Date.parse('2026-03-14T10:00:00Z')],
    ['2026-03-14T10:00:00Z', Date.parse('2026-03-14T10:00:00Z')],
    [1773475200, 1773475200000],
    ['1773475200', 1773475200000],
    ['', null],
    [0, null],
    ['garbage', null],
    [null, null],
  ])('parseAltegioTime(%j)', (input, expected) => {
    expect(parseAltegioTime(input)).toBe(expected);
  });

  it('toCalendarDate rounds unix midnights of any zone to the right day', () => {
    expect(toCalendarDate(Date.parse('2026-03-14T00:00:00+03:00') / 1000)).toBe('2026-03-14');
    expect(toCalendarDate(Date.parse('2026-03-14T00:00:00-05:00') / 1000)).toBe('2026-03-14');
    expect(toCalendarDate(Date.parse('2026-03-14T00:00:00+11:00') / 1000)).toBe('2026-03-14');
    expect(toCalendarDate('0000-00-00')).toBeNull();
    expect(toCalendarDate('0')).toBeNull();
  });
});
