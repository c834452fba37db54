import { describe, expect, it } from 'vitest';
import {
  bookingWindow,
  type DaySlotsInput,
  daySlots,
  daysBetween,
  isBookable,
  mergeSlots,
  type WeeklySchedule,
  workingInterval,
} from '../../src/altegio/sandbox/slots.js';
import { isoWithOffset, parseDateTime } from '../../src/altegio/sandbox/time.js';

const TEN_TO_EIGHT = { start: '10:00', end: '20:00' };
/** Mon–Sat 10–20, Sunday off. */
const WEEK: WeeklySchedule = [
  null,
  TEN_TO_EIGHT,
  TEN_TO_EIGHT,
  TEN_TO_EIGHT,
  TEN_TO_EIGHT,
  TEN_TO_EIGHT,
  TEN_TO_EIGHT,
];
const MOSCOW = 'Europe/Moscow';
const ALMATY = 'Asia/Almaty';
// Tuesday 2026-03-10 06:00 UTC = 09:00 Moscow = 11:00 Almaty.
const NOW = new Date('2026-03-10T06:00:00Z');

function input(overrides: Partial<DaySlotsInput> = {}): DaySlotsInput {
  return {
    day: '2026-03-11',
    timeZone: MOSCOW,
    schedule: WEEK,
    busy: [],
    lengthSec: 3600,
    now: NOW,
    ...overrides,
  };
}

const times = (slots: Date[], tz = MOSCOW): string[] => slots.map((s) => isoWithOffset(s, tz).slice(11, 16));

describe('sandbox slots', () => {
  it('offers a 15-minute grid inside working hours where the whole service fits', () => {
    const slots = times(daySlots(input({ lengthSec: 90 * 60 })));
    expect(slots[0]).toBe('10:00');
    expect(slots[1]).toBe('10:15');
    // 18:30 + 90 min = 20:00 fits exactly; 18:45 would run past closing.
    expect(slots.at(-1)).toBe('18:30');
    expect(slots).toHaveLength(35);
  });

  it('leaves out starts that would overlap a busy interval', () => {
    const busyStart = new Date('2026-03-11T12:00:00+03:00').getTime();
    const slots = times(daySlots(input({ busy: [{ start: busyStart, end: busyStart + 3600_000 }] })));
    expect(slots).toContain('11:00');
    expect(slots).toContain('13:00');
    for (const taken of ['11:15', '11:30', '11:45', '12:00', '12:15', '12:30', '12:45'])
      expect(slots).not.toContain(taken);
  });

  it('never offers a start at or before now', () => {
    const slots = daySlots(input({ day: '2026-03-10', timeZone: ALMATY }));
    expect(times(slots, ALMATY)[0]).toBe('11:15');
    expect(slots.every((slot) => slot.getTime() > NOW.getTime())).toBe(true);
  });

  it('reads working hours in the branch zone', () => {
    const moscow = workingInterval('2026-03-11', MOSCOW, WEEK);
    const almaty = workingInterval('2026-03-11', ALMATY, WEEK);
    expect(moscow && new Date(moscow.start).toISOString()).toBe('2026-03-11T07:00:00.000Z');
    expect(almaty && new Date(almaty.start).toISOString()).toBe('2026-03-11T05:00:00.000Z');
    expect(isoWithOffset(daySlots(input({ timeZone: ALMATY }))[0] ?? 0, ALMATY)).toBe(
      '2026-03-11T10:00:00+05:00',
    );
  });

  it('has no slots on a day off or for a zero length', () => {
    expect(daySlots(input({ day: '2026-03-15' }))).toEqual([]);
    expect(daySlots(input({ lengthSec: 0 }))).toEqual([]);
  });

  it('checks one exact start against the same rules', () => {
    const base = { timeZone: MOSCOW, schedule: WEEK, busy: [], lengthSec: 3600, now: NOW };
    expect(isBookable(base, new Date('2026-03-11T13:00:00+03:00'))).toBe(true);
    expect(isBookable(base, new Date('2026-03-11T13:05:00+03:00'))).toBe(false);
    expect(isBookable(base, new Date('2026-03-11T19:30:00+03:00'))).toBe(false);
    expect(isBookable(base, new Date('2026-03-09T13:00:00+03:00'))).toBe(false);
  });

  it('merges members for "any staff" keeping the preference order', () => {
    const a = new Date('2026-03-11T10:00:00Z');
    const b = new Date('2026-03-11T10:15:00Z');
    const merged = mergeSlots(
      new Map([
        [7, [b]],
        [3, [a, b]],
      ]),
    );
    expect(merged).toEqual([
      { start: a, staffIds: [3] },
      { start: b, staffIds: [7, 3] },
    ]);
  });

  it('computes the 30-day window from the local today', () => {
    // 23:30 UTC on the 9th is already the 10th in Almaty.
    expect(bookingWindow(new Date('2026-03-09T23:30:00Z'), ALMATY)).toEqual({
      first: '2026-03-10',
      last: '2026-04-08',
    });
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
  });

  it('parses every datetime dialect Altegio clients send', () => {
    const expected = '2026-03-14T12:00:00.000Z';
    expect(parseDateTime('2026-03-14T15:00:00+03:00', MOSCOW)?.toISOString()).toBe(expected);
    expect(parseDateTime('2026-03-14T15:00:00+0300', MOSCOW)?.toISOString()).toBe(expected);
    expect(parseDateTime('2026-03-14 15:00:00', MOSCOW)?.toISOString()).toBe(expected);
    expect(parseDateTime(1773489600, MOSCOW)?.toISOString()).toBe(expected);
    expect(parseDateTime('tomorrow', MOSCOW)).toBeNull();
    expect(parseDateTime('2026-02-30 10:00', MOSCOW)).toBeNull();
  });
});
