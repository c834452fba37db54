/**
 * Response shapes of the Altegio endpoints the bot uses, each parsed into a neutral camelCase
 * type. Tolerant by design (see `coerce.ts`): extra fields are dropped, odd encodings coerced,
 * cosmetic fields defaulted. Only what would break the bot is rejected — a missing `id`, a record
 * without any time — and the client turns that into an `AltegioParseError` naming the path.
 */
import { z } from 'zod';
import {
  emptyToNull,
  parseAltegioTime,
  toCalendarDate,
  zBool,
  zCalendarDate,
  zId,
  zNum,
  zOptionalId,
  zStr,
  zStrOrNull,
} from './coerce.js';

export type { Attendance } from './coerce.js';

/** `{id, title}` or PHP's `[]` for "no position". */
const zPosition = z.preprocess(emptyToNull, z.object({ id: zNum(0), title: zStr }).nullable()).catch(null);

// ---------------------------------------------------------------- company

/** A branch ("location"); `timezoneName` drives all local-time maths. */
export interface Company {
  id: number;
  title: string;
  publicTitle: string;
  /** IANA zone, e.g. `Europe/Moscow`; `null` if Altegio omitted it (fall back to settings). */
  timezoneName: string | null;
  /** Legacy zone value; unreliable, only a fallback. */
  timezone: number | string | null;
  address: string;
  city: string;
  phone: string;
  active: boolean;
  allowDeleteRecord: boolean;
  /** Seconds before the visit after which the client may no longer cancel online. */
  allowDeleteRecordDelayStep: number;
  allowChangeRecord: boolean;
  allowChangeRecordDelayStep: number;
  bookforms: Array<{ id: number; title: string; isDefault: boolean; url: string }>;
}

export const CompanySchema = z
  .object({
    id: zId,
    title: zStr,
    public_title: zStr,
    timezone_name: zStrOrNull,
    timezone: z.union([z.number(), z.string()]).nullish().catch(null),
    address: zStr,
    city: zStr,
    phone: zStr,
    active: zBool(true),
    allow_delete_record: zBool(true),
    allow_delete_record_delay_step: zNum(0),
    allow_change_record: zBool(true),
    allow_change_record_delay_step: zNum(0),
    bookforms: z.array(z.object({ id: zNum(0), title: zStr, is_default: zBool(), url: zStr })).catch([]),
  })
  .transform(
    (c): Company => ({
      id: c.id,
      title: c.title,
      publicTitle: c.public_title || c.title,
      timezoneName: c.timezone_name,
      timezone: c.timezone ?? null,
      address: c.address,
      city: c.city,
      phone: c.phone,
      active: c.active,
      allowDeleteRecord: c.allow_delete_record,
      allowDeleteRecordDelayStep: c.allow_delete_record_delay_step,
      allowChangeRecord: c.allow_change_record,
      allowChangeRecordDelayStep: c.allow_change_record_delay_step,
      bookforms: c.bookforms.map((b) => ({ id: b.id, title: b.title, isDefault: b.is_default, url: b.url })),
    }),
  );

// ---------------------------------------------------------------- services

/** A service as the bot offers it, whatever endpoint it came from. */
export interface AltegioService {
  id: number;
  /** The name to show: `title`, or `bookingTitle` when widget names are wanted (see client). */
  name: string;
  title: string;
  /**
   * Name in the online widget, when Altegio sends `booking_title` (not in the services list's
   * documented schema); `''` otherwise, and then `title` is shown.
   */
  bookingTitle: string;
  categoryId: number | null;
  priceMin: number;
  priceMax: number;
  /** Default length in seconds. */
  duration: number;
  /**
   * Bookable online: `active` 1, documented as "available for online booking" (get_service).
   * `service_type` is not in the documented list schema and is not read.
   */
  online: boolean;
  weight: number;
  /** Masters who perform it, with their own length in seconds. */
  staff: Array<{ id: number; seanceLength: number }>;
}

/** B2B `GET /company/{cid}/services` item. */
export const ServiceSchema = z
  .object({
    id: zId,
    title: zStr,
    booking_title: zStr,
    category_id: zOptionalId,
    price_min: zNum(0),
    price_max: zNum(0),
    duration: zNum(3600),
    // get_service documents `active` as "1 - available for online booking"; missing: assume bookable.
    active: zBool(true),
    weight: zNum(0),
    staff: z.array(z.object({ id: zId, seance_length: zNum(0) })).catch([]),
  })
  .transform(
    (s): AltegioService => ({
      id: s.id,
      name: s.title,
      title: s.title,
      bookingTitle: s.booking_title,
      categoryId: s.category_id,
      priceMin: s.price_min,
      priceMax: s.price_max,
      duration: s.duration,
      online: s.active,
      weight: s.weight,
      staff: s.staff.map((m) => ({ id: m.id, seanceLength: m.seance_length })),
    }),
  );

/** A service category (`/company/{cid}/service_categories`, `book_services.category`). */
export interface ServiceCategory {
  id: number;
  title: string;
  weight: number;
}

export const ServiceCategorySchema = z
  .object({ id: zId, title: zStr, weight: zNum(0) })
  .transform((c): ServiceCategory => ({ id: c.id, title: c.title, weight: c.weight }));

/** `GET /book_services/{cid}` — online-bookable services only. */
export interface BookServices {
  services: AltegioService[];
  categories: ServiceCategory[];
}

