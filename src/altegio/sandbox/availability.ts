import { SandboxError } from './envelope.js';
import type { Company, Service, Staff } from './model.js';
import { bookingWindow, daySlots, type Interval, inWindow, mergeSlots } from './slots.js';
import type { SandboxState } from './state.js';
import { localDay } from './time.js';

/**
 * Joins the pure slot maths with the state: who performs which services, how long they take for
 * a given member, and what is already booked. Everything here reads; nothing changes the salon.
 */

/** Services that a client may book online: `active` 1 (get_service: "available for online booking"). */
export function isOnlineService(service: Service): boolean {
  return service.service_type === 1 && service.active === 1;
}

/** Online services by id; an unknown, offline or inactive one is Altegio's 438. */
export function onlineServices(state: SandboxState, companyId: number, ids: readonly number[]): Service[] {
  return ids.map((id) => {
    const service = state.service(companyId, id);
    if (!service || !isOnlineService(service)) {
      throw new SandboxError(422, `Service ${id} is not available for online booking`, 438);
    }
    return service;
  });
}

export function performs(staff: Staff, services: readonly Service[]): boolean {
  return services.every((service) => service.staff.some((link) => link.id === staff.id));
}

/** Members a client may pick online for these services, heaviest `weight` first (Altegio's sort). */
export function bookableStaff(state: SandboxState, companyId: number, services: readonly Service[]): Staff[] {
  return state
    .staffList(companyId)
    .filter((staff) => staff.hidden === 0 && staff.fired === 0 && performs(staff, services))
    .sort((a, b) => b.weight - a.weight || a.id - b.id);
}

/**
 * Length used when a client asks for dates or times before choosing services: a day or member
 * counts as bookable if at least a short visit fits.
 */
export const PROBE_LENGTH_SEC = 30 * 60;

/** Total length for one member: per-member `seance_length` when set, else the service duration. */
export function lengthFor(staff: Staff, services: readonly Service[]): number {
  if (services.length === 0) return PROBE_LENGTH_SEC;
  return services.reduce((sum, service) => {
    const link = service.staff.find((item) => item.id === staff.id);
    return sum + (link?.seance_length || service.duration);
  }, 0);
}

export function busyIntervals(state: SandboxState, staffId: number, exceptRecordId?: number): Interval[] {
  return state
    .busyRecords(staffId, exceptRecordId)
    .map((record) => ({ start: record.start, end: record.start + record.lengthSec * 1000 }));
}

export interface SlotContext {
  state: SandboxState;
  company: Company;
  services: readonly Service[];
  /** Extra busy time per member, e.g. earlier appointments of the same booking request. */
  extraBusy?: ReadonlyMap<number, readonly Interval[]>;
}

/** A member's free starts on a local day, empty outside the booking window. */
export function staffSlots(ctx: SlotContext, staff: Staff, day: string): Date[] {
  const now = ctx.state.now();
  const tz = ctx.company.timezone_name;
  if (!inWindow(day, bookingWindow(now, tz))) return [];
  return daySlots({
    day,
    timeZone: tz,
    schedule: staff.schedule,
    busy: [...busyIntervals(ctx.state, staff.id), ...(ctx.extraBusy?.get(staff.id) ?? [])],
    lengthSec: lengthFor(staff, ctx.services),
    now,
  });
}

/** Starts on a day for one member, or for "any member" (`staffId` 0) with who is free at each. */
export function slotsFor(
  ctx: SlotContext,
  staffId: number,
  day: string,
): Array<{ start: Date; staffIds: number[] }> {
  const candidates = bookableStaff(ctx.state, ctx.company.id, ctx.services).filter(
    (staff) => staffId === 0 || staff.id === staffId,
  );
  return mergeSlots(new Map(candidates.map((staff) => [staff.id, staffSlots(ctx, staff, day)])));
}

/** Whether a member can take `[start, start + length)` given the slot rules and extra busy time. */
export function canTake(ctx: SlotContext, staff: Staff, start: Date): boolean {
  const day = localDay(start, ctx.company.timezone_name);
  return staffSlots(ctx, staff, day).some((slot) => slot.getTime() === start.getTime());
}
