import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';

/**
 * Wall-clock helpers for the sandbox. Altegio speaks three date dialects at once: salon-local
 * `YYYY-MM-DD HH:MM:SS` (`date`), ISO with a colon offset (`datetime`) and ISO with a colon-less
 * offset (`create_date`, `last_change_date`). Every branch has its own IANA zone, so all
 * conversions go through the branch's `timezone_name`, never through the host's zone.
 */

/** Local calendar day `YYYY-MM-DD` of an instant in a branch's zone. */
export function localDay(at: Date | number, timeZone: string): string {
  return formatInTimeZone(at, timeZone, 'yyyy-MM-dd');
}

/** `HH:MM` local time, the `time` field of `book_times`. */
export function localTime(at: Date | number, timeZone: string): string {
  return formatInTimeZone(at, timeZone, 'HH:mm');
}

/** Record `date`: salon-local wall clock without an offset. */
export function localDateTime(at: Date | number, timeZone: string): string {
  return formatInTimeZone(at, timeZone, 'yyyy-MM-dd HH:mm:ss');
}

/** Record `datetime` / `book_times[].datetime`: `2026-03-14T15:00:00+03:00`. */
export function isoWithOffset(at: Date | number, timeZone: string): string {
  return formatInTimeZone(at, timeZone, "yyyy-MM-dd'T'HH:mm:ssxxx");
}

/** `create_date` / `last_change_date`: `2026-03-14T15:00:00+0300`, as Altegio writes them. */
export function altegioStamp(at: Date | number, timeZone: string): string {
  return formatInTimeZone(at, timeZone, "yyyy-MM-dd'T'HH:mm:ssxx");
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar day written `YYYY-MM-DD` (rejects `2026-02-30`). */
export function isDay(value: string): boolean {
  const match = DAY_RE.exec(value);
  if (!match) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** Calendar arithmetic on local days; done in UTC so that DST shifts cannot skip or repeat a day. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday, like `Date#getDay`, for a local day. */
export function weekday(day: string): number {
  return new Date(`${day}T00:00:00Z`).getUTCDay();
}

/** The instant at which a branch's clock shows `day` `HH:MM`. */
export function zonedInstant(day: string, hhmm: string, timeZone: string): Date {
  return fromZonedTime(`${day}T${hhmm}:00`, timeZone);
}

/**
 * Reads any datetime a client may send back: ISO with `+03:00`, `+0300` or `Z`; a local
 * `YYYY-MM-DD HH:MM[:SS]` (taken in the branch's zone); or unix seconds (old YCLIENTS samples).
 * Returns `null` for anything else so the caller can answer 400.
 */
export function parseDateTime(input: string | number, timeZone: string): Date | null {
  if (typeof input === 'number' || /^\d{9,13}$/.test(input)) {
    const value = Number(input);
    const date = new Date(value < 1e12 ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  const text = input.trim();
  const withOffset = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.exec(
    text,
  );
  if (withOffset) {
    const [, day = '', time = '', offset = ''] = withOffset;
    const normalized = offset === 'Z' ? 'Z' : `${offset.slice(0, 3)}:${offset.slice(-2)}`;
    const date = new Date(`${day}T${time.length === 5 ? `${time}:00` : time}${normalized}`);
    return isDay(day) && !Number.isNaN(date.getTime()) ? date : null;
  }
  const local = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2}))?$/.exec(text);
  if (local) {
    const [, day = '', time = '', seconds = '00'] = local;
    if (!isDay(day)) return null;
    const date = fromZonedTime(`${day}T${time}:${seconds}`, timeZone);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return null;
}
