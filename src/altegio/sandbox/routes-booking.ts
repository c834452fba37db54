import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  bookableStaff,
  canTake,
  isOnlineService,
  lengthFor,
  onlineServices,
  performs,
  type SlotContext,
  slotsFor,
} from './availability.js';
import { bookCheckSchema, bookRecord, bookRecordSchema, checkClient, planAppointments } from './booking.js';
import { notFound, ok, parseWith, SandboxError } from './envelope.js';
import type { Company } from './model.js';
import {
  paginate,
  paramId,
  type Query,
  query,
  queryInt,
  queryIntList,
  queryString,
  readPage,
} from './request.js';
import { bookingWindow, daysBetween } from './slots.js';
import type { SandboxState } from './state.js';
import { addDays, isDay, isoWithOffset, localDay, localTime, parseDateTime, weekday } from './time.js';
import { renderBookService, renderBookStaff, renderCategory, renderCompany } from './views.js';

/**
 * Calls that need only the partner token: branches and the online-booking steps a widget or
 * chatbot walks through (services → staff → dates → times → check → record).
 */

function dayParam(params: unknown): string {
  const value = (params as Record<string, unknown> | null)?.date;
  if (typeof value !== 'string' || !isDay(value))
    throw new SandboxError(400, 'Invalid request: date must be YYYY-MM-DD');
  return value;
}

function context(state: SandboxState, company: Company, q: Query): SlotContext {
  return { state, company, services: onlineServices(state, company.id, queryIntList(q, 'service_ids')) };
}

/** First local day in the booking window with a free start for the member(s), or `null`. */
function firstFreeDay(
  ctx: SlotContext,
  staffId: number,
): { day: string; slots: ReturnType<typeof slotsFor> } | null {
  const window = bookingWindow(ctx.state.now(), ctx.company.timezone_name);
  for (const day of daysBetween(window.first, window.last)) {
    const slots = slotsFor(ctx, staffId, day);
    if (slots.length > 0) return { day, slots };
  }
  return null;
}

function timesView(ctx: SlotContext, slots: ReturnType<typeof slotsFor>): Array<Record<string, unknown>> {
  const tz = ctx.company.timezone_name;
  return slots.map(({ start, staffIds }) => {
    // For "any member" the length is that of the member who would get the slot first.
    const staff = ctx.state.staff(ctx.company.id, staffIds[0] ?? 0);
    const length = staff ? lengthFor(staff, ctx.services) : 0;
    return {
      time: localTime(start, tz),
      seance_length: length,
      sum_length: length,
      datetime: isoWithOffset(start, tz),
    };
  });
}

