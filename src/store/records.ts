/**
 * Mirror of Altegio records, kept from webhooks. Webhooks can arrive late and out of order;
 * the mirror only moves forward in Altegio's own `last_change_date`.
 *
 * @module
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { type Db, type Now, transaction } from './db.js';
import { type RecordRow, records } from './schema.js';

/** A record as the notify layer extracted it from a webhook. */
export interface RecordInput {
  companyId: number;
  recordId: number;
  /** Normalised phone, or null when the record has no client. */
  clientPhone: string | null;
  clientId: number | null;
  staffIds: number[];
  /** Visit start, ISO 8601 as Altegio sends it. */
  datetime: string;
  /** Visit length in seconds. */
  seanceLength: number;
  attendance: number;
  deleted: boolean;
  /** Altegio's `last_change_date` (`2026-03-14T15:00:00+0300`): decides which version is newer. */
  lastChangeDate: string;
  /** The full record object. */
  data: Record<string, unknown>;
}

/** Outcome of {@link RecordsRepo.upsert}. */
export interface RecordUpsert {
  /** True when the mirror now holds this version (new, or newer than what it had). */
  changed: boolean;
  /** What the mirror held before; compare it to see what changed (attendance, time, staff). */
  previous: RecordRow | undefined;
  /** What the mirror holds now. */
  current: RecordRow;
}

/** Repository of {@link records}; see {@link createRecords}. */
export interface RecordsRepo {
  /**
   * Stores a record version if it is new or newer than the stored one. A version with an older
   * `last_change_date` changes nothing (`changed: false`): a late webhook must not undo a later
   * change. An equal `last_change_date` with different data counts as newer, because Altegio's
   * dates have one-second resolution and two changes can share one; a byte-identical replay does not.
   *
   * @throws RangeError when `lastChangeDate` is not a date.
   */
  upsert(record: RecordInput): RecordUpsert;
  get(companyId: number, recordId: number): RecordRow | undefined;
  /** Records of a client, by visit time. */
  byClientPhone(phone: string): RecordRow[];
  /**
   * Records whose client was born on this day of the year (`MM-DD`): the clients seen in
   * webhooks, for birthday greetings.
   */
  withClientBirthday(monthDay: string): RecordRow[];
}

/** Creates the records mirror repository. */
export function createRecords(db: Db, now: Now = Date.now): RecordsRepo {
  const get = (companyId: number, recordId: number): RecordRow | undefined =>
    db
      .select()
      .from(records)
      .where(and(eq(records.companyId, companyId), eq(records.recordId, recordId)))
      .get();

  return {
    upsert(record) {
      const lastChangeAt = Date.parse(record.lastChangeDate);
      if (Number.isNaN(lastChangeAt)) {
        throw new RangeError(`record ${record.recordId}: last_change_date is not a date`);
      }
      const row = {
        companyId: record.companyId,
        recordId: record.recordId,
        clientPhone: record.clientPhone,
        clientId: record.clientId,
        staffIds: record.staffIds,
        datetime: record.datetime,
        seanceLength: record.seanceLength,
        attendance: record.attendance,
        deleted: record.deleted,
        lastChangeDate: record.lastChangeDate,
        lastChangeAt,
        data: record.data,
        updatedAt: now(),
      };
      return transaction(db, () => {
        const previous = get(record.companyId, record.recordId);
        const written = db
          .insert(records)
          .values(row)
          .onConflictDoUpdate({
            target: [records.companyId, records.recordId],
            set: {
              clientPhone: sql`excluded.client_phone`,
              clientId: sql`excluded.client_id`,
              staffIds: sql`excluded.staff_ids`,
              datetime: sql`excluded.datetime`,
              seanceLength: sql`excluded.seance_length`,
              attendance: sql`excluded.attendance`,
              deleted: sql`excluded.deleted`,
              lastChangeDate: sql`excluded.last_change_date`,
              lastChangeAt: sql`excluded.last_change_at`,
              data: sql`excluded.data`,
              updatedAt: sql`excluded.updated_at`,
            },
            // The arbiter: strictly newer, or same second with other content.
            setWhere: sql`excluded.last_change_at > ${records.lastChangeAt}
              OR (excluded.last_change_at = ${records.lastChangeAt} AND excluded.data <> ${records.data})`,
          })
          .returning()
          .get();
        if (written) return { changed: true, previous, current: written };
        // Nothing written means a row existed and won; it is what the mirror still holds.
        if (!previous) throw new Error(`record ${record.recordId}: upsert wrote nothing and found nothing`);
        return { changed: false, previous, current: previous };
      });
    },

    get,

    withClientBirthday(monthDay) {
      return db
        .select()
        .from(records)
        .where(
          sql`${records.clientPhone} IS NOT NULL AND substr(json_extract(${records.data}, '$.client.birthday'), 6, 5) = ${monthDay}`,
        )
        .all();
    },

    byClientPhone(phone) {
      return db
        .select()
        .from(records)
        .where(eq(records.clientPhone, phone))
        .orderBy(asc(records.datetime), asc(records.recordId))
        .all();
    },
  };
}
