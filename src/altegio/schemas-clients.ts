/**
 * Altegio's client cards, client search hits, labels and list metadata parsed into neutral types.
 * Tolerant like the other shapes (see `schemas.ts`).
 */
import { z } from 'zod';
import { zBool, zCalendarDate, zId, zNum, zPhone, zStr, zTime } from './coerce.js';

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

/** The contact fields a client card and a record's embedded client both carry. */
export const clientContactShape = { id: zId, name: zStr, display_name: zStr, phone: zPhone, email: zStr };

/** A nameless client is shown by Altegio's `display_name`. */
export function contactOf(c: z.output<z.ZodObject<typeof clientContactShape>>) {
  return { id: c.id, name: c.name || c.display_name, phone: c.phone, email: c.email };
}

export const ClientSchema = z
  .object({
    ...clientContactShape,
    surname: zStr,
    birth_date: zCalendarDate,
    birthday: zCalendarDate,
    categories: z.array(z.object({ id: zId, title: zStr, color: zStr })).catch([]),
    sms_check: zBool(),
    sms_not: zBool(),
    last_change_date: zTime,
  })
  .transform(
    (c): ClientCard => ({
      ...contactOf(c),
      surname: c.surname,
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
