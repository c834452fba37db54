/**
 * Zod building blocks for what Altegio really sends: PHP-era JSON where numbers come as strings
 * (`"16"`, `"1000.00"`), booleans as `0`/`1`/`"1"`, empty objects as `[]`, dates as strings or unix
 * seconds and offsets as `+03:00` or `+0300`. Shapes in `schemas.ts` are built from these so that
 * each quirk is handled once.
 */
import { z } from 'zod';
import { normalizePhone } from '../domain/phone.js';

function numberish(value: unknown): unknown {
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value.trim());
    if (Number.isFinite(n)) return n;
  }
  return value;
}

/** A required integer id; `"16"` is accepted, a missing or non-numeric id is rejected. */
export const zId = z.preprocess(numberish, z.number().int());

/** An id that may be absent, `0`, `null` or `""` (→ `null`): e.g. `visit_id` before a visit exists. */
export const zOptionalId = z
  .preprocess((v) => (v === '' || v === undefined ? null : numberish(v)), z.number().int().nullable())
  .transform((v) => (v === 0 ? null : v))
  .catch(null);

/** A number whose absence or garbage must not reject the payload (prices, weights, lengths). */
export function zNum(fallback = 0) {
  return z.preprocess((v) => (v === null || v === '' ? fallback : numberish(v)), z.number()).catch(fallback);
}

/** `true`/`false`, `1`/`0`, `"1"`/`"0"`, `"true"` → boolean; anything else → `fallback`. */
export function zBool(fallback = false) {
  return z
    .unknown()
    .transform((v) => {
      if (typeof v === 'boolean') return v;
      if (v === 1 || v === '1' || v === 'true') return true;
      if (v === 0 || v === '0' || v === 'false' || v === '') return false;
      return fallback;
    })
    .catch(fallback);
}

/** A string that may be `null`, missing or a number (`"api_id": 12`) → always a string. */
export const zStr = z
  .unknown()
  .transform((v) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : ''))
  .catch('');

/** Like {@link zStr} but empty/missing becomes `null` (for values where "none" differs from ""). */
export const zStrOrNull = zStr.transform((v) => (v.trim() === '' ? null : v));

/** A phone as number or string, normalised to digits with country code, or `null`. */
export const zPhone = z
  .unknown()
  .transform((v) => normalizePhone(v))
  .catch(null);

/** Attendance values Altegio uses on records and visits. */
export type Attendance = -1 | 0 | 1 | 2;

/** `2` confirmed, `1` came, `0` waiting, `-1` no-show; unknown values read as waiting. */
export const zAttendance = z
  .preprocess(numberish, z.union([z.literal(-1), z.literal(0), z.literal(1), z.literal(2)]))
  .catch(0);

/** PHP serialises an empty associative array as `[]`; treat that (and `null`) as "absent". */
export function emptyToNull(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value) && value.length === 0) return null;
  return value;
}

const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses Altegio's time values to ms epoch: ISO with `+03:00`, `+0300` or `Z`, `YYYY-MM-DD HH:MM:SS`
 * (no offset → read as UTC; Altegio always sends an offset where the instant matters), or unix
 * seconds (as number or numeric string). Returns `null` for anything else, including `0`.
 */
export function parseAltegioTime(value: unknown): number | null {
  const n = numberish(value);
  if (typeof n === 'number') {
    if (!Number.isFinite(n) || n <= 0) return null;
    return n > 1e12 ? n : n * 1000; // be forgiving if someone already sent milliseconds
  }
  if (typeof n !== 'string') return null;
  const match = DATE_TIME.exec(n.trim());
  if (!match) return null;
  const [, date, hm = '00:00', ss = '00', rawOffset = 'Z'] = match;
  const offset =
    rawOffset === 'Z' || rawOffset.includes(':')
      ? rawOffset
      : `${rawOffset.slice(0, 3)}:${rawOffset.slice(3)}`;
  const ms = Date.parse(`${date}T${hm}:${ss}${offset}`);
  return Number.isNaN(ms) ? null : ms;
}

/** A time value → ms epoch or `null`; never rejects (used for create/change stamps). */
export const zTime = z
  .unknown()
  .transform((v) => parseAltegioTime(v))
  .catch(null);

const DAY_MS = 86_400_000;

/**
 * A calendar date as `YYYY-MM-DD`. Unix timestamps (old samples of `booking_dates`, `seance_date`)
 * stand for a salon-local midnight whose zone we do not know here; rounding to the nearest UTC
 * midnight gives the right day for every offset between −12 h and +12 h.
 */
export function toCalendarDate(value: unknown): string | null {
  const n = numberish(value);
  if (typeof n === 'number') {
    const ms = parseAltegioTime(n);
    if (ms === null) return null;
    return new Date(Math.round(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
  }
  if (typeof n !== 'string') return null;
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(n.trim());
  if (!match?.[1] || match[1].startsWith('0000')) return null;
  return match[1];
}

/** A calendar date or `null` (birthdays arrive as `"0"`, `""`, `null` or `"0000-00-00"` when unknown). */
export const zCalendarDate = z
  .unknown()
  .transform((v) => toCalendarDate(v))
  .catch(null);

/** Formats a ms epoch as ISO 8601 with a numeric offset, the style Altegio writes. */
export function isoFromMs(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/**
 * The salon-local wall clock part of an ISO datetime (`2026-03-14T15:00:00+03:00` →
 * `2026-03-14 15:00:00`), used when a record carries `datetime` but no `date`.
 */
export function wallClockOf(datetime: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2}))?/.exec(datetime);
  return match ? `${match[1]} ${match[2]}:${match[3] ?? '00'}` : null;
}
