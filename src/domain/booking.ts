/**
 * The booking dialogue's view of the salon: plain data the runtime fetches from Altegio and hands to
 * the booking machine through its invoked actors, plus the pure rules the machine applies to what a
 * client types. Nothing here performs I/O, so `machines/` may import it.
 *
 * @module
 */

/** A branch (Altegio company) a client can book in. */
export interface Branch {
  /** Altegio `company_id`. */
  id: number;
  title: string;
  /** Shown in the success message; may be empty when the salon never filled it in. */
  address: string;
  /** IANA zone of the branch; slot datetimes already carry its offset. */
  timezone: string;
}

/** A bookable service of one branch (offline services are filtered out by the runtime). */
export interface Service {
  id: number;
  name: string;
  categoryName?: string;
  durationSeconds?: number;
  priceMin?: number;
  priceMax?: number;
}

/** A staff member who can perform the chosen service. */
export interface Staff {
  id: number;
  name: string;
  specialization?: string;
}

/** One free start time on a day. */
export interface TimeSlot {
  /** Local wall-clock time in the branch, `HH:MM`. */
  time: string;
  /** ISO 8601 with the branch's offset, e.g. `2026-05-01T14:00:00+03:00`: sent back as is to book. */
  datetime: string;
}

/** Staff id meaning "any free specialist" in Altegio's `book_record`. */
export const ANY_STAFF_ID = 0;

/** Everything `book_record` needs for one visit. */
export interface BookingRequest {
  companyId: number;
  serviceIds: number[];
  /** {@link ANY_STAFF_ID} lets Altegio pick a free specialist. */
  staffId: number;
  /** The chosen slot's {@link TimeSlot.datetime}. */
  datetime: string;
  /** Digits with country code, no `+`. */
  phone: string;
  fullname: string;
  /**
   * Stable for one confirmation of one request: a promise actor in flight when a snapshot was
   * taken runs again after a restore, so the runtime must look this key up before writing again.
   */
  idempotencyKey: string;
}

/** What Altegio answered to a successful `book_record`. */
export interface BookingResult {
  recordId: number;
  /** The specialist actually assigned; matters when the client chose "any". */
  staffName?: string;
  /** ISO 8601 with offset. */
  datetime: string;
}

/**
 * Why `createBooking` failed. The runtime rejects the actor's promise with such a plain object:
 * Altegio 433 → `slot-taken`; network errors and 5xx → `unavailable`; any other 4xx → `rejected`.
 * Anything else the promise rejects with is treated as `unavailable`.
 */
export interface BookingFailure {
  kind: 'slot-taken' | 'unavailable' | 'rejected';
  /** Diagnostic text for logs; never shown to clients (it may be in another language or leak internals). */
  message?: string;
}

/** Narrows an actor's rejection reason to a {@link BookingFailure}. */
export function isBookingFailure(value: unknown): value is BookingFailure {
  if (typeof value !== 'object' || value === null || !('kind' in value)) return false;
  const { kind } = value;
  return kind === 'slot-taken' || kind === 'unavailable' || kind === 'rejected';
}

/**
 * Used as the Altegio client name when the salon does not ask for a full name and the runtime
 * could not give one (the runtime should pass the Telegram name or a translated phrase instead).
 */
export const DEFAULT_CLIENT_NAME = 'Telegram client';

/** A letter first and last, letters, hyphens and apostrophes between: "Anna", "Rimsky-Korsakov", "O'Neil". */
const NAME_WORD = /^\p{L}[\p{L}\p{M}'’-]*\p{L}$/u;

/**
 * Validates a typed full name (last, first and optionally middle name in one message) and returns
 * it with whitespace tidied, or `null` when it does not look like 2–3 words of at least two letters.
 * Salons ask for the full name to match clients in their records, so initials are refused.
 */
export function parseFullName(raw: string): string | null {
  const words = raw.trim().split(/\s+/u);
  if (words.length < 2 || words.length > 3) return null;
  return words.every((word) => NAME_WORD.test(word)) ? words.join(' ') : null;
}

/**
 * The branch-local calendar day and wall-clock time of an ISO datetime with offset, read from the
 * string itself (converting through `Date` would shift it into the process's zone).
 */
export function localDateTime(iso: string): { date: string; time: string } | null {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(iso);
  if (!match?.[1] || !match[2]) return null;
  return { date: match[1], time: match[2] };
}

// === What the booking machine asks the runtime for

/** Input of `loadServices`. */
export interface ServicesQuery {
  companyId: number;
}

/** Input of `loadStaff`: who can perform these services. */
export interface StaffQuery {
  companyId: number;
  serviceIds: number[];
}

/** Input of `loadDates`; {@link ANY_STAFF_ID} means any specialist. */
export interface DatesQuery {
  companyId: number;
  serviceIds: number[];
  staffId: number;
}

/** Input of `loadTimes`: free start times on one branch-local day. */
export interface TimesQuery extends DatesQuery {
  /** `YYYY-MM-DD`, one of the days `loadDates` returned. */
  date: string;
}

/**
 * The Altegio calls the booking dialogue needs, as the runtime implements them. Each may reject:
 * a load failure is shown as "try again later" with Retry, `createBooking` should reject with a
 * {@link BookingFailure}. The signal fires when the client leaves the step or the actor stops.
 */
export interface BookingPort {
  loadBranches(signal: AbortSignal): Promise<Branch[]>;
  loadServices(query: ServicesQuery, signal: AbortSignal): Promise<Service[]>;
  loadStaff(query: StaffQuery, signal: AbortSignal): Promise<Staff[]>;
  /** Days (`YYYY-MM-DD`, branch-local, from today on) that have at least one free slot. */
  loadDates(query: DatesQuery, signal: AbortSignal): Promise<string[]>;
  loadTimes(query: TimesQuery, signal: AbortSignal): Promise<TimeSlot[]>;
  createBooking(request: BookingRequest, signal: AbortSignal): Promise<BookingResult>;
}
