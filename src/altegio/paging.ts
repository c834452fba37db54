/**
 * Altegio pages with `page` (1-based) and `count`/`page_size`, and reports `meta.total_count`
 * on some endpoints only. One loop that stops on whichever signal comes first keeps every list
 * operation from either stopping early or looping forever.
 */

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

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
