import type { z } from 'zod';

/**
 * Altegio's response envelope and error shape. Errors follow the documented layout
 * (developer.alteg.io, online booking: validate booking parameters): HTTP status, `data: null`,
 * `meta.message` and `meta.errors[]` of `{code, message}`.
 */

export interface Envelope<T> {
  success: true;
  data: T;
  meta: unknown[] | Record<string, unknown>;
}

export interface ErrorEntry {
  code: number;
  message: string;
  [extra: string]: unknown;
}

export interface ErrorEnvelope {
  success: false;
  data: null;
  meta: { message: string; errors: ErrorEntry[] };
}

export function ok<T>(data: T, meta: unknown[] | Record<string, unknown> = []): Envelope<T> {
  return { success: true, data, meta };
}

/** Thrown by handlers and domain code; the server's error handler renders it. */
export class SandboxError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Altegio's own code (433, 436 …); defaults to the HTTP status. */
    readonly code: number = status,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

export function errorBody(
  status: number,
  message: string,
  code = status,
  extra: Record<string, unknown> = {},
): ErrorEnvelope {
  // validate_booking_params: a booking code (431–438) follows a generic 422 entry, as in the vendor's example.
  const generic: ErrorEntry[] = code !== status && status === 422 ? [{ code: 422, message }] : [];
  return { success: false, data: null, meta: { message, errors: [...generic, { ...extra, code, message }] } };
}

export const notFound = (what = 'Not found'): SandboxError => new SandboxError(404, what);

/**
 * Parses a body (or query) with zod; a mismatch becomes Altegio's error (400 by default, 422
 * where the operation documents it) with the first problem named.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, status = 400): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const keys = issue?.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new SandboxError(status, `Invalid request: ${where}${issue?.message ?? 'bad input'}${keys}`);
}

type Query = Record<string, unknown>;

function raw(query: Query, name: string): unknown {
  return query[name] ?? query[`${name}[]`];
}

/** A query value as a string, or `undefined` when absent or empty. */
export function queryString(query: Query, name: string): string | undefined {
  const value = raw(query, name);
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

/** An integer query value; a non-number is the caller's mistake, so 400. */
export function queryInt(query: Query, name: string): number | undefined {
  const text = queryString(query, name);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new SandboxError(400, `Invalid request: ${name} must be an integer`);
  return Number(text);
}

/**
 * Integer lists arrive as `service_ids[]=1&service_ids[]=2`, `service_ids=1,2` or a single value;
 * all three forms are read.
 */
export function queryIntList(query: Query, name: string): number[] {
  const value = raw(query, name);
  const parts = (Array.isArray(value) ? value : [value])
    .filter((part): part is string => typeof part === 'string')
    .flatMap((part) => part.split(','))
    .map((part) => part.trim())
    .filter((part) => part !== '');
  return parts.map((part) => {
    if (!/^\d+$/.test(part)) throw new SandboxError(400, `Invalid request: ${name} must list integers`);
    return Number(part);
  });
}

/** Route params are typed `unknown` by fastify; ids must be positive integers or the path is unknown. */
export function paramId(params: unknown, name: string): number {
  const value = (params as Record<string, unknown> | null)?.[name];
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw notFound();
  return Number(value);
}

export interface Page {
  page: number;
  count: number;
}

/** 1-based paging; `count`/`page_size` capped so a careless client cannot ask for everything at once. */
export function readPage(query: Query, defaultCount = 50, maxCount = 1000): Page {
  const page = queryInt(query, 'page') ?? 1;
  const count = queryInt(query, 'count') ?? queryInt(query, 'page_size') ?? defaultCount;
  if (page < 1 || count < 1) throw new SandboxError(400, 'Invalid request: page and count start at 1');
  return { page, count: Math.min(count, maxCount) };
}

export function paginate<T>(items: readonly T[], { page, count }: Page): T[] {
  return items.slice((page - 1) * count, page * count);
}
