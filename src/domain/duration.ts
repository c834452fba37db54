/**
 * Durations in settings are written the way people say them (`30s`, `15m`, `24h`, `2d`, `1h30m`)
 * so that a settings file stays readable and tests can use seconds where production uses hours.
 * The engine itself only ever works with milliseconds.
 */

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = keyof typeof UNIT_MS;
/** Largest first: the order in which units must appear and in which `formatDuration` writes them. */
const UNITS: readonly Unit[] = ['d', 'h', 'm', 's'];

/** What a user is told when a duration cannot be read; also reused by the settings messages. */
export const DURATION_HINT = 'must be a duration like "30s", "15m", "24h", "2d" or "1h30m"';

export type DurationResult = { ok: true; ms: number } | { ok: false; reason: string };

/**
 * Reads a duration string. Never throws: settings validation needs the reason as text, and a
 * bad value typed into the admin API must become a 400, not a crash.
 */
export function parseDuration(text: unknown): DurationResult {
  if (typeof text !== 'string') {
    return { ok: false, reason: `${DURATION_HINT}, written as text with its unit` };
  }
  if (text === '') return { ok: false, reason: `${DURATION_HINT}; it is empty` };
  let total = 0;
  let lastRank = -1;
  const segment = /(\d+)([a-zA-Z]*)/y;
  while (segment.lastIndex < text.length) {
    const match = segment.exec(text);
    if (!match) return { ok: false, reason: DURATION_HINT };
    const [, digits = '', unit = ''] = match;
    if (unit === '' && text[segment.lastIndex] === '.') {
      return { ok: false, reason: 'whole numbers only: write "1h30m" rather than "1.5h"' };
    }
    if (unit === '')
      return { ok: false, reason: `needs a unit after ${digits}: s, m, h or d (e.g. "${digits}m")` };
    const rank = UNITS.indexOf(unit as Unit);
    // Upper-case and longer units are refused rather than guessed: `M` could mean months, `min` minutes.
    if (rank < 0) return { ok: false, reason: `unknown unit "${unit}"; use s, m, h or d` };
    if (rank <= lastRank) {
      return {
        ok: false,
        reason: 'units must go from largest to smallest, each at most once (e.g. "1h30m")',
      };
    }
    lastRank = rank;
    total += Number(digits) * UNIT_MS[unit as Unit];
  }
  if (!Number.isSafeInteger(total)) return { ok: false, reason: 'is too long to be a duration' };
  return { ok: true, ms: total };
}

/**
 * Milliseconds of a duration that is already known to be valid (every duration inside a parsed
 * `Settings` is). Throws on garbage because reaching that point is a programming error.
 */
export function ms(text: string): number {
  const result = parseDuration(text);
  if (!result.ok) throw new RangeError(`Invalid duration ${JSON.stringify(text)}: ${result.reason}`);
  return result.ms;
}

/**
 * Writes milliseconds back in the settings notation, largest units first (`5_400_000` → `1h30m`),
 * so that logs and the admin API speak the same language as the settings file.
 */
export function formatDuration(milliseconds: number): string {
  if (!Number.isSafeInteger(milliseconds) || milliseconds < 0 || milliseconds % 1_000 !== 0) {
    throw new RangeError(`Cannot write ${milliseconds} ms as a duration: whole non-negative seconds only`);
  }
  if (milliseconds === 0) return '0s';
  let rest = milliseconds;
  let out = '';
  for (const unit of UNITS) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * UNIT_MS[unit];
  }
  return out;
}
