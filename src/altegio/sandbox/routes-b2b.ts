import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound, ok, parseWith, SandboxError } from './envelope.js';
import {
  assertEditable,
  createRecord,
  deleteRecord,
  patchRecord,
  recordCreateSchema,
  recordPutSchema,
  visitPatchSchema,
} from './records.js';
import { paginate, paramId, type Query, query, queryInt, queryString, readPage } from './request.js';
import type { SandboxState } from './state.js';
import { isDay, localDay, parseDateTime } from './time.js';
import { renderCategory, renderLabel, renderRecord, renderService, renderStaff } from './views.js';

/**
 * Calls that need the user token as well: the branch's catalogue as the salon sees it
 * (offline services, hidden staff), labels, records and visits.
 */

function optionalId(params: unknown, name: string): number | undefined {
  const value = (params as Record<string, unknown> | null)?.[name];
  return value === undefined ? undefined : paramId(params, name);
}

function instantFilter(q: Query, name: string, timeZone: string): number | undefined {
  const value = queryString(q, name);
  if (value === undefined) return undefined;
  const at =
    parseDateTime(value, timeZone) ?? (isDay(value) ? parseDateTime(`${value} 00:00:00`, timeZone) : null);
  if (!at) throw new SandboxError(400, `Invalid request: ${name} is not a date`);
  return at.getTime();
}

function dayFilter(q: Query, name: string): string | undefined {
  const value = queryString(q, name);
  if (value === undefined) return undefined;
  const day = value.slice(0, 10);
  if (!isDay(day)) throw new SandboxError(400, `Invalid request: ${name} must be YYYY-MM-DD`);
  return day;
}

function registerCatalogue(app: FastifyInstance, state: SandboxState): void {
  const services = async (request: FastifyRequest) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const serviceId = optionalId(request.params, 'service_id');
    const q = query(request);
    const staffId = queryInt(q, 'staff_id');
    const categoryId = queryInt(q, 'category_id');
    const list = state
      .services(company.id)
      .filter((s) => staffId === undefined || s.staff.some((link) => link.id === staffId))
      .filter((s) => categoryId === undefined || s.category_id === categoryId);
    if (serviceId === undefined) return ok(list.map(renderService));
    const one = list.find((s) => s.id === serviceId);
    if (!one) throw notFound('Service not found');
    return ok(renderService(one));
  };
  for (const path of ['/company/:company_id/services', '/services/:company_id']) {
    app.get(path, services);
    app.get(`${path}/:service_id`, services);
  }

  const categories = async (request: FastifyRequest) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const id = optionalId(request.params, 'category_id');
    const list = state.data.categories.filter((c) => c.company_id === company.id);
    if (id === undefined) return ok(list.map(renderCategory));
    const one = list.find((c) => c.id === id);
    if (!one) throw notFound('Category not found');
    return ok(renderCategory(one));
  };
  for (const path of ['/company/:company_id/service_categories', '/service_categories/:company_id']) {
    app.get(path, categories);
    app.get(`${path}/:category_id`, categories);
  }

  const staff = async (request: FastifyRequest) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const id = optionalId(request.params, 'staff_id');
    const list = state.staffList(company.id);
    if (id === undefined) return ok(list.map(renderStaff));
    const one = list.find((s) => s.id === id);
    if (!one) throw notFound('Team member not found');
    return ok(renderStaff(one));
  };
  for (const path of ['/company/:company_id/staff', '/staff/:company_id']) {
    app.get(path, staff);
    app.get(`${path}/:staff_id`, staff);
  }

  // Entity: 0 common, 1 clients, 2 records; `clients` is the newer spelling of 1.
  app.get('/labels/:company_id/:entity', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const raw = (request.params as Record<string, unknown>).entity;
    const entity = raw === 'clients' ? 1 : raw === 'records' ? 2 : Number(raw);
    if (![0, 1, 2].includes(entity)) throw notFound();
    const list = state.data.labels.filter((l) => l.entity === entity).map((l) => renderLabel(l, company.id));
    return ok(list, { total_count: list.length });
  });
}

