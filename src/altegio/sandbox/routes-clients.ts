import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound, ok, parseWith, SandboxError } from './envelope.js';
import type { ClientRow } from './model.js';
import { paginate, paramId, query, queryInt, queryString, readPage } from './request.js';
import type { SandboxState } from './state.js';
import { isDay, parseDateTime } from './time.js';
import { renderClient } from './views.js';

/** Client base of a branch: one client, the deprecated list, and the current search. */

const idLike = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const filterSchema = z.object({
  type: z.string(),
  state: z.record(z.string(), z.unknown()).default({}),
});

// get_client_list: order_by is one of these (each can also be asked for in `fields`).
const ORDER_FIELDS = [
  'id',
  'name',
  'phone',
  'email',
  'discount',
  'first_visit_date',
  'last_visit_date',
  'sold_amount',
  'visits_count',
] as const;

/**
 * get_client_list: `fields` is a fixed enum; the endpoint "cannot return tags/categories, custom
 * fields, birth date" — asking for them is refused rather than silently ignored.
 */
export const SEARCH_FIELDS = [
  ...ORDER_FIELDS,
  'surname',
  'patronymic',
  'tips_count',
  'deposit_balance',
  'reserved_deposit_balance',
] as const;

export const clientSearchSchema = z.object({
  page: idLike.default(1),
  // get_client_list: "Maximum 200. (Default 25)".
  page_size: idLike.default(25),
  fields: z.array(z.enum(SEARCH_FIELDS)).default(['id']),
  order_by: z.enum(ORDER_FIELDS).optional(),
  order_by_direction: z
    .string()
    .transform((v) => v.toUpperCase())
    .pipe(z.enum(['ASC', 'DESC']))
    .optional(),
  operation: z
    .string()
    .transform((v) => v.toUpperCase())
    .pipe(z.enum(['AND', 'OR']))
    .default('AND'),
  filters: z.array(filterSchema).default([]),
});

/** `MM-DD` of a `YYYY-MM-DD` date (or of an `MM-DD` already). */
const monthDay = (date: string): string => date.slice(-5);

const isMonthDay = (value: string): boolean => /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(value);

/**
 * The `birthday` filter: Altegio's own tooling sends `MM-DD`, older texts full dates; both are
 * read. Month and day are compared, the year is ignored (the docs do not say; it is what a
 * birthday filter means), both ends inclusive, and a range may wrap over New Year
 * (`from 12-30 to 01-05`). A full-date range of a year or more matches every birthday.
 */
export function birthdayMatches(birthDate: string, from: string, to: string): boolean {
  if (!isDay(birthDate)) return false;
  if (isDay(from) && isDay(to)) {
    const spanDays = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (spanDays >= 365) return true;
  }
  const day = monthDay(birthDate);
  const a = monthDay(from);
  const b = monthDay(to);
  return a <= b ? day >= a && day <= b : day >= a || day <= b;
}

function idList(state: Record<string, unknown>): number[] {
  const value = state.value;
  const list = Array.isArray(value) ? value : [value];
  return list.map(Number).filter((n) => Number.isInteger(n));
}

/** Filters that match when one of the client's ids of that kind is in the filter's list. */
const ID_FILTERS: Record<'id' | 'category' | 'gender' | 'importance', (c: ClientRow) => readonly number[]> = {
  id: (c) => [c.id],
  category: (c) => c.categoryIds,
  gender: (c) => [c.sexId],
  importance: (c) => [c.importanceId],
};

