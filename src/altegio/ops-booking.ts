/**
 * Online booking: what the widget (and our booking dialogue) calls, partner token only.
 *
 * `book_record` must never create two records for one request. It is sent without transport
 * retries; when its answer is lost (network error, timeout, 5xx — Altegio may have created the
 * record anyway) we wait a moment, then look for the record — by client phone, start time and
 * master — among the records of that day. `api_id` is not sent: its length is documented nowhere
 * (the record schema says only "string"), so nothing here depends on it. Found: return it. Not
 * found: it is safe to send again. Unable to look (no rights, lookup failing): throw
 * `AltegioNetworkError` kind `outcome-unknown` rather than guess. A resend answered 433 (the slot
 * is taken — possibly by our own first attempt) is also checked before being reported.
 */
import { z } from 'zod';
import { normalizePhone } from '../domain/phone.js';
import type { Logger } from '../log.js';
import type { AltegioApi, AppointmentInput, BookRecordInput, CallOptions } from './api.js';
import { parseAltegioTime, toCalendarDate } from './coerce.js';
import { AltegioApiError, AltegioNetworkError } from './errors.js';
import { sleep } from './retry.js';
import {
  type AltegioRecord,
  BookDatesSchema,
  type BookedRecord,
  BookedRecordSchema,
  BookServicesSchema,
  BookStaffSchema,
  BookTimeSchema,
} from './schemas.js';
import type { RequestSpec, Transport } from './transport.js';

type BookingOps = Pick<
  AltegioApi,
  'bookServices' | 'bookStaff' | 'bookDates' | 'bookTimes' | 'bookCheck' | 'bookRecord' | 'findBooking'
>;

/** Settings of the safe `book_record` path. */
export interface BookingSafety {
  settleMs: number;
  maxSends: number;
  logger?: Logger;
}

function appointmentBody(a: AppointmentInput): Record<string, unknown> {
  return {
    id: a.id,
    services: a.services,
    staff_id: a.staffId,
    datetime: a.datetime,
    ...(a.customFields ? { custom_fields: a.customFields } : {}),
  };
}

/** Phone as Altegio's samples write it (`+79161234567`); left as typed if it does not normalise. */
function wirePhone(phone: string): string {
  const digits = normalizePhone(phone);
  return digits ? `+${digits}` : phone;
}

/** Failures after which a `book_record` may or may not have been applied. */
function mayHaveLanded(error: unknown): boolean {
  if (error instanceof AltegioNetworkError) return error.kind === 'network' || error.kind === 'timeout';
  return error instanceof AltegioApiError && error.kind === 'server';
}

/**
 * Marks records booked in a chat (record `comment`, a documented string field): the client saw the
 * confirmation there, so the planner sends no "new record" notice for them.
 */
export const BOT_BOOKING_COMMENT = 'Booked in the chat bot';

/** Matches each appointment to an existing record (same client phone, start and master); `null` if any is missing. */
export function matchBooking(
  records: readonly AltegioRecord[],
  input: Pick<BookRecordInput, 'phone' | 'appointments'>,
): BookedRecord[] | null {
  const phone = normalizePhone(input.phone);
  if (phone === null) return null;
  const candidates = records.filter((r) => !r.deleted && r.client?.phone === phone);
  const used = new Set<number>();
  const found: BookedRecord[] = [];
  for (const a of input.appointments) {
    const at = parseAltegioTime(a.datetime);
    const match = candidates.find(
      (r) => !used.has(r.id) && r.startsAt === at && (a.staffId === 0 || r.staffId === a.staffId),
    );
    if (!match) return null;
    used.add(match.id);
    found.push({ id: a.id, recordId: match.id, recordHash: null });
  }
  return found;
}

