/**
 * Response shapes of the Altegio endpoints the bot uses, each parsed into a neutral camelCase
 * type. Tolerant by design (see `coerce.ts`): extra fields are dropped, odd encodings coerced,
 * cosmetic fields defaulted. Only what would break the bot is rejected — a missing `id`, a record
 * without any time — and the client turns that into an `AltegioParseError` naming the path.
 */
import { z } from 'zod';
import {
  type Attendance,
  emptyToNull,
  isoFromMs,
  parseAltegioTime,
  toCalendarDate,
  wallClockOf,
  zAttendance,
  zBool,
  zCalendarDate,
  zId,
  zNum,
  zOptionalId,
  zPhone,
  zStr,
  zStrOrNull,
  zTime,
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
  /** Name in the online widget; `''` when Altegio has none. */
  bookingTitle: string;
  categoryId: number | null;
  priceMin: number;
  priceMax: number;
  /** Default length in seconds. */
  duration: number;
  /** `service_type == 1`: bookable online. Offline services are never offered for booking. */
  online: boolean;
  active: boolean;
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
    // Missing service_type: assume bookable; `active` missing: assume active.
    service_type: zNum(1),
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
      online: s.service_type === 1,
      active: s.active,
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
      online: true,
      active: s.active,
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

export const StaffSchema = z
  .object({
    id: zId,
    name: zStr,
    specialization: zStr,
    position: zPosition,
    avatar: zStr,
    weight: zNum(0),
    rating: zNum(0),
    hidden: zBool(),
    fired: zBool(),
    status: zNum(0),
  })
  .transform(
    (s): AltegioStaff => ({
      id: s.id,
      name: s.name,
      specialization: s.specialization,
      position: s.position,
      avatar: s.avatar,
      weight: s.weight,
      rating: s.rating,
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
    id: zId,
    name: zStr,
    specialization: zStr,
    position: zPosition,
    avatar: zStr,
    rating: zNum(0),
    weight: zNum(0),
    bookable: zBool(true),
    seance_date: zCalendarDate,
  })
  .transform(
    (s): BookStaff => ({
      id: s.id,
      name: s.name,
      specialization: s.specialization,
      position: s.position,
      avatar: s.avatar,
      rating: s.rating,
      weight: s.weight,
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

// ---------------------------------------------------------------- records

/** The client attached to a record. */
export interface RecordClient {
  id: number;
  name: string;
  /** Digits with country code (see `normalizePhone`), or `null` when absent/unreadable. */
  phone: string | null;
  email: string;
  /** `YYYY-MM-DD` or `null`. */
  birthday: string | null;
  /** Client categories (labels) the record's client carries, when the payload includes them. */
  categoryIds: number[];
}

/** A record (appointment), from the REST API or a webhook. */
export interface AltegioRecord {
  id: number;
  companyId: number;
  staffId: number;
  staff: { id: number; name: string; specialization: string } | null;
  services: Array<{
    id: number;
    title: string;
    cost: number;
    firstCost: number;
    discount: number;
    amount: number;
  }>;
  /** `null` for a slot without a client. */
  client: RecordClient | null;
  /** ISO 8601 as Altegio sent it (offset kept). */
  datetime: string;
  /** Start as ms epoch (`null` only if Altegio sent no usable datetime). */
  startsAt: number | null;
  /** Salon-local wall clock `YYYY-MM-DD HH:MM:SS`. */
  date: string;
  /** Seconds. */
  seanceLength: number;
  attendance: Attendance;
  visitAttendance: Attendance;
  confirmed: boolean;
  deleted: boolean;
  /**
   * Paid: `prepaid_confirmed` (the online payment went through) or `paid_full === 1`. Altegio's
   * `prepaid` only says online payment is *available* (get_appointment_list), so it is not read here.
   */
  paid: boolean;
  /** ms epoch. */
  createDate: number | null;
  /** ms epoch. */
  lastChangeDate: number | null;
  comment: string;
  /** Hex without `#`, `''` = default colour. */
  customColor: string;
  visitId: number | null;
  online: boolean;
  apiId: string | null;
  labelIds: number[];
  shortLink: string | null;
}

export const RecordClientSchema = z
  .preprocess(
    emptyToNull,
    z
      .object({
        id: zId,
        name: zStr,
        display_name: zStr,
        phone: zPhone,
        email: zStr,
        birthday: zCalendarDate,
        // Webhooks carry `client_tags`, the client resource `categories`; both are {id, title}.
        client_tags: z
          .array(z.object({ id: zId }).loose())
          .catch([])
          .optional(),
        categories: z
          .array(z.object({ id: zId }).loose())
          .catch([])
          .optional(),
      })
      .transform(
        (c): RecordClient => ({
          id: c.id,
          name: c.name || c.display_name,
          phone: c.phone,
          email: c.email,
          birthday: c.birthday,
          categoryIds: [...(c.client_tags ?? []), ...(c.categories ?? [])].map((tag) => tag.id),
        }),
      )
      .nullable(),
  )
  .catch(null); // an unreadable client must not cost us the record; callers re-read it when it matters

const RecordStaffSchema = z
  .preprocess(emptyToNull, z.object({ id: zId, name: zStr, specialization: zStr }).nullable())
  .catch(null);

const RecordServiceSchema = z
  .object({
    id: zId,
    title: zStr,
    cost: zNum(0),
    first_cost: zNum(0),
    discount: zNum(0),
    amount: zNum(1),
  })
  .transform((s) => ({
    id: s.id,
    title: s.title,
    cost: s.cost,
    firstCost: s.first_cost,
    discount: s.discount,
    amount: s.amount,
  }));

const zLabelIds = z
  .array(z.unknown())
  .catch([])
  .transform((labels) =>
    labels
      .map((l) => Number(typeof l === 'object' && l !== null ? (l as { id?: unknown }).id : l))
      .filter((n) => Number.isInteger(n) && n > 0),
  );

export const RecordSchema = z
  .object({
    id: zId,
    company_id: zNum(0),
    staff_id: zNum(0),
    staff: RecordStaffSchema,
    services: z.array(RecordServiceSchema).catch([]),
    client: RecordClientSchema,
    datetime: z.union([z.string(), z.number()]).nullish(),
    date: zStr,
    seance_length: zNum(0),
    length: zNum(0),
    attendance: zAttendance,
    visit_attendance: zAttendance,
    confirmed: zBool(true),
    deleted: zBool(),
    prepaid_confirmed: zBool(),
    paid_full: zNum(0),
    create_date: zTime,
    last_change_date: zTime,
    comment: zStr,
    custom_color: zStr,
    visit_id: zOptionalId,
    online: zBool(),
    api_id: zStrOrNull,
    record_labels: zLabelIds,
    short_link: zStrOrNull,
  })
  .superRefine((r, ctx) => {
    const hasDatetime = parseAltegioTime(r.datetime) !== null;
    if (!hasDatetime && wallClockOf(r.date) === null) {
      ctx.addIssue({ code: 'custom', message: 'record has neither datetime nor date', path: ['datetime'] });
    }
  })
  .transform((r): AltegioRecord => {
    const startsAt = parseAltegioTime(r.datetime);
    const datetime =
      typeof r.datetime === 'string' && r.datetime !== ''
        ? r.datetime
        : startsAt !== null
          ? isoFromMs(startsAt)
          : r.date.replace(' ', 'T');
    return {
      id: r.id,
      companyId: r.company_id,
      staffId: r.staff_id || r.staff?.id || 0,
      staff: r.staff,
      services: r.services,
      client: r.client,
      datetime,
      startsAt: startsAt ?? parseAltegioTime(r.date),
      date: wallClockOf(r.date) ?? (typeof r.datetime === 'string' ? (wallClockOf(r.datetime) ?? '') : ''),
      seanceLength: r.seance_length || r.length,
      attendance: r.attendance,
      visitAttendance: r.visit_attendance,
      confirmed: r.confirmed,
      deleted: r.deleted,
      paid: r.prepaid_confirmed || r.paid_full === 1,
      createDate: r.create_date,
      lastChangeDate: r.last_change_date,
      comment: r.comment,
      customColor: r.custom_color.replace(/^#/, ''),
      visitId: r.visit_id,
      online: r.online,
      apiId: r.api_id,
      labelIds: r.record_labels,
      shortLink: r.short_link,
    };
  });

/**
 * The fields of a raw record that a full-state `PUT /record` sends back (update_appointment: "not a
 * partial update"; `staff_id, services, client, datetime, seance_length` required, 422 otherwise).
 * Only what that body documents is read, so nothing undocumented can be echoed back.
 */
export const RecordWriteSourceSchema = z.object({
  staff_id: zNum(0),
  services: z.array(z.object({ id: zId, first_cost: zNum(0), discount: zNum(0), cost: zNum(0) })).catch([]),
  client: z
    .preprocess(emptyToNull, z.object({ phone: z.unknown(), name: zStr, email: zStr }).nullable())
    .catch(null),
  datetime: z.union([z.string(), z.number()]).nullish(),
  date: zStr,
  seance_length: zNum(0),
  length: zNum(0),
  attendance: zAttendance,
  comment: zStr,
  custom_color: zStr,
  api_id: zStrOrNull,
  record_labels: zLabelIds,
  // Nullable in get_appointment_list; sent back only when set.
  sms_remain_hours: zNum(-1).transform((v) => (v < 0 ? null : v)),
  email_remain_hours: zNum(-1).transform((v) => (v < 0 ? null : v)),
  // Documented edit restrictions (update_appointment): awaiting online payment, paid in full, arrived.
  prepaid: zBool(),
  prepaid_confirmed: zBool(),
  paid_full: zNum(0),
  visit_id: zOptionalId,
});

/** Raw state of a record as needed to build a PUT body. */
export type RecordWriteSource = z.output<typeof RecordWriteSourceSchema>;

// ---------------------------------------------------------------- clients

/** A client card (`GET /client/{cid}/{id}`, client webhooks). */
export interface ClientCard {
  id: number;
  name: string;
  surname: string;
  phone: string | null;
  email: string;
  /** `YYYY-MM-DD`, or `null` when unknown. */
  birthDate: string | null;
  categories: Array<{ id: number; title: string; color: string }>;
  /** `sms_check`: the salon congratulates this client on birthdays. */
  birthdayGreetings: boolean;
  /** `sms_not`: excluded from mailings. */
  noMailings: boolean;
  lastChangeDate: number | null;
}

export const ClientSchema = z
  .object({
    id: zId,
    name: zStr,
    surname: zStr,
    display_name: zStr,
    phone: zPhone,
    email: zStr,
    birth_date: zCalendarDate,
    birthday: zCalendarDate,
    categories: z.array(z.object({ id: zId, title: zStr, color: zStr })).catch([]),
    sms_check: zBool(),
    sms_not: zBool(),
    last_change_date: zTime,
  })
  .transform(
    (c): ClientCard => ({
      id: c.id,
      name: c.name || c.display_name,
      surname: c.surname,
      phone: c.phone,
      email: c.email,
      birthDate: c.birth_date ?? c.birthday,
      categories: c.categories,
      birthdayGreetings: c.sms_check,
      noMailings: c.sms_not,
      lastChangeDate: c.last_change_date,
    }),
  );

/**
 * A client search hit: only the requested `fields` are present. get_client_list cannot return
 * birth date or categories; read the client card (`ClientCard`) for those.
 */
export interface ClientSummary {
  id: number;
  name: string;
  phone: string | null;
  email: string;
}

export const ClientSummarySchema = z
  .object({ id: zId, name: zStr, phone: zPhone, email: zStr })
  .transform((c): ClientSummary => ({ id: c.id, name: c.name, phone: c.phone, email: c.email }));

/** A label ("client category" when `entity` is 1). */
export interface Label {
  id: number;
  title: string;
  /** As Altegio sends it, usually `#RRGGBB`. */
  color: string;
  entity: number;
  deleted: boolean;
}

export const LabelSchema = z
  .object({ id: zId, title: zStr, color: zStr, entity: zNum(1), deleted: zBool() })
  .transform(
    (l): Label => ({ id: l.id, title: l.title, color: l.color, entity: l.entity, deleted: l.deleted }),
  );

/** Pagination info from `meta`; absent or odd meta reads as "unknown total". */
export const PageMetaSchema = z
  .object({ total_count: zNum(Number.NaN), page: zNum(Number.NaN) })
  .catch({ total_count: Number.NaN, page: Number.NaN });
