import { z } from 'zod';
import { busyIntervals } from './availability.js';
import { SandboxError } from './envelope.js';
import type { Attendance, Company, RecordRow, RecordService } from './model.js';
import { isFree } from './slots.js';
import type { SandboxState } from './state.js';
import { parseDateTime } from './time.js';

/**
 * Admin-style record changes (`POST /records`, `PUT /record`, `PUT /visits`, `DELETE /record`
 * and the control calls). Unlike online booking these ignore working hours and the booking
 * window — an administrator may put a record anywhere — but they refuse to overlap another
 * record of the same member unless `save_if_busy` is set, as the Altegio admin UI does.
 */

const idLike = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const numLike = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);
const flag = z
  .union([z.boolean(), z.number(), z.string()])
  .transform((v) => v === true || v === 1 || v === '1' || v === 'true');

export const attendanceSchema = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number),
  ])
  .refine(
    (v): v is Attendance => v === -1 || v === 0 || v === 1 || v === 2,
    'attendance must be -1, 0, 1 or 2',
  );

const serviceItem = z.union([
  idLike.transform((id) => ({ id })),
  z.object({
    id: idLike,
    first_cost: numLike.optional(),
    discount: numLike.optional(),
    cost: numLike.optional(),
    amount: numLike.optional(),
  }),
]);

const clientInput = z.object({
  phone: z.union([z.string(), z.number()]),
  name: z.string().optional(),
  surname: z.string().optional(),
  email: z.string().optional(),
});

const labelRef = z.union([idLike, z.object({ id: idLike }).transform((label) => label.id)]);

/**
 * Every field optional: the safe client sends the whole record back, the lazy one sends only
 * `{attendance}` — both are accepted (minimal bodies are unconfirmed upstream).
 */
export const recordPatchSchema = z.object({
  staff_id: idLike.optional(),
  services: z.array(serviceItem).optional(),
  client: clientInput.nullable().optional(),
  datetime: z.union([z.string().min(1), z.number()]).optional(),
  seance_length: idLike.optional(),
  save_if_busy: flag.optional(),
  send_sms: flag.optional(),
  comment: z.string().optional(),
  sms_remain_hours: idLike.optional(),
  email_remain_hours: idLike.optional(),
  attendance: attendanceSchema.optional(),
  visit_attendance: attendanceSchema.optional(),
  confirmed: z.union([z.literal(0), z.literal(1)]).optional(),
  api_id: z.union([z.string(), z.number()]).optional(),
  custom_color: z.string().optional(),
  record_labels: z.array(labelRef).optional(),
  custom_fields: z.record(z.string(), z.unknown()).optional(),
});

export type RecordPatch = z.input<typeof recordPatchSchema>;
type ParsedPatch = z.output<typeof recordPatchSchema>;

export const recordCreateSchema = recordPatchSchema.extend({
  staff_id: idLike,
  services: z.array(serviceItem).min(1),
  datetime: z.union([z.string().min(1), z.number()]),
});

export type RecordCreate = z.input<typeof recordCreateSchema>;

// update_visit: `attendance` and `comment` are both required.
export const visitPatchSchema = z.object({ attendance: attendanceSchema, comment: z.string() });

/**
 * `PUT /record/{company_id}/{record_id}` exactly as update_appointment documents it: a full
 * replacement, `staff_id, services, client, datetime, seance_length` required, no other keys (a
 * production bot reports 422 for `client.id`, `display_name`, `services[].amount`).
 */
