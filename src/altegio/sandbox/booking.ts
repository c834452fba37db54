import { z } from 'zod';
import { normalizePhone } from '../../domain/phone.js';
import {
  bookableStaff,
  canTake,
  lengthFor,
  onlineServices,
  performs,
  type SlotContext,
} from './availability.js';
import { SandboxError } from './envelope.js';
import type { Company, RecordRow, Staff } from './model.js';
import { SEED_IDS } from './seed.js';
import type { Interval } from './slots.js';
import type { SandboxState } from './state.js';
import { parseDateTime } from './time.js';

/**
 * Online booking (`book_check`, `book_record`). Both run the same plan so that a successful
 * check means the booking would succeed at that moment; the plan reserves time for earlier
 * appointments of the same request, which is how 437 (overlap inside one request) arises.
 */

const idLike = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

export const appointmentSchema = z.object({
  id: z.union([z.number(), z.string()]),
  services: z.array(idLike).default([]),
  staff_id: idLike,
  datetime: z.union([z.string().min(1), z.number()]),
  custom_fields: z.record(z.string(), z.unknown()).optional(),
});

export const bookCheckSchema = z.object({
  appointments: z.array(appointmentSchema).min(1),
  phone: z.union([z.string(), z.number()]).optional(),
  fullname: z.string().optional(),
});

export const bookRecordSchema = z.object({
  phone: z.union([z.string(), z.number()]),
  fullname: z.string().optional(),
  email: z.string().optional(),
  appointments: z.array(appointmentSchema).min(1),
  comment: z.string().optional(),
  api_id: z.union([z.string(), z.number()]).optional(),
  code: z.union([z.string(), z.number()]).optional(),
  notify_by_sms: z.number().optional(),
  notify_by_email: z.number().optional(),
  type: z.string().optional(),
});

export type AppointmentInput = z.output<typeof appointmentSchema>;

export interface PlannedAppointment {
  input: AppointmentInput;
  staff: Staff;
  masterRequest: 0 | 1;
  start: Date;
  lengthSec: number;
  ctx: SlotContext;
}

/** Checks every appointment; throws Altegio's 422 codes (433, 436, 437, 438) or 400. */
export function planAppointments(
  state: SandboxState,
  company: Company,
  appointments: readonly AppointmentInput[],
): PlannedAppointment[] {
  const reserved = new Map<number, Interval[]>();
  return appointments.map((input) => {
    if (input.services.length === 0) throw new SandboxError(422, 'Choose at least one service', 438);
    const services = onlineServices(state, company.id, input.services);
    const start = parseDateTime(input.datetime, company.timezone_name);
    if (!start)
      throw new SandboxError(400, `Invalid request: appointments.datetime "${input.datetime}" is not a date`);
    const ctx: SlotContext = { state, company, services, extraBusy: reserved };
    let staff: Staff | undefined;
    if (input.staff_id === 0) {
      const candidates = bookableStaff(state, company.id, services);
      staff = candidates.find((candidate) => canTake(ctx, candidate, start));
      if (!staff)
        throw new SandboxError(422, 'No team member is available at this time', 436, {
          appointment_id: input.id,
        });
    } else {
      staff = state.staff(company.id, input.staff_id);
      if (!staff || staff.hidden === 1 || staff.fired === 1 || !performs(staff, services)) {
        throw new SandboxError(422, 'The selected team member does not provide these services', 433, {
          appointment_id: input.id,
        });
      }
      const lengthMs = lengthFor(staff, services) * 1000;
      const own = reserved.get(staff.id) ?? [];
      if (own.some((iv) => iv.start < start.getTime() + lengthMs && start.getTime() < iv.end)) {
        throw new SandboxError(422, 'Appointments of this request overlap', 437, {
          appointment_id: input.id,
        });
      }
      if (!canTake(ctx, staff, start)) {
        throw new SandboxError(422, 'The selected time is already taken', 433, { appointment_id: input.id });
      }
    }
    const lengthSec = lengthFor(staff, services);
    reserved.set(staff.id, [
      ...(reserved.get(staff.id) ?? []),
      { start: start.getTime(), end: start.getTime() + lengthSec * 1000 },
    ]);
    return { input, staff, masterRequest: input.staff_id === 0 ? 0 : 1, start, lengthSec, ctx };
  });
}

/** Phone (431), name (435) and blacklist (434, HTTP 403) checks; returns normalised values. */
export function checkClient(
  state: SandboxState,
  companyId: number,
  phone: string | number | undefined,
  fullname: string | undefined,
): { phone: string; name: string } {
  const digits = normalizePhone(phone);
  if (!digits) throw new SandboxError(422, 'Invalid phone number format', 431);
  const name = fullname?.trim() ?? '';
  if (!name) throw new SandboxError(422, 'Client name is required', 435);
  const existing = state.clientByPhone(companyId, digits);
  if (existing?.categoryIds.includes(SEED_IDS.labels.blacklist)) {
    throw new SandboxError(403, 'Online booking is not available for this client', 434);
  }
  return { phone: digits, name };
}

export interface BookedItem {
  id: number | string;
  record_id: number;
  record_hash: string;
}

/** `book_record`: all appointments or none; the client is matched by phone or created. */
export function bookRecord(
  state: SandboxState,
  company: Company,
  body: z.output<typeof bookRecordSchema>,
): BookedItem[] {
  const client = checkClient(state, company.id, body.phone, body.fullname);
  const plan = planAppointments(state, company, body.appointments);
  const row = state.findOrCreateClient(company.id, client.phone, client.name, body.email ?? '');
  return plan.map((item) => {
    const record: RecordRow = state.addRecord({
      companyId: company.id,
      staffId: item.staff.id,
      services: item.ctx.services.map((service) => {
        const price = Number(service.price_min);
        return { id: service.id, firstCost: price, discount: 0, cost: price, amount: 1 };
      }),
      clientId: row.id,
      start: item.start.getTime(),
      lengthSec: item.lengthSec,
      comment: body.comment ?? '',
      apiId: body.api_id === undefined ? '' : String(body.api_id),
      attendance: 0,
      confirmed: 1,
      online: true,
      masterRequest: item.masterRequest,
      paidFull: 0,
      prepaid: false,
      prepaidConfirmed: false,
      customColor: '',
      recordLabels: [SEED_IDS.labels.recordOnline],
      bookformId: company.bookform_id,
      smsRemainHours: body.notify_by_sms ?? 0,
      emailRemainHours: body.notify_by_email ?? 0,
      customFields: item.input.custom_fields ?? {},
    });
    return { id: item.input.id, record_id: record.id, record_hash: record.hash };
  });
}