/** @internal */
export function bookingOps(
  t: Transport,
  records: Pick<AltegioApi, 'listRecords'>,
  safety: BookingSafety,
): BookingOps {
  const online = (
    endpoint: string,
    cid: number,
    extra: Partial<RequestSpec>,
    options?: CallOptions,
  ): RequestSpec => ({
    method: 'GET',
    endpoint,
    params: { cid },
    auth: 'partner',
    retry: 'safe',
    signal: options?.signal,
    ...extra,
  });

  async function run<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<z.output<S>> {
    const answer = await t.request(spec);
    return t.parse(schema, answer.data, spec, answer.status);
  }

  async function findBooking(
    companyId: number,
    input: Pick<BookRecordInput, 'phone' | 'appointments'>,
    options?: CallOptions,
  ): Promise<BookedRecord[] | null> {
    const staffByDay = new Map<string, Set<number>>();
    for (const a of input.appointments) {
      const day = toCalendarDate(a.datetime);
      if (day !== null) staffByDay.set(day, (staffByDay.get(day) ?? new Set()).add(a.staffId));
    }
    const seen: AltegioRecord[] = [];
    for (const [day, staff] of staffByDay) {
      // GET /records takes staff_id (developer.alteg.io, records list): when every visit of the day
      // is with one named master, read only that master's day instead of the whole salon's.
      const only = staff.size === 1 ? [...staff][0] : 0;
      const query = { startDate: day, endDate: day, ...(only ? { staffId: only } : {}) };
      seen.push(...(await records.listRecords(companyId, query, options)));
    }
    return matchBooking(seen, input);
  }

  async function lookupAfterLoss(
    companyId: number,
    input: BookRecordInput,
    lost: unknown,
    options?: CallOptions,
  ): Promise<BookedRecord[] | null> {
    await sleep(safety.settleMs, options?.signal).catch((cause: unknown) => {
      throw new AltegioNetworkError({
        endpoint: '/book_record/{cid}',
        method: 'POST',
        kind: 'aborted',
        cause,
      });
    });
    try {
      return await findBooking(companyId, input, options);
    } catch (cause) {
      safety.logger?.error(
        { companyId, err: String(cause), lost: String(lost) },
        'book_record answer lost and the lookup failed; not resending',
      );
      throw new AltegioNetworkError({
        endpoint: '/book_record/{cid}',
        method: 'POST',
        kind: 'outcome-unknown',
        cause: lost,
        detail: 'the booking may or may not exist; the check for it failed',
      });
    }
  }

  return {
    bookServices(companyId, query = {}, options) {
      const spec = online(
        '/book_services/{cid}',
        companyId,
        { query: { staff_id: query.staffId, datetime: query.datetime, service_ids: query.serviceIds } },
        options,
      );
      return run(spec, BookServicesSchema);
    },

    bookStaff(companyId, query = {}, options) {
      const spec = online(
        '/book_staff/{cid}',
        companyId,
        { query: { service_ids: query.serviceIds, datetime: query.datetime } },
        options,
      );
      return run(spec, z.array(BookStaffSchema));
    },

    bookDates(companyId, query = {}, options) {
      const spec = online(
        '/book_dates/{cid}',
        companyId,
        {
          query: {
            service_ids: query.serviceIds,
            staff_id: query.staffId,
            date: query.month,
            date_from: query.dateFrom,
            date_to: query.dateTo,
          },
        },
        options,
      );
      return run(spec, BookDatesSchema);
    },

    bookTimes(companyId, staffId, date, query = {}, options) {
      const spec = online(
        '/book_times/{cid}/{sid}/{date}',
        companyId,
        { params: { cid: companyId, sid: staffId, date }, query: { service_ids: query.serviceIds } },
        options,
      );
      return run(spec, z.array(BookTimeSchema));
    },

    async bookCheck(companyId, appointments, options) {
      // Validation only, no side effect: safe to retry.
      await t.request(
        online(
          '/book_check/{cid}',
          companyId,
          { method: 'POST', body: { appointments: appointments.map(appointmentBody) } },
          options,
        ),
      );
    },

    async bookRecord(companyId, input, options) {
      const spec = online(
        '/book_record/{cid}',
        companyId,
        {
          method: 'POST',
          retry: 'once',
          body: {
            phone: wirePhone(input.phone),
            fullname: input.fullname,
            email: input.email ?? '',
            appointments: input.appointments.map(appointmentBody),
            ...(input.comment !== undefined ? { comment: input.comment } : {}),
            ...(input.code !== undefined ? { code: input.code } : {}),
            ...(input.notifyBySms !== undefined ? { notify_by_sms: input.notifyBySms } : {}),
            ...(input.notifyByEmail !== undefined ? { notify_by_email: input.notifyByEmail } : {}),
          },
        },
        options,
      );
      let lostBefore = false;
      for (let send = 1; ; send++) {
        try {
          return await run(spec, z.array(BookedRecordSchema));
        } catch (error) {
          // After a lost answer, "slot taken" may mean "taken by us": look before reporting it.
          const takenByUs = lostBefore && error instanceof AltegioApiError && error.isSlotUnavailable;
          if (!mayHaveLanded(error) && !takenByUs) throw error;
          lostBefore = true;
          const found = await lookupAfterLoss(companyId, input, error, options);
          if (found) {
            safety.logger?.warn(
              { companyId, send },
              'book_record answer lost; found the record, not resending',
            );
            return found;
          }
          if (takenByUs || send >= safety.maxSends) throw error;
          safety.logger?.warn({ companyId, send }, 'book_record answer lost; no record found, sending again');
        }
      }
    },

    findBooking,
  };
}