export const recordPutSchema = z
  .object({
    // update_appointment: required for a standard appointment.
    staff_id: idLike,
    // update_appointment: services[] items are {id, cost, discount, first_cost}.
    services: z.array(
      z.strictObject({
        id: idLike,
        cost: numLike.optional(),
        discount: numLike.optional(),
        first_cost: numLike.optional(),
      }),
    ),
    // update_appointment: client is {phone, name, email}.
    client: z.strictObject({
      phone: z.string(),
      name: z.string().optional(),
      email: z.string().optional(),
    }),
    datetime: z.string().min(1),
    seance_length: idLike,
    // update_appointment: the optional keys of the body.
    activity_id: z.literal(0).optional(),
    api_id: z.string().optional(),
    attendance: attendanceSchema.optional(),
    comment: z.string().optional(),
    custom_color: z.string().optional(),
    custom_fields: z.record(z.string(), z.unknown()).optional(),
    email_remain_hours: idLike.optional(),
    sms_remain_hours: idLike.optional(),
    // update_appointment: "Array of post category IDs", items typed string.
    record_labels: z.array(z.string().regex(/^\d+$/).transform(Number)).optional(),
    save_if_busy: z.boolean().optional(),
    send_sms: z.boolean().optional(),
    technical_break_duration: z.number().int().min(0).max(3600).nullable().optional(),
  })
  .strict();

/** Refuses a PUT the way update_appointment's "Editing restrictions" describe, when switched on. */
export function assertEditable(state: SandboxState, row: RecordRow): void {
  const rules = state.editRestrictions;
  // update_appointment: "waiting for online payment" (online payment offered, not yet made).
  if (rules.awaitingPayment && row.prepaid && !row.prepaidConfirmed)
    throw new SandboxError(422, 'The appointment is waiting for online payment and cannot be edited');
  // update_appointment: "is fully paid".
  if (rules.paidFull && row.paidFull === 1)
    throw new SandboxError(422, 'The appointment is paid in full and cannot be edited');
  // update_appointment: "has an arrived client".
  if (rules.arrived && row.attendance === 1)
    throw new SandboxError(422, 'The client has arrived; the appointment cannot be edited');
}

function resolveServices(
  state: SandboxState,
  companyId: number,
  items: ParsedPatch['services'],
): RecordService[] | undefined {
  return items?.map((item) => {
    const service = state.service(companyId, item.id);
    if (!service) throw new SandboxError(422, `Service ${item.id} not found`);
    const price = Number(service.price_min);
    const cost = 'cost' in item && item.cost !== undefined ? item.cost : price;
    return {
      id: service.id,
      firstCost: 'first_cost' in item && item.first_cost !== undefined ? item.first_cost : price,
      discount: 'discount' in item && item.discount !== undefined ? item.discount : 0,
      cost,
      amount: 'amount' in item && item.amount !== undefined ? item.amount : 1,
    };
  });
}

