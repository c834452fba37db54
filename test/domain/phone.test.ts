import { describe, expect, it } from 'vitest';
import { maskPhone, normalizePhone } from '../../src/domain/phone.js';

describe('normalizePhone', () => {
  it('turns every way a phone arrives into digits with the country code', () => {
    expect(normalizePhone('+7 (916) 123-45-67')).toBe('79161234567');
    expect(normalizePhone(79161234567)).toBe('79161234567');
    expect(normalizePhone('79161234567@c.us')).toBe('79161234567');
    expect(normalizePhone('+380 50 123 4567')).toBe('380501234567');
  });

  it('reads a Russian mobile written with the trunk prefix 8 as +7', () => {
    expect(normalizePhone('8 916 123-45-67')).toBe('79161234567');
  });

  it('keeps other numbers that start with 8 as they are', () => {
    expect(normalizePhone('84912345678')).toBe('84912345678'); // Vietnam
    expect(normalizePhone('+89161234567')).toBe('89161234567'); // written with "+": taken as written
  });

  it('refuses what cannot be a phone', () => {
    expect(normalizePhone('12345')).toBeNull();
    expect(normalizePhone('call me')).toBeNull();
    expect(normalizePhone(undefined)).toBeNull();
  });
});

describe('maskPhone', () => {
  it('keeps the country code and the last four digits only', () => {
    expect(maskPhone('+79161234567')).toBe('+7***4567');
    expect(maskPhone('nonsense')).toBe('***');
  });
});
