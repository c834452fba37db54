import { maskPhone } from '../../domain/phone.js';

/** How the console writes an instant: UTC, to the minute. */
export const when = (ms: number | string | null): string =>
  ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
export const masked = (phone: string | null): string => (phone ? maskPhone(phone) : '—');