/** `#F44336` → `f44336`: Altegio stores record colours without `#`. */
function colour(value: string): string {
  return value.replace(/^#/, '').toLowerCase();
}

function parseStart(company: Company, value: string | number): number {
  const start = parseDateTime(value, company.timezone_name);
  if (!start) throw new SandboxError(400, `Invalid request: datetime "${value}" is not a date`);
  return start.getTime();
}

function assertFree(
  state: SandboxState,
  staffId: number,
  start: number,
  lengthSec: number,
  exceptId?: number,
): void {
  if (!isFree(busyIntervals(state, staffId, exceptId), { start, end: start + lengthSec * 1000 })) {
    throw new SandboxError(422, 'The team member is busy at this time', 433);
  }
}

function lengthOf(state: SandboxState, companyId: number, services: readonly RecordService[]): number {
  return services.reduce((sum, item) => sum + (state.service(companyId, item.id)?.duration ?? 3600), 0);
}

/** Applies a PUT-style change to a record (parsed body) and announces it. */
export function patchRecord(state: SandboxState, row: RecordRow, patch: ParsedPatch): RecordRow {
  if (row.deleted) throw new SandboxError(422, 'Record has been deleted');
  const company = state.company(row.companyId);
  const change: Partial<RecordRow> = {};
  if (patch.staff_id !== undefined && patch.staff_id !== row.staffId) {
    if (!state.staff(company.id, patch.staff_id))
      throw new SandboxError(422, `Team member ${patch.staff_id} not found`);
    change.staffId = patch.staff_id;
  }
  const services = resolveServices(state, company.id, patch.services);
  if (services) change.services = services;
  if (patch.datetime !== undefined) change.start = parseStart(company, patch.datetime);
  if (patch.seance_length !== undefined) change.lengthSec = patch.seance_length;
  else if (services && services.map((s) => s.id).join() !== row.services.map((s) => s.id).join()) {
    // New services without an explicit length: the visit now takes as long as they do.
    change.lengthSec = lengthOf(state, company.id, services);
  }
  const moved =
    (change.staffId ?? row.staffId) !== row.staffId ||
    (change.start ?? row.start) !== row.start ||
    (change.lengthSec ?? row.lengthSec) !== row.lengthSec;
  if (moved && !patch.save_if_busy) {
    assertFree(
      state,
      change.staffId ?? row.staffId,
      change.start ?? row.start,
      change.lengthSec ?? row.lengthSec,
      row.id,
    );
  }
  if (patch.client === null) change.clientId = null;
  else if (patch.client) {
    const name = [patch.client.name, patch.client.surname].filter(Boolean).join(' ') || 'Client';
    change.clientId = state.findOrCreateClient(
      company.id,
      String(patch.client.phone),
      name,
      patch.client.email ?? '',
    ).id;
  }
  // The record's and the visit's attendance are one status seen from two places.
  const attendance = patch.attendance ?? patch.visit_attendance;
  if (attendance !== undefined) change.attendance = attendance;
  if (patch.confirmed !== undefined) change.confirmed = patch.confirmed;
  if (patch.comment !== undefined) change.comment = patch.comment;
  if (patch.api_id !== undefined) change.apiId = String(patch.api_id);
  if (patch.custom_color !== undefined) change.customColor = colour(patch.custom_color);
  if (patch.record_labels !== undefined) change.recordLabels = patch.record_labels;
  if (patch.custom_fields !== undefined) change.customFields = patch.custom_fields;
  if (patch.sms_remain_hours !== undefined) change.smsRemainHours = patch.sms_remain_hours;
  if (patch.email_remain_hours !== undefined) change.emailRemainHours = patch.email_remain_hours;
  return state.changeRecord(row, change);
}

/** `POST /records/{cid}`: an administrator's record, any service (offline ones too), any member. */
export function createRecord(
  state: SandboxState,
  company: Company,
  body: z.output<typeof recordCreateSchema>,
): RecordRow {
  if (!state.staff(company.id, body.staff_id))
    throw new SandboxError(422, `Team member ${body.staff_id} not found`);
  const services = resolveServices(state, company.id, body.services) ?? [];
  const start = parseStart(company, body.datetime);
  const lengthSec = body.seance_length ?? lengthOf(state, company.id, services);
  if (!body.save_if_busy) assertFree(state, body.staff_id, start, lengthSec);
  let clientId: number | null = null;
  if (body.client) {
    const name = [body.client.name, body.client.surname].filter(Boolean).join(' ') || 'Client';
    clientId = state.findOrCreateClient(
      company.id,
      String(body.client.phone),
      name,
      body.client.email ?? '',
    ).id;
  }
  return state.addRecord({
    companyId: company.id,
    staffId: body.staff_id,
    services,
    clientId,
    start,
    lengthSec,
    comment: body.comment ?? '',
    apiId: body.api_id === undefined ? '' : String(body.api_id),
    attendance: body.attendance ?? body.visit_attendance ?? 0,
    confirmed: body.confirmed ?? 1,
    online: false,
    masterRequest: 1,
    paidFull: 0,
    prepaid: false,
    prepaidConfirmed: false,
    customColor: body.custom_color === undefined ? '' : colour(body.custom_color),
    recordLabels: body.record_labels ?? [],
    bookformId: 0,
    smsRemainHours: body.sms_remain_hours ?? 0,
    emailRemainHours: body.email_remain_hours ?? 0,
    customFields: body.custom_fields ?? {},
  });
}

/** Cancelling is deleting in Altegio: the record stays, flagged, and leaves the default lists. */
export function deleteRecord(state: SandboxState, row: RecordRow): void {
  if (row.deleted) throw new SandboxError(404, 'Record not found');
  state.changeRecord(row, { deleted: true });
}
