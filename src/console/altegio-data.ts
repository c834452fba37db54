import type { CachedAltegioApi } from '../altegio/cache.js';

/** What the console shows about a branch from Altegio: names, staff and client categories. */
export interface BranchInfo {
  id: number;
  title: string;
  staff: { id: number; name: string }[] | { error: string };
  categories: { id: number; title: string }[] | { error: string };
}

export interface AltegioData {
  altegio: CachedAltegioApi;
  /** The branches served (`branches[]`, or every branch in sandbox mode without any). */
  servedBranchIds: () => Promise<number[]>;
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Loaded when the page is drawn, so a staff member added in Altegio shows up on reload. A failed
 * call shows its reason in place of the list instead of failing the whole page.
 */
export async function loadBranches(data: AltegioData, configured: readonly number[]): Promise<BranchInfo[]> {
  let ids: number[];
  try {
    ids = await data.servedBranchIds();
  } catch {
    ids = [];
  }
  for (const id of configured) if (!ids.includes(id)) ids.push(id);
  return Promise.all(
    ids.map(async (id): Promise<BranchInfo> => {
      const [company, staff, categories] = await Promise.allSettled([
        data.altegio.getCompany(id),
        data.altegio.staff(id),
        data.altegio.clientCategories(id),
      ]);
      return {
        id,
        title: company.status === 'fulfilled' ? company.value.title : `#${id}`,
        staff:
          staff.status === 'fulfilled'
            ? staff.value.filter((s) => !s.deleted && !s.fired).map((s) => ({ id: s.id, name: s.name }))
            : { error: reason(staff.reason) },
        // Entity 1 labels are client categories; record labels (entity 2) are not what the seed means.
        categories:
          categories.status === 'fulfilled'
            ? categories.value.filter((c) => c.entity === 1).map((c) => ({ id: c.id, title: c.title }))
            : { error: reason(categories.reason) },
      };
    }),
  );
}

/**
 * The branch a template preview is drawn for: the first one served, named as in Altegio. Only the
 * (cached) company is asked for, since the preview is drawn on every keystroke.
 */
export async function firstBranch(
  data: AltegioData,
  configured: readonly number[],
): Promise<{ id: number; title: string } | undefined> {
  let id = configured[0];
  if (id === undefined) id = (await data.servedBranchIds().catch(() => []))[0];
  if (id === undefined) return undefined;
  const company = await data.altegio.getCompany(id).catch(() => undefined);
  return { id, title: company?.title ?? `#${id}` };
}
