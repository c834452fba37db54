/**
 * The booking port's answer to a taken time: the client's next screen needs the fresh times and
 * the check that the slot was not the client's own; both are asked at once, so the refusal costs
 * the client one round trip to Altegio, not two.
 */
import { describe, expect, it } from 'vitest';
import type { CachedAltegioApi } from '../../src/altegio/cache.js';
import { AltegioApiError } from '../../src/altegio/errors.js';
import { createAltegioBookingPort } from '../../src/dialogues/booking-port.js';
import { parseSettings } from '../../src/domain/settings.js';
import { createLogger } from '../../src/log.js';

const settings = parseSettings({});
if (!settings.ok) throw new Error('default settings do not parse');

const taken = new AltegioApiError({
  endpoint: '/book_record/{cid}',
  method: 'POST',
  httpStatus: 422,
  code: 433,
  serverMessage: 'The selected time is not available',
});

function fakeAltegio(found: () => Promise<unknown>) {
  const calls: string[] = [];
  const client = {
    bookRecord: async () => {
      calls.push('book_record');
      throw taken;
    },
    invalidateAvailability: () => calls.push('invalidate'),
    bookTimes: async (_company: number, staffId: number, date: string) => {
      calls.push(`book_times ${staffId} ${date}`);
      return [];
    },
    findBooking: async () => {
      calls.push('find_booking');
      await found();
      calls.push('find_booking answered');
      return null;
    },
  };
  const altegio = { ...client, withPriority: () => client } as unknown as CachedAltegioApi;
  return { altegio, calls };
}

const request = {
  companyId: 101,
  serviceIds: [301],
  staffId: 1001,
  datetime: '2026-12-05T10:00:00+03:00',
  phone: '79160007788',
  fullname: 'Client',
  idempotencyKey: 'booking-1:confirm-1',
};

describe('booking port, a time taken meanwhile', () => {
  it('asks for the fresh times of that master and day while it checks the slot was not ours', async () => {
    let answer: () => void = () => {};
    const lookup = new Promise<void>((resolve) => (answer = resolve));
    const { altegio, calls } = fakeAltegio(() => lookup);
    const port = createAltegioBookingPort({
      altegio,
      settings: () => settings.settings,
      serveAllBranches: false,
      logger: createLogger({ level: 'silent' }),
    });

    const booking = port.createBooking(request, new AbortController().signal);
    await expect.poll(() => calls).toContain('find_booking');
    // The lookup has not answered, and the times are already asked.
    expect(calls).toEqual(['book_record', 'invalidate', 'book_times 1001 2026-12-05', 'find_booking']);

    answer();
    await expect(booking).rejects.toMatchObject({ kind: 'slot-taken' });
  });
});
