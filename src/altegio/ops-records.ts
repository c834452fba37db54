/**
 * Records (appointments), B2B. Writes follow Altegio's PUT (update_appointment, a full
 * replacement): read the record, change fields, PUT the documented body back — and skip the PUT
 * when the record already is in the wanted state, so a step that runs twice after a restart
 * writes once. Attendance falls back to `PUT /visits/{visit_id}/{record_id}` (update_visit) where
 * the record PUT is refused or may be.
 */
import { z } from 'zod';
import type { AltegioApi, RecordChanges, RecordQuery } from './api.js';
import { isoFromMs } from './coerce.js';
import { AltegioApiError } from './errors.js';
import { collect, requestPages } from './paging.js';
import {
  type AltegioRecord,
  type Attendance,
  RecordSchema,
  type RecordWriteSource,
  RecordWriteSourceSchema,
} from './schemas.js';
import type { RequestSpec, Transport } from './transport.js';

type RecordOps = Pick<
  AltegioApi,
  | 'iterateRecords'
  | 'iterateRecordsWithRaw'
  | 'listRecords'
  | 'getRecord'
  | 'updateRecord'
  | 'deleteRecord'
  | 'setAttendance'
  | 'setRecordColor'
>;

function instant(value: Date | number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return isoFromMs(typeof value === 'number' ? value : value.getTime());
}

