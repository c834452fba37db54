import { describe, expect, it } from 'vitest';
import { formatDuration, ms, parseDuration } from '../../src/domain/duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['2d', 172_800_000],
    ['0s', 0],
    ['1h30m', 5_400_000],
    ['1d2h3m4s', 93_784_000],
  ])('should read %s as %i ms', (text, expected) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms: expected });
  });

  it.each([
    ['15', 'needs a unit after 15: s, m, h or d (e.g. "15m")'],
    ['', 'it is empty'],
    ['1.5h', 'whole numbers only'],
    ['15M', 'unknown unit "M"'],
    ['15min', 'unknown unit "min"'],
    ['30m1h', 'largest to smallest'],
    ['1h1h', 'largest to smallest'],
    [' 15m', 'must be a duration like'],
    ['-5m', 'must be a duration like'],
    ['h', 'must be a duration like'],
    ['99999999999999999d', 'too long'],
  ])('should refuse %j and say why', (text, reason) => {
    const result = parseDuration(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });

  it('should refuse a number, asking for text with a unit', () => {
    const result = parseDuration(900);
    expect(!result.ok && result.reason).toMatch(/written as text with its unit/);
  });
});

describe('ms', () => {
  it('should give milliseconds of a valid duration and throw on garbage', () => {
    expect(ms('9h')).toBe(32_400_000);
    expect(() => ms('9 hours')).toThrow(/Invalid duration "9 hours"/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [30_000, '30s'],
    [900_000, '15m'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [93_784_000, '1d2h3m4s'],
  ])('should write %i ms as %s', (milliseconds, text) => {
    expect(formatDuration(milliseconds)).toBe(text);
    expect(ms(text)).toBe(milliseconds);
  });

  it('should refuse what the notation cannot express', () => {
    expect(() => formatDuration(1_500)).toThrow(RangeError);
    expect(() => formatDuration(-1_000)).toThrow(RangeError);
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });
});
