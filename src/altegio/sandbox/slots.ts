import { addDays, localDay, weekday, zonedInstant } from './time.js';

/**
 * Free-slot arithmetic, kept pure (no state, no clock of its own) so that it can be unit tested
 * with exact instants. The HTTP layer feeds it a staff member's weekly hours, that member's
 * busy intervals and the injected `now`.
 */

/** Half-open interval `[start, end)` in ms since the epoch. */
export interface Interval {
  start: number;
  end: number;
}

/** Opening and closing wall-clock times (`HH:MM`) in the branch's zone. */
export interface WorkingHours {
  start: string;
  end: string;
}

/** Seven entries, index 0 = Sunday like `Date#getDay`; `null` is a day off. */
export type WeeklySchedule = readonly (WorkingHours | null)[];

/** Altegio's default grid is 15 minutes; a finer grid only multiplies near-identical choices. */
export const DEFAULT_STEP_MIN = 15;

/** How far ahead online booking is open, counted in local days including today. */
export const BOOKING_WINDOW_DAYS = 30;

export interface BookingWindow {
  first: string;
  last: string;
}

/** Local days a client may book, from today in the branch's zone. */
export function bookingWindow(now: Date, timeZone: string, days = BOOKING_WINDOW_DAYS): BookingWindow {
  const first = localDay(now, timeZone);
  return { first, last: addDays(first, days - 1) };
}

export function inWindow(day: string, window: BookingWindow): boolean {
  return day >= window.first && day <= window.last;
}

/** Every local day from `from` to `to` inclusive (empty when `to` is before `from`). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** The working interval of a local day, or `null` on a day off. */
export function workingInterval(day: string, timeZone: string, schedule: WeeklySchedule): Interval | null {
  const hours = schedule[weekday(day)];
  if (!hours) return null;
  const start = zonedInstant(day, hours.start, timeZone).getTime();
  const end = zonedInstant(day, hours.end, timeZone).getTime();
  return end > start ? { start, end } : null;
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

export function isFree(busy: readonly Interval[], candidate: Interval): boolean {
  return busy.every((interval) => !overlaps(interval, candidate));
}

export interface DaySlotsInput {
  day: string;
  timeZone: string;
  schedule: WeeklySchedule;
  busy: readonly Interval[];
  /** Total length of the chosen services for this staff member, in seconds. */
  lengthSec: number;
  now: Date;
  stepMin?: number;
}

/**
 * Start instants on a local day where the whole service length fits inside working hours and
 * clashes with no busy interval. Starts at or before `now` are dropped: a slot that has begun
 * cannot be booked.
 */
export function daySlots(input: DaySlotsInput): Date[] {
  const hours = workingInterval(input.day, input.timeZone, input.schedule);
  if (!hours || input.lengthSec <= 0) return [];
  const stepMs = (input.stepMin ?? DEFAULT_STEP_MIN) * 60_000;
  const lengthMs = input.lengthSec * 1000;
  const nowMs = input.now.getTime();
  const slots: Date[] = [];
  for (let start = hours.start; start + lengthMs <= hours.end; start += stepMs) {
    if (start <= nowMs) continue;
    if (isFree(input.busy, { start, end: start + lengthMs })) slots.push(new Date(start));
  }
  return slots;
}

/** Whether one exact start is offered by `daySlots` (same grid, hours, busy and past rules). */
export function isBookable(input: Omit<DaySlotsInput, 'day'>, start: Date): boolean {
  const day = localDay(start, input.timeZone);
  return daySlots({ ...input, day }).some((slot) => slot.getTime() === start.getTime());
}

/**
 * "Any staff" view of several members' slots: each start once, in time order, with the members
 * free at that start in the order given (the caller's preference order).
 */
export function mergeSlots(
  perStaff: ReadonlyMap<number, readonly Date[]>,
): Array<{ start: Date; staffIds: number[] }> {
  const byStart = new Map<number, number[]>();
  for (const [staffId, slots] of perStaff) {
    for (const slot of slots) {
      const list = byStart.get(slot.getTime());
      if (list) list.push(staffId);
      else byStart.set(slot.getTime(), [staffId]);
    }
  }
  return [...byStart.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, staffIds]) => ({ start: new Date(start), staffIds }));
}
