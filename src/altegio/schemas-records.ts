/**
 * Altegio's records (`GET /records`, `GET /record`, record webhooks) parsed into neutral types, and
 * the raw record a full-state PUT sends back. Tolerant like the other shapes (see `schemas.ts`).
 */
import { z } from 'zod';
import {
  type Attendance,
  emptyToNull,
  isoFromMs,
  parseAltegioTime,
  wallClockOf,
  zAttendance,
  zBool,
  zCalendarDate,
  zId,
  zNum,
  zOptionalId,
  zStr,
  zStrOrNull,
  zTime,
} from './coerce.js';
import { clientContactShape, contactOf } from './schemas-clients.js';

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
        ...clientContactShape,
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
          ...contactOf(c),
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
