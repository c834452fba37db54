import { describe, expect, it, vi } from 'vitest';
import { createCachedAltegio } from '../../src/altegio/cache.js';
import type { AltegioApi } from '../../src/altegio/client.js';
import type { BookDates, BookStaff, BookTime } from '../../src/altegio/schemas.js';

function fakeClient() {
  let version = 0;
  const mocks = {
    bookStaff: vi.fn<AltegioApi['bookStaff']>(async () => [{ id: 1001, name: `v${++version}` } as BookStaff]),
    bookDates: vi.fn<AltegioApi['bookDates']>(
      async () => ({ bookingDates: [`v${++version}`], workingDates: [] }) as BookDates,
    ),
    bookTimes: vi.fn<AltegioApi['bookTimes']>(async (_cid, _sid, date) => [
      { time: `v${++version}`, datetime: `${date}T10:00:00+03:00` } as BookTime,
    ]),
  };
  const client = Object.assign(mocks, { withPriority: () => client }) as unknown as typeof mocks & AltegioApi;
  return client;
}

/** Every availability entry the booking of master 1001 on 2030-01-12 at branch 42 touches, and its neighbours. */
async function loadAll(cached: AltegioApi) {
  await Promise.all([
    cached.bookStaff(42, { serviceIds: [301] }),
    cached.bookDates(42, { serviceIds: [301], staffId: 1001 }),
    cached.bookDates(42, { serviceIds: [301], staffId: 1002 }),
    cached.bookDates(42, { serviceIds: [301], staffId: 0 }),
    cached.bookTimes(42, 1001, '2030-01-12', { serviceIds: [301] }),
    cached.bookTimes(42, 1001, '2030-01-13', { serviceIds: [301] }),
    cached.bookTimes(42, 1002, '2030-01-12', { serviceIds: [301] }),
    cached.bookTimes(42, 0, '2030-01-12', { serviceIds: [301] }),
    cached.bookTimes(43, 1001, '2030-01-12', { serviceIds: [301] }),
  ]);
}

describe('availability cache', () => {
  it('answers repeated availability questions from memory for 30 s, concurrent misses sharing one call', async () => {
    let now = 0;
    const client = fakeClient();
    const cached = createCachedAltegio(client, { clock: { now: () => now } });
    const times = await Promise.all(
      Array.from({ length: 20 }, () => cached.bookTimes(42, 1001, '2030-01-12', { serviceIds: [301] })),
    );
    await cached.bookTimes(42, 1001, '2030-01-12', { serviceIds: [301] });
    // Order of the service ids does not make another question.
    await cached.bookStaff(42, { serviceIds: [302, 301] });
    await cached.bookStaff(42, { serviceIds: [301, 302] });
    expect(client.bookTimes).toHaveBeenCalledTimes(1);
    expect(client.bookStaff).toHaveBeenCalledTimes(1);
    expect(new Set(times.map((t) => t[0]?.time)).size).toBe(1);
    now = 29_999;
    await cached.bookTimes(42, 1001, '2030-01-12', { serviceIds: [301] });
    expect(client.bookTimes).toHaveBeenCalledTimes(1);
    now = 30_000;
    const fresh = await cached.bookTimes(42, 1001, '2030-01-12', { serviceIds: [301] });
    expect(client.bookTimes).toHaveBeenCalledTimes(2);
    expect(fresh[0]?.time).not.toBe(times[0]?.[0]?.time);
  });

  it("a record's change drops its branch's staff lists, its master's dates and that master's day, and nothing else", async () => {
    const client = fakeClient();
    const cached = createCachedAltegio(client);
    await loadAll(cached);
    expect(client.bookTimes).toHaveBeenCalledTimes(5);
    cached.invalidateAvailability(42, { staffId: 1001, date: '2030-01-12' });
    await loadAll(cached);
    expect(client.bookStaff).toHaveBeenCalledTimes(2);
    // Master 1001's dates and "any master" dates again; master 1002's stay.
    expect(client.bookDates).toHaveBeenCalledTimes(3 + 2);
    // 1001 on the 12th and "any master" on the 12th again; the 13th, master 1002 and branch 43 stay.
    expect(client.bookTimes).toHaveBeenCalledTimes(5 + 2);
    expect(client.bookTimes.mock.calls.slice(5).map((call) => [call[1], call[2]])).toEqual([
      [1001, '2030-01-12'],
      [0, '2030-01-12'],
    ]);
  });

  it('a change whose master or day is unknown drops more, never less', async () => {
    const client = fakeClient();
    const cached = createCachedAltegio(client);
    await loadAll(cached);
    cached.invalidateAvailability(42, { staffId: 1001 });
    await loadAll(cached);
    expect(client.bookTimes).toHaveBeenCalledTimes(5 + 3); // both of 1001's days and "any master"
    cached.invalidate(42, 'record');
    await loadAll(cached);
    expect(client.bookTimes).toHaveBeenCalledTimes(8 + 4); // all of branch 42
  });

  it('a failed answer is not kept, and views of other priorities share the cache', async () => {
    const client = fakeClient();
    client.bookTimes.mockRejectedValueOnce(new Error('down'));
    const cached = createCachedAltegio(client);
    await expect(cached.bookTimes(42, 1001, '2030-01-12')).rejects.toThrow('down');
    await cached.withPriority('booking').bookTimes(42, 1001, '2030-01-12');
    await cached.withPriority('notify').bookTimes(42, 1001, '2030-01-12');
    expect(client.bookTimes).toHaveBeenCalledTimes(2);
  });
});

describe('shared loads and the call budget', () => {
  it('a booking step does not wait behind a queued notification load; a queued load tells its joiners', async () => {
    // Real client and budget over a server that answers at once: one call at a time, the one slot taken.
    const { createAltegioClient } = await import('../../src/altegio/client.js');
    const { createRateLimiter } = await import('../../src/altegio/rate-limiter.js');
    const { ok, startTestServer } = await import('./fixtures/test-server.js');
    const server = await startTestServer(() => ok({ id: 42, title: 'Salon' }));
    try {
      const limiter = createRateLimiter({ limits: [{ max: 1, windowMs: 50 }] });
      const cached = createCachedAltegio(
        createAltegioClient({ baseUrl: server.url, partnerToken: 'p', limiter }),
      );
      const busy = await limiter.acquire({ priority: 'booking' });
      const notice = cached.withPriority('notify').getCompany(42);
      const heard: string[] = [];
      const onQueued = (who: string) => () => {
        heard.push(`${who} waits`);
        return () => heard.push(`${who} goes`);
      };
      const first = cached.withPriority('booking', { onQueued: onQueued('A') }).getCompany(42);
      const second = cached.withPriority('booking', { onQueued: onQueued('B') }).getCompany(42);
      await Promise.resolve();
      // The booking load went ahead of the notification's in the queue; B joined A's load and heard so.
      expect(limiter.stats().pending).toMatchObject({ booking: 1, notify: 1 });
      expect(heard).toEqual(['A waits', 'B waits']);
      busy();
      await expect(first).resolves.toMatchObject({ id: 42 });
      await expect(second).resolves.toMatchObject({ id: 42 });
      expect(heard).toEqual(['A waits', 'B waits', 'A goes', 'B goes']);
      await expect(notice).resolves.toMatchObject({ id: 42 }); // served after the booking step
    } finally {
      await server.close();
    }
  });
});