function filterPredicate(filter: z.output<typeof filterSchema>): (client: ClientRow) => boolean {
  const s = filter.state;
  let predicate: (client: ClientRow) => boolean;
  switch (filter.type) {
    case 'birthday': {
      const { from, to } = s;
      const valid = (v: unknown): v is string => typeof v === 'string' && (isMonthDay(v) || isDay(v));
      if (!valid(from) || !valid(to)) {
        throw new SandboxError(400, 'Invalid request: birthday filter needs from and to as MM-DD');
      }
      predicate = (c) => birthdayMatches(c.birthDate, from, to);
      break;
    }
    case 'quick_search': {
      const text = String(s.value ?? '')
        .trim()
        .toLowerCase();
      const digits = text.replace(/\D/g, '');
      predicate = (c) =>
        text === '' ||
        [c.name, c.surname, c.patronymic, c.email, c.card].some((field) =>
          field.toLowerCase().includes(text),
        ) ||
        (digits.length >= 3 && c.phone.includes(digits));
      break;
    }
    case 'id':
    case 'category':
    case 'gender':
    case 'importance': {
      const ids = idList(s);
      const values = ID_FILTERS[filter.type];
      predicate = (c) => values(c).some((id) => ids.includes(id));
      break;
    }
    default:
      // Refusing beats silently ignoring: a client relying on an unsupported filter would get everyone.
      throw new SandboxError(
        400,
        `Invalid request: filter type "${filter.type}" is not supported by the sandbox`,
      );
  }
  return s.invert === true ? (c) => !predicate(c) : predicate;
}

/**
 * Search result rows hold only the requested fields (get_client_list: "If fields is omitted, each
 * row contains only id"), never birth date or categories. `phone` is a number here, as some
 * Altegio answers have it.
 */
function searchRow(
  state: SandboxState,
  client: ClientRow,
  fields: readonly string[],
): Record<string, unknown> {
  const full = renderClient(state, client);
  const derived: Record<string, unknown> = {
    ...full,
    phone: Number(client.phone),
    visits_count: client.visits,
    sold_amount: client.spent,
    first_visit_date: null,
    last_visit_date: null,
  };
  const row: Record<string, unknown> = { id: client.id };
  for (const field of fields) if (field in derived) row[field] = derived[field];
  return row;
}

export function registerClientRoutes(app: FastifyInstance, state: SandboxState): void {
  app.get('/client/:company_id/:client_id', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const client = state.client(paramId(request.params, 'client_id'));
    if (!client || client.companyId !== company.id) throw notFound('Client not found');
    return ok(renderClient(state, client));
  });

  app.get('/clients/:company_id', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const q = query(request);
    const fullname = queryString(q, 'fullname')?.toLowerCase();
    const phone = queryString(q, 'phone')?.replace(/\D/g, '');
    const email = queryString(q, 'email')?.toLowerCase();
    const id = queryInt(q, 'id');
    const changedAfterText = queryString(q, 'changed_after');
    const changedAfter =
      changedAfterText === undefined
        ? undefined
        : parseDateTime(changedAfterText, company.timezone_name)?.getTime();
    if (changedAfterText !== undefined && changedAfter === undefined) {
      throw new SandboxError(400, 'Invalid request: changed_after is not a date');
    }
    const list = state
      .clients(company.id)
      .filter(
        (c) =>
          (fullname === undefined || `${c.name} ${c.surname}`.toLowerCase().includes(fullname)) &&
          (!phone || c.phone.includes(phone)) &&
          (email === undefined || c.email.toLowerCase().includes(email)) &&
          (id === undefined || c.id === id) &&
          (changedAfter === undefined || c.lastChange >= changedAfter),
      );
    const page = readPage(q, 50, 200);
    return ok(
      paginate(list, page).map((c) => renderClient(state, c)),
      { page: page.page, total_count: list.length },
    );
  });

  app.post('/company/:company_id/clients/search', async (request) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const body = parseWith(clientSearchSchema, request.body);
    const predicates = body.filters.map(filterPredicate);
    const match = (c: ClientRow): boolean =>
      predicates.length === 0 ||
      (body.operation === 'OR' ? predicates.some((p) => p(c)) : predicates.every((p) => p(c)));
    const direction = body.order_by_direction === 'DESC' ? -1 : 1;
    const key = (c: ClientRow): string | number => (body.order_by === 'name' ? c.name.toLowerCase() : c.id);
    const list = state
      .clients(company.id)
      .filter(match)
      .sort((a, b) => (key(a) < key(b) ? -direction : key(a) > key(b) ? direction : 0));
    const page = { page: Math.max(1, body.page), count: Math.min(Math.max(1, body.page_size), 200) };
    return ok(
      paginate(list, page).map((c) => searchRow(state, c, body.fields)),
      { page: page.page, page_size: page.count, total_count: list.length },
    );
  });
}
