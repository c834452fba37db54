/**
 * Altegio pages with `page` (1-based) and `count`/`page_size`, and reports `meta.total_count`
 * on some endpoints only. One loop that stops on whichever signal comes first keeps every list
 * operation from either stopping early or looping forever.
 */
import type { z } from 'zod';
import { PageMetaSchema } from './schemas.js';
import type { RequestSpec, Transport } from './transport.js';

/** One fetched page. */
export interface PageResult<T> {
  items: T[];
  /** `meta.total_count` when Altegio sent it (NaN otherwise). */
  total: number;
}

/** Hard stop against a server that keeps answering full pages forever. */
const MAX_PAGES = 1_000;

/** Yields items page by page until a short page, the reported total, or an empty page. */
export async function* paginate<T>(
  pageSize: number,
  fetchPage: (page: number) => Promise<PageResult<T>>,
): AsyncGenerator<T, void, undefined> {
  let seen = 0;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { items, total } = await fetchPage(page);
    yield* items;
    seen += items.length;
    if (items.length === 0 || items.length < pageSize) return;
    if (Number.isFinite(total) && seen >= total) return;
  }
}

/** Parses a value of one answer, naming that answer's request on a mismatch. */
export type AnswerParser = <S extends z.ZodType>(schema: S, value: unknown) => z.output<S>;

/**
 * A listed endpoint walked page by page: `specFor` builds one page's request, `rowsOf` reads its
 * `data` (an absent one reads as empty), and the total is `meta.total_count`.
 */
export function requestPages<T>(
  t: Transport,
  pageSize: number,
  specFor: (page: number) => RequestSpec,
  rowsOf: (data: unknown, parse: AnswerParser) => T[],
): AsyncGenerator<T, void, undefined> {
  return paginate(pageSize, async (page) => {
    const spec = specFor(page);
    const answer = await t.request(spec);
    const parse: AnswerParser = (schema, value) => t.parse(schema, value, spec, answer.status);
    return { items: rowsOf(answer.data ?? [], parse), total: PageMetaSchema.parse(answer.meta).total_count };
  });
}

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
