import { describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { bookingActors, bookingMachine } from '../../machines/booking/index.js';
import { clampPage } from '../../machines/booking/menus.js';
import {
  type BookingPort,
  isBookingFailure,
  localDateTime,
  parseFullName,
} from '../../src/domain/booking.js';
import { BRANCHES, DATES, SERVICES, STAFF, TIMES } from './booking-harness.js';

describe('parseFullName', () => {
  it.each([
    ['Ivanova Anna Sergeevna', 'Ivanova Anna Sergeevna'],
    ['  Smith   John ', 'Smith John'],
    ['Rimsky-Korsakov Nikolai', 'Rimsky-Korsakov Nikolai'],
    ["O'Neil Shaquille", "O'Neil Shaquille"],
    ['Шевченко Ганна Петрівна', 'Шевченко Ганна Петрівна'],
    ["Прокоф'єв Сергій", "Прокоф'єв Сергій"],
  ])('accepts %j', (raw, expected) => {
    expect(parseFullName(raw)).toBe(expected);
  });

  it.each([
    '',
    'Anna',
    'A Smith',
    'Smith J.',
    'Anna 2nd',
    'One Two Three Four',
    '-Anna Smith',
    "Anna Smith'",
    'Anna_Maria Smith',
  ])('refuses %j', (raw) => {
    expect(parseFullName(raw)).toBeNull();
  });
});

describe('localDateTime', () => {
  it('reads the wall clock from the string, whatever the process zone', () => {
    expect(localDateTime('2026-05-01T23:30:00+03:00')).toEqual({ date: '2026-05-01', time: '23:30' });
    expect(localDateTime('2026-05-01 09:05:00')).toEqual({ date: '2026-05-01', time: '09:05' });
    expect(localDateTime('tomorrow')).toBeNull();
  });
});

describe('isBookingFailure', () => {
  it('recognises the plain objects the runtime rejects with, and nothing else', () => {
    expect(isBookingFailure({ kind: 'slot-taken' })).toBe(true);
    expect(isBookingFailure({ kind: 'rejected', message: '422' })).toBe(true);
    expect(isBookingFailure({ kind: 'other' })).toBe(false);
    expect(isBookingFailure(new Error('slot-taken'))).toBe(false);
    expect(isBookingFailure(null)).toBe(false);
  });
});

describe('clampPage', () => {
  it('keeps a page within a list that may have shrunk', () => {
    expect(clampPage(5, 20, 8)).toBe(2);
    expect(clampPage(-1, 20, 8)).toBe(0);
    expect(clampPage(1, 0, 8)).toBe(0);
    expect(clampPage(Number.NaN, 20, 8)).toBe(0);
  });
});

describe('bookingActors', () => {
  it('wires a port into the machine and passes each call an abort signal', async () => {
    const signals: AbortSignal[] = [];
    const port: BookingPort = {
      loadBranches: async (signal) => {
        signals.push(signal);
        return [BRANCHES[0] as (typeof BRANCHES)[0]];
      },
      loadServices: async (_query, signal) => {
        signals.push(signal);
        return SERVICES;
      },
      loadStaff: async () => STAFF,
      loadDates: async () => DATES,
      loadTimes: async () => TIMES,
      createBooking: async (request) => ({ recordId: 1, datetime: request.datetime }),
    };
    const actor = createActor(bookingMachine.provide({ actors: bookingActors(port) }), {
      input: {
        dialogueId: 'p',
        replyTimeoutMs: 1000,
        chooseStaff: true,
        anyStaffOption: true,
        askFullName: false,
      },
    }).start();
    await waitFor(actor, (snapshot) => snapshot.matches({ service: 'choosing' }), { timeout: 1000 });
    expect(signals).toHaveLength(2);
    expect(signals.every((signal) => signal instanceof AbortSignal && !signal.aborted)).toBe(true);
    actor.stop();
  });
});