export function registerBookingRoutes(app: FastifyInstance, state: SandboxState): void {
  app.get('/companies', async (request) => {
    const q = query(request);
    const id = queryInt(q, 'id');
    const groupId = queryInt(q, 'group_id');
    const active = queryInt(q, 'active');
    const list = state.data.companies.filter(
      (c) =>
        (id === undefined || c.id === id) &&
        (groupId === undefined || c.main_group_id === groupId) &&
        (active !== 1 || c.active === 1),
    );
    const page = readPage(q, 50);
    const withForms = queryInt(q, 'showBookforms') === 1;
    return ok(
      paginate(list, page).map((c) => renderCompany(c, withForms)),
      { total_count: list.length },
    );
  });

  app.get('/company/:company_id', async (request) =>
    ok(
      renderCompany(
        state.company(paramId(request.params, 'company_id')),
        queryInt(query(request), 'showBookforms') === 1,
      ),
    ),
  );

  app.get('/book_services/:company_id', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const q = query(request);
    const staffId = queryInt(q, 'staff_id') ?? 0;
    const wanted = queryIntList(q, 'service_ids');
    const staff = staffId === 0 ? undefined : state.staff(company.id, staffId);
    if (staffId !== 0 && (!staff || staff.hidden === 1)) throw notFound('Team member not found');
    const at = queryString(q, 'datetime');
    const start = at === undefined ? undefined : parseDateTime(at, company.timezone_name);
    if (start === null) throw new SandboxError(400, 'Invalid request: datetime is not a date');
    const services = state
      .services(company.id)
      .filter(isOnlineService)
      .filter((s) => wanted.length === 0 || wanted.includes(s.id))
      .filter((s) => !staff || performs(staff, [s]))
      .filter((s) => !staff || !start || canTake({ state, company, services: [s] }, staff, start))
      .sort((a, b) => b.weight - a.weight);
    const categoryIds = new Set(services.map((s) => s.category_id));
    return ok({
      events: [],
      services: services.map((s) => renderBookService(s, staff ? lengthFor(staff, [s]) : undefined)),
      category: state.data.categories.filter((c) => categoryIds.has(c.id)).map(renderCategory),
    });
  });

  app.get('/book_staff/:company_id', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const q = query(request);
    const ctx = context(state, company, q);
    const at = queryString(q, 'datetime');
    const start = at === undefined ? undefined : parseDateTime(at, company.timezone_name);
    if (start === null) throw new SandboxError(400, 'Invalid request: datetime is not a date');
    const list = bookableStaff(state, company.id, ctx.services).map((staff) => {
      if (start) {
        const free = canTake(ctx, staff, start);
        return renderBookStaff(staff, free, free ? localDay(start, company.timezone_name) : null);
      }
      const first = firstFreeDay(ctx, staff.id);
      return renderBookStaff(staff, first !== null, first?.day ?? null);
    });
    return ok(list);
  });

  app.get('/book_dates/:company_id', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const q = query(request);
    const ctx = context(state, company, q);
    const staffId = queryInt(q, 'staff_id') ?? 0;
    const window = bookingWindow(state.now(), company.timezone_name);
    let from = queryString(q, 'date_from') ?? window.first;
    let to = queryString(q, 'date_to') ?? window.last;
    const month = queryString(q, 'date');
    if (month !== undefined && queryString(q, 'date_from') === undefined) {
      if (!isDay(month)) throw new SandboxError(400, 'Invalid request: date must be YYYY-MM-DD');
      from = `${month.slice(0, 7)}-01`;
      to = addDays(`${addDays(from, 31).slice(0, 7)}-01`, -1);
    }
    if (!isDay(from) || !isDay(to))
      throw new SandboxError(400, 'Invalid request: date_from/date_to must be YYYY-MM-DD');
    const staff = bookableStaff(state, company.id, ctx.services).filter(
      (s) => staffId === 0 || s.id === staffId,
    );
    // Days outside the booking window are never bookable, so they are not even listed.
    const days = daysBetween([from, window.first].sort()[1] ?? from, [to, window.last].sort()[0] ?? to);
    const working = days.filter((day) => staff.some((s) => s.schedule[weekday(day)]));
    const booking = working.filter((day) => slotsFor(ctx, staffId, day).length > 0);
    const byMonth = (list: string[]): Record<string, string[]> => {
      const out: Record<string, string[]> = {};
      for (const day of list) {
        const month = String(Number(day.slice(5, 7)));
        out[month] = [...(out[month] ?? []), String(Number(day.slice(8)))];
      }
      return out;
    };
    return ok({
      booking_days: byMonth(booking),
      booking_dates: booking,
      working_days: byMonth(working),
      working_dates: working,
    });
  });

  app.get('/book_times/:company_id/:staff_id/:date', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const staffId = paramId(request.params, 'staff_id');
    const day = dayParam(request.params);
    const ctx = context(state, company, query(request));
    if (staffId !== 0 && !bookableStaff(state, company.id, ctx.services).some((s) => s.id === staffId)) {
      return ok([]);
    }
    return ok(timesView(ctx, slotsFor(ctx, staffId, day)));
  });

  app.get('/book_staff_seances/:company_id/:staff_id', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const staffId = paramId(request.params, 'staff_id');
    const ctx = context(state, company, query(request));
    const first = firstFreeDay(ctx, staffId);
    return ok({ seance_date: first?.day ?? null, seances: first ? timesView(ctx, first.slots) : [] });
  });

  app.post('/book_check/:company_id', async (request, reply: FastifyReply) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const body = parseWith(bookCheckSchema, request.body);
    // book_check documents only `appointments`; when a client also sends phone/name we check them too.
    if (body.phone !== undefined || body.fullname !== undefined)
      checkClient(state, company.id, body.phone, body.fullname);
    planAppointments(state, company, body.appointments);
    return reply.code(201).send({ success: true, data: null, meta: { message: 'Created' } });
  });

  app.post('/book_record/:company_id', async (request, reply: FastifyReply) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const body = parseWith(bookRecordSchema, request.body);
    return reply.code(201).send(ok(bookRecord(state, company, body)));
  });

  app.delete('/user/records/:record_id/:record_hash', async (request, reply: FastifyReply) => {
    const recordId = paramId(request.params, 'record_id');
    const hash = (request.params as Record<string, unknown>).record_hash;
    const row = state.data.records.find((r) => r.id === recordId && r.hash === hash && !r.deleted);
    if (!row) throw notFound('Record not found');
    state.changeRecord(row, { deleted: true });
    return reply.code(204).send();
  });
}