function registerRecords(app: FastifyInstance, state: SandboxState): void {
  app.get('/records/:company_id', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const tz = company.timezone_name;
    const q = query(request);
    const staffId = queryInt(q, 'staff_id');
    const clientId = queryInt(q, 'client_id');
    const startDay = dayFilter(q, 'start_date');
    const endDay = dayFilter(q, 'end_date');
    const createdFrom = dayFilter(q, 'c_start_date');
    const createdTo = dayFilter(q, 'c_end_date');
    // Inclusive bounds: a poller that re-reads the second it last saw loses nothing, it dedupes.
    const changedAfter = instantFilter(q, 'changed_after', tz);
    const changedBefore = instantFilter(q, 'changed_before', tz);
    const list = state.records(company.id, queryInt(q, 'with_deleted') === 1).filter((r) => {
      const day = localDay(r.start, tz);
      const created = localDay(r.createdAt, tz);
      return (
        (staffId === undefined || r.staffId === staffId) &&
        (clientId === undefined || r.clientId === clientId) &&
        (startDay === undefined || day >= startDay) &&
        (endDay === undefined || day <= endDay) &&
        (createdFrom === undefined || created >= createdFrom) &&
        (createdTo === undefined || created <= createdTo) &&
        (changedAfter === undefined || r.lastChange >= changedAfter) &&
        (changedBefore === undefined || r.lastChange <= changedBefore)
      );
    });
    const page = readPage(q, 50);
    return ok(
      paginate(list, page).map((r) => renderRecord(state, r)),
      { page: page.page, total_count: list.length },
    );
  });

  app.post('/records/:company_id', async (request, reply: FastifyReply) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const row = createRecord(state, company, parseWith(recordCreateSchema, request.body));
    return reply.code(201).send(ok(renderRecord(state, row)));
  });

  app.get('/record/:company_id/:record_id', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    return ok(renderRecord(state, state.requireRecord(company.id, paramId(request.params, 'record_id'))));
  });

  app.put('/record/:company_id/:record_id', async (request, reply: FastifyReply) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const row = state.requireRecord(company.id, paramId(request.params, 'record_id'));
    // update_appointment: a missing required field (or, in practice, an extra key) is a 422.
    const body = parseWith(recordPutSchema, request.body, 422);
    assertEditable(state, row);
    // update_appointment answers 201 with the record.
    return reply.code(201).send(ok(renderRecord(state, patchRecord(state, row, body))));
  });

  app.delete('/record/:company_id/:record_id', async (request, reply: FastifyReply) => {
    const company = state.company(paramId(request.params, 'company_id'));
    deleteRecord(state, state.requireRecord(company.id, paramId(request.params, 'record_id')));
    return reply.code(204).send();
  });

  const byVisit = (visitId: number, recordId?: number) => {
    const row = state.data.records.find(
      (r) => r.visitId === visitId && (recordId === undefined || r.id === recordId),
    );
    if (!row) throw notFound('Visit not found');
    return row;
  };

  app.get('/visits/:visit_id', async (request) => {
    const row = byVisit(paramId(request.params, 'visit_id'));
    return ok({ id: row.visitId, attendance: row.attendance, records: [renderRecord(state, row)] });
  });

  app.put('/visits/:visit_id/:record_id', async (request) => {
    const row = byVisit(paramId(request.params, 'visit_id'), paramId(request.params, 'record_id'));
    const body = parseWith(visitPatchSchema, request.body, 422);
    return ok(renderRecord(state, patchRecord(state, row, body)));
  });
}

export function registerB2bRoutes(app: FastifyInstance, state: SandboxState): void {
  registerCatalogue(app, state);
  registerRecords(app, state);
}
