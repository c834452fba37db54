/**
 * The Altegio records mirror on Postgres; the semantics are those of `../records.ts`.
 *
 * @module
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Now } from '../db.js';
import type { RecordsPort } from '../ports.js';
import type { PgContext, PgExecutor } from './db.js';
import { records } from './schema.js';

/** Creates the records mirror repository. */
export function createPgRecords(ctx: PgContext, now: Now = Date.now): RecordsPort {
  const get = async (db: PgExecutor, companyId: number, recordId: number) => {
    const [row] = await db
      .select()
      .from(records)
      .where(and(eq(records.companyId, companyId), eq(records.recordId, recordId)));
    return row;
  };

  return {
    async upsert(record) {
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
      return ctx.transaction(async () => {
        const db = ctx.db();
        // `previous` must be what this write replaced. SQLite serialises writers; here two webhooks
        // of one record (two processes) could both read "no row yet", so they take turns on a
        // transaction-scoped lock of the record (a row lock cannot cover a row not yet inserted).
        await db.execute(
          sql`SELECT pg_advisory_xact_lock(hashtextextended(${`records:${record.companyId}:${record.recordId}`}, 0))`,
        );
        const previous = await get(db, record.companyId, record.recordId);
        const [written] = await db
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
            // The arbiter: strictly newer, or same second with other content (jsonb compares by
            // value, so a replay whose keys come in another order is the same content).
            setWhere: sql`excluded.last_change_at > ${records.lastChangeAt}
              OR (excluded.last_change_at = ${records.lastChangeAt} AND excluded.data <> ${records.data})`,
          })
          .returning();
        if (written) return { changed: true, previous, current: written };
        // Nothing written means a row existed and won; it is what the mirror still holds.
        if (!previous) throw new Error(`record ${record.recordId}: upsert wrote nothing and found nothing`);
        return { changed: false, previous, current: previous };
      });
    },

    get: (companyId, recordId) => get(ctx.db(), companyId, recordId),

    withClientBirthday(monthDay) {
      return ctx
        .db()
        .select()
        .from(records)
        .where(
          sql`${records.clientPhone} IS NOT NULL AND substr(${records.data} -> 'client' ->> 'birthday', 6, 5) = ${monthDay}`,
        );
    },

    byClientPhone(phone) {
      // COLLATE "C": ISO datetimes sort by their characters, as on SQLite, whatever the database's collation.
      return ctx
        .db()
        .select()
        .from(records)
        .where(eq(records.clientPhone, phone))
        .orderBy(sql`${records.datetime} COLLATE "C"`, asc(records.recordId));
    },
  };
}