const BookServiceSchema = z
  .object({
    id: zId,
    title: zStr,
    category_id: zOptionalId,
    price_min: zNum(0),
    price_max: zNum(0),
    seance_length: zNum(0),
    weight: zNum(0),
    active: zBool(true),
  })
  .transform(
    (s): AltegioService => ({
      id: s.id,
      name: s.title,
      title: s.title,
      bookingTitle: s.title,
      categoryId: s.category_id,
      priceMin: s.price_min,
      priceMax: s.price_max,
      duration: s.seance_length,
      // book_services lists only what can be booked online.
      online: s.active,
      weight: s.weight,
      staff: [],
    }),
  );

export const BookServicesSchema = z
  .object({
    services: z.array(BookServiceSchema).catch([]),
    // The field table says `categories`, every sample says `category`.
    category: z.array(ServiceCategorySchema).optional(),
    categories: z.array(ServiceCategorySchema).optional(),
  })
  .transform((d): BookServices => ({ services: d.services, categories: d.category ?? d.categories ?? [] }));

// ---------------------------------------------------------------- staff

/** A master (team member). */
export interface AltegioStaff {
  id: number;
  name: string;
  specialization: string;
  position: { id: number; title: string } | null;
  avatar: string;
  weight: number;
  rating: number;
  /** Hidden from online booking. */
  hidden: boolean;
  fired: boolean;
  /** `status == 1`: deleted in Altegio. */
  deleted: boolean;
}

/** What a master is, both as the salon (`/company/{cid}/staff`) and as the widget (`/book_staff`) sees them. */
const staffShape = {
  id: zId,
  name: zStr,
  specialization: zStr,
  position: zPosition,
  avatar: zStr,
  weight: zNum(0),
  rating: zNum(0),
};

/** The master fields both staff views share. */
function masterOf(s: z.output<z.ZodObject<typeof staffShape>>) {
  const { id, name, specialization, position, avatar, weight, rating } = s;
  return { id, name, specialization, position, avatar, weight, rating };
}

export const StaffSchema = z
  .object({
    ...staffShape,
    hidden: zBool(),
    fired: zBool(),
    status: zNum(0),
  })
  .transform(
    (s): AltegioStaff => ({
      ...masterOf(s),
      hidden: s.hidden,
      fired: s.fired,
      deleted: s.status === 1,
    }),
  );

/** `GET /book_staff/{cid}` item: a master as the online widget sees them. */
export interface BookStaff {
  id: number;
  name: string;
  specialization: string;
  position: { id: number; title: string } | null;
  avatar: string;
  rating: number;
  weight: number;
  /** Has free slots for the requested services/time. */
  bookable: boolean;
  /** Next bookable day `YYYY-MM-DD`, if any. */
  seanceDate: string | null;
}

export const BookStaffSchema = z
  .object({
    ...staffShape,
    bookable: zBool(true),
    seance_date: zCalendarDate,
  })
  .transform(
    (s): BookStaff => ({
      ...masterOf(s),
      bookable: s.bookable,
      seanceDate: s.seance_date,
    }),
  );

// ---------------------------------------------------------------- online booking

/** `GET /book_dates/{cid}`: days with at least one free slot (and working days). */
export interface BookDates {
  bookingDates: string[];
  workingDates: string[];
}

const zDateList = z
  .array(z.unknown())
  .catch([])
  .transform((list) => list.map(toCalendarDate).filter((d): d is string => d !== null));

export const BookDatesSchema = z
  .object({ booking_dates: zDateList, working_dates: zDateList })
  .transform((d): BookDates => ({ bookingDates: d.booking_dates, workingDates: d.working_dates }));

/** `GET /book_times/...` item. */
export interface BookTime {
  /** `HH:MM`, salon-local. */
  time: string;
  /** Seconds. */
  seanceLength: number;
  /** Seconds, total of the chosen services. */
  sumLength: number;
  /** Pass back unchanged in book_check/book_record (may be a unix number in old accounts). */
  datetime: string | number;
  /** The same instant as ms epoch, for sorting and display. */
  startsAt: number;
}

export const BookTimeSchema = z
  .object({
    time: zStr,
    seance_length: zNum(0),
    sum_length: zNum(0),
    datetime: z.union([z.string().min(1), z.number()]),
  })
  .refine((t) => parseAltegioTime(t.datetime) !== null, {
    message: 'unreadable datetime',
    path: ['datetime'],
  })
  .transform(
    (t): BookTime => ({
      time: t.time,
      seanceLength: t.seance_length,
      sumLength: t.sum_length,
      datetime: t.datetime,
      startsAt: parseAltegioTime(t.datetime) ?? 0,
    }),
  );

/** One item of the `book_record` answer: our correlation id and Altegio's record. */
export interface BookedRecord {
  /** The `appointments[].id` we sent. */
  id: number;
  recordId: number;
  /** Authorises view/cancel without a user token; `null` when recovered by lookup. */
  recordHash: string | null;
}

export const BookedRecordSchema = z
  .object({ id: zNum(0), record_id: zId, record_hash: zStrOrNull })
  .transform((r): BookedRecord => ({ id: r.id, recordId: r.record_id, recordHash: r.record_hash }));

export * from './schemas-clients.js';
export * from './schemas-records.js';
