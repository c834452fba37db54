/**
 * The booking port's answer to a taken time: the client's next screen needs the fresh times. Only
 * a repeated send (after a crash, or the client's Retry) also checks that the slot was not taken
 * by its own first send; both are asked at once, so the refusal costs the client one round trip
 * to Altegio, not two.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CachedAltegioApi } from '../../src/altegio/cache.js';
import { AltegioApiError } from '../../src/altegio/errors.js';
import { storeBookingAttempts } from '../../src/dialogues/booking-attempts.js';
import { createAltegioBookingPort } from '../../src/dialogues/booking-port.js';
import { parseSettings } from '../../src/domain/settings.js';
import { createLogger } from '../../src/log.js';
import { createStore } from '../../src/store/index.js';

const parsed = parseSettings({});
if (!parsed.ok) throw new Error('default settings do not parse');
const defaults = parsed.settings;

const taken = new AltegioApiError({
  endpoint: '/book_record/{cid}',
  method: 'POST',
  httpStatus: 422,
  code: 433,
  serverMessage: 'The selected time is not available',
});

const silent = createLogger({ level: 'silent' });

/** Altegio refusing every `book_record` with 433; the lookup answers `ours` once `found` settles. */
function fakeAltegio(found: () => Promise<unknown> = async () => {}, ours: number | null = null) {
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
      return ours === null ? null : [{ id: 1, recordId: ours, recordHash: null }];
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
  it('on a possible repeat, asks for the fresh times of that master and day while it checks the slot was not ours', async () => {
    let answer: () => void = () => {};
    const lookup = new Promise<void>((resolve) => (answer = resolve));
    const { altegio, calls } = fakeAltegio(() => lookup);
    const port = createAltegioBookingPort({
      altegio,
      settings: () => defaults,
      serveAllBranches: false,
      logger: silent,
    });

    const booking = port.createBooking(request, new AbortController().signal);
    await expect.poll(() => calls).toContain('find_booking');
    // The lookup has not answered, and the times are already asked.
    expect(calls).toEqual(['book_record', 'invalidate', 'book_times 1001 2026-12-05', 'find_booking']);

    answer();
    await expect(booking).rejects.toMatchObject({ kind: 'slot-taken' });
  });

  describe('with the attempts noted in the store', () => {
    const dirs: string[] = [];
    afterEach(() => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    /** A port as one engine process builds it, over the salon's database file. */
    function processOn(databasePath: string, ours: number | null) {
      const store = createStore(databasePath);
      const { altegio, calls } = fakeAltegio(undefined, ours);
      const port = createAltegioBookingPort({
        altegio,
        settings: () => defaults,
        serveAllBranches: false,
        logger: silent,
        attempts: storeBookingAttempts(store, silent),
      });
      return { port, calls, close: () => store.close() };
    }

    it("a first send's refusal is someone else's booking: no lookup, just the fresh times", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'booking-attempts-'));
      dirs.push(dir);
      const first = processOn(join(dir, 'bot.sqlite'), 9001);

      await expect(first.port.createBooking(request, new AbortController().signal)).rejects.toMatchObject({
        kind: 'slot-taken',
      });
      expect(first.calls).toEqual(['book_record', 'invalidate', 'book_times 1001 2026-12-05']);
      await first.close();
    });

    it('the same attempt repeated by the next process finds its own booking holding the slot', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'booking-attempts-'));
      dirs.push(dir);
      const databasePath = join(dir, 'bot.sqlite');
      // The first process sent book_record and died before it saved the step.
      const crashed = processOn(databasePath, null);
      await crashed.port.createBooking(request, new AbortController().signal).catch(() => {});
      await crashed.close();

      const next = processOn(databasePath, 9001);
      await expect(next.port.createBooking(request, new AbortController().signal)).resolves.toEqual({
        recordId: 9001,
        datetime: request.datetime,
      });
      expect(next.calls).toContain('find_booking');

      // A new confirmation is a new attempt: its refusal is not checked.
      const other = processOn(databasePath, 9001);
      await expect(
        other.port.createBooking(
          { ...request, idempotencyKey: 'booking-1:confirm-2' },
          new AbortController().signal,
        ),
      ).rejects.toMatchObject({ kind: 'slot-taken' });
      expect(other.calls).not.toContain('find_booking');
      await next.close();
      await other.close();
    });
  });
});