/** `#F44336` → `f44336`; rejects anything that is not 6 hex digits (or `''` for "default"). */
export function normalizeColor(hex: string): string {
  const value = hex.trim().replace(/^#/, '').toLowerCase();
  if (value !== '' && !/^[0-9a-f]{6}$/.test(value)) throw new Error(`not a hex colour: ${hex}`);
  return value;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

/** True when `record` already carries every change (nothing to write). */
export function hasChanges(record: AltegioRecord, changes: RecordChanges): boolean {
  if (changes.attendance !== undefined && record.attendance !== changes.attendance) return true;
  if (
    changes.customColor !== undefined &&
    record.customColor.toLowerCase() !== normalizeColor(changes.customColor)
  )
    return true;
  if (changes.comment !== undefined && record.comment !== changes.comment) return true;
  if (changes.datetime !== undefined && record.datetime !== changes.datetime) return true;
  if (changes.staffId !== undefined && record.staffId !== changes.staffId) return true;
  if (changes.seanceLength !== undefined && record.seanceLength !== changes.seanceLength) return true;
  if (changes.labelIds !== undefined && !sameIds(record.labelIds, changes.labelIds)) return true;
  return false;
}

/**
 * The full-state PUT body (update_appointment): the record as read, with `changes` applied, and
 * only the documented keys — `client` is `{phone, name, email}`, `services[]` is `{id, cost,
 * discount, first_cost}`; Altegio answers 422 for extra keys such as `client.id` or `amount`.
 * Throws when the record has no client: the body requires one and inventing one would create it.
 */
export function recordPutBody(source: RecordWriteSource, changes: RecordChanges): Record<string, unknown> {
  const client = source.client;
  if (!client) throw new Error("the record has no client; Altegio's full PUT requires one");
  const phone = client.phone;
  return {
    staff_id: changes.staffId ?? source.staff_id,
    services: source.services.map((s) => ({
      id: s.id,
      cost: s.cost,
      discount: s.discount,
      first_cost: s.first_cost,
    })),
    client: {
      phone: typeof phone === 'number' ? String(phone) : typeof phone === 'string' ? phone : '',
      name: client.name,
      email: client.email,
    },
    datetime: changes.datetime ?? source.datetime ?? source.date,
    seance_length: changes.seanceLength ?? (source.seance_length || source.length),
    attendance: changes.attendance ?? source.attendance,
    comment: changes.comment ?? source.comment,
    custom_color:
      changes.customColor !== undefined ? normalizeColor(changes.customColor) : source.custom_color,
    // update_appointment: "Array of post category IDs", items typed string.
    record_labels: (changes.labelIds ?? source.record_labels).map(String),
    ...(source.sms_remain_hours != null ? { sms_remain_hours: source.sms_remain_hours } : {}),
    ...(source.email_remain_hours != null ? { email_remain_hours: source.email_remain_hours } : {}),
    ...(source.api_id ? { api_id: source.api_id } : {}),
  };
}

/**
 * The documented states in which Altegio may refuse a record PUT (update_appointment, "Editing
 * restrictions"): awaiting online payment, paid in full, or the client has arrived.
 */
export function editMayBeRefused(source: RecordWriteSource): boolean {
  const awaitingPayment = source.prepaid && !source.prepaid_confirmed;
  return awaitingPayment || source.paid_full === 1 || source.attendance === 1;
}

/** A refusal of the record PUT itself (not a lost answer, not a rate limit): the visit route may still work. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof AltegioApiError &&
    error.httpStatus >= 400 &&
    error.httpStatus < 500 &&
    error.kind !== 'not-found' &&
    error.kind !== 'rate-limited' &&
    error.kind !== 'unauthorized'
  );
}

function onlyAttendance(changes: RecordChanges): boolean {
  return Object.entries(changes).every(([key, value]) => key === 'attendance' || value === undefined);
}

/** @internal */
export function recordOps(t: Transport): RecordOps {
  const recordSpec = (companyId: number, recordId: number, signal?: AbortSignal): RequestSpec => ({
    method: 'GET',
    endpoint: '/record/{cid}/{rid}',
    params: { cid: companyId, rid: recordId },
    auth: 'b2b',
    retry: 'safe',
    signal,
  });

  async function readRaw(companyId: number, recordId: number, signal?: AbortSignal) {
    const spec = recordSpec(companyId, recordId, signal);
    const answer = await t.request(spec);
    const data = Array.isArray(answer.data) ? answer.data[0] : answer.data;
    return {
      record: t.parse(RecordSchema, data, spec, answer.status),
      source: t.parse(RecordWriteSourceSchema, data, spec, answer.status),
    };
  }

  function recordPages(
    companyId: number,
    query: RecordQuery,
    signal: AbortSignal | undefined,
  ): AsyncIterable<{ record: AltegioRecord; raw: Record<string, unknown> }> {
    const count = query.count ?? 200;
    return requestPages(
      t,
      count,
      (page) => ({
        method: 'GET',
        endpoint: '/records/{cid}',
        params: { cid: companyId },
        query: {
          page,
          count,
          start_date: query.startDate,
          end_date: query.endDate,
          changed_after: instant(query.changedAfter),
          changed_before: instant(query.changedBefore),
          client_id: query.clientId,
          staff_id: query.staffId,
          with_deleted: query.withDeleted,
        },
        auth: 'b2b',
        retry: 'safe',
        signal,
      }),
      (data, parse) => {
        const raws = parse(z.array(z.record(z.string(), z.unknown())), data);
        const records = parse(z.array(RecordSchema), raws);
        return records.map((record, i) => ({ record, raw: raws[i] ?? {} }));
      },
    );
  }

  async function* iterateRecords(
    companyId: number,
    query: RecordQuery = {},
    options: { signal?: AbortSignal | undefined } = {},
  ): AsyncIterable<AltegioRecord> {
    for await (const item of recordPages(companyId, query, options.signal)) yield item.record;
  }

  async function putVisit(
    recordId: number,
    visitId: number,
    attendance: Attendance,
    comment: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    await t.request({
      method: 'PUT',
      endpoint: '/visits/{vid}/{rid}',
      params: { vid: visitId, rid: recordId },
      // update_visit: `attendance` and `comment` are both required; resend the comment so it is kept.
      body: { attendance, comment },
      auth: 'b2b',
      retry: 'safe',
      signal,
    });
  }

  /** A caller's copy of the record (see `RecordWriteOptions.known`), when it parses as this record. */
  function fromKnown(companyId: number, recordId: number, data: Record<string, unknown>) {
    const record = RecordSchema.safeParse({ company_id: companyId, ...data });
    const source = RecordWriteSourceSchema.safeParse(data);
    if (!record.success || !source.success || record.data.id !== recordId) return undefined;
    return { record: record.data, source: source.data };
  }

  async function updateRecord(
    companyId: number,
    recordId: number,
    changes: RecordChanges,
    options: { signal?: AbortSignal | undefined; known?: Record<string, unknown> | undefined } = {},
  ): Promise<AltegioRecord> {
    const known = options.known ? fromKnown(companyId, recordId, options.known) : undefined;
    // A copy already showing the change proves nothing about Altegio: only a fresh read may skip.
    if (known && hasChanges(known.record, changes)) {
      try {
        return await writeFrom(companyId, recordId, known, changes, options.signal);
      } catch (error) {
        // Refused: the copy may be stale (a restriction, a changed service); read and decide again.
        if (!isRefusal(error)) throw error;
      }
    }
    return writeFrom(
      companyId,
      recordId,
      await readRaw(companyId, recordId, options.signal),
      changes,
      options.signal,
    );
  }

  async function writeFrom(
    companyId: number,
    recordId: number,
    current: { record: AltegioRecord; source: RecordWriteSource },
    changes: RecordChanges,
    signal: AbortSignal | undefined,
  ): Promise<AltegioRecord> {
    const { record, source } = current;
    if (!hasChanges(record, changes)) return record;
    const attendance = changes.attendance;
    const viaVisit = attendance !== undefined && onlyAttendance(changes) && record.visitId !== null;
    // Attendance alone on a record Altegio may refuse to edit (or that has no client for the full
    // body): the visit route changes exactly that and nothing else.
    if (viaVisit && (editMayBeRefused(source) || source.client === null)) {
      await putVisit(recordId, record.visitId ?? 0, attendance, record.comment, signal);
      return (await readRaw(companyId, recordId, signal)).record;
    }
    const spec: RequestSpec = {
      method: 'PUT',
      endpoint: '/record/{cid}/{rid}',
      params: { cid: companyId, rid: recordId },
      body: recordPutBody(source, changes),
      auth: 'b2b',
      retry: 'safe', // a full-state PUT is idempotent
      signal,
    };
    let answer: Awaited<ReturnType<Transport['request']>>;
    try {
      answer = await t.request(spec);
    } catch (error) {
      // Refused (a restriction the record did not show, or the user's rights): for attendance the
      // visit route is the documented alternative; anything else is reported, not retried here.
      if (!viaVisit || !isRefusal(error)) throw error;
      await putVisit(recordId, record.visitId ?? 0, attendance, record.comment, signal);
      return (await readRaw(companyId, recordId, signal)).record;
    }
    const data = Array.isArray(answer.data) ? answer.data[0] : answer.data;
    if (data === undefined || data === null) return (await readRaw(companyId, recordId, signal)).record;
    return t.parse(RecordSchema, data, spec, answer.status);
  }

  return {
    iterateRecords,
    iterateRecordsWithRaw: (companyId, query = {}, options = {}) =>
      recordPages(companyId, query, options.signal),
    listRecords: (companyId, query, options) => collect(iterateRecords(companyId, query, options)),

    async getRecord(companyId, recordId, options) {
      return (await readRaw(companyId, recordId, options?.signal)).record;
    },

    updateRecord,

    async deleteRecord(companyId, recordId, options) {
      await t.request({
        method: 'DELETE',
        endpoint: '/record/{cid}/{rid}',
        params: { cid: companyId, rid: recordId },
        auth: 'b2b',
        retry: 'delete',
        signal: options?.signal,
      });
    },

    async setAttendance(companyId, recordId, attendance, options = {}) {
      if (options.via !== 'visit') {
        await updateRecord(companyId, recordId, { attendance }, options);
        return;
      }
      const { record } = await readRaw(companyId, recordId, options.signal);
      if (record.attendance === attendance) return;
      if (record.visitId === null) {
        // No visit yet (possible for fresh online records): the record PUT does the same job.
        await updateRecord(companyId, recordId, { attendance }, options);
        return;
      }
      await putVisit(recordId, record.visitId, attendance, options.comment ?? record.comment, options.signal);
    },

    setRecordColor(companyId, recordId, hex, options) {
      return updateRecord(companyId, recordId, { customColor: normalizeColor(hex) }, options);
    },
  };
}
