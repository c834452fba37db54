import type { FastifyRequest } from 'fastify';
import { notFound, SandboxError } from './envelope.js';

/** Reading a request as Altegio sends it: query values, integer lists, route ids and paging. */

export type Query = Record<string, unknown>;

/** fastify types the query `unknown`; an absent one reads as empty. */
export const query = (request: FastifyRequest): Query => (request.query ?? {}) as Query;

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
