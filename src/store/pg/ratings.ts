/**
 * Ratings on Postgres; the semantics are those of `../ratings.ts`.
 *
 * @module
 */
import { and, eq } from 'drizzle-orm';
import type { Now } from '../db.js';
import type { RatingsPort } from '../ports.js';
import type { PgContext } from './db.js';
import { ratings } from './schema.js';

/** Creates the ratings repository. */
export function createPgRatings(ctx: PgContext, now: Now = Date.now): RatingsPort {
  const key = (companyId: number, recordId: number) =>
    and(eq(ratings.companyId, companyId), eq(ratings.recordId, recordId));
  return {
    async rate(companyId, recordId, rating) {
      const at = now();
      await ctx
        .db()
        .insert(ratings)
        .values({ companyId, recordId, rating, createdAt: at, updatedAt: at })
        .onConflictDoUpdate({
          target: [ratings.companyId, ratings.recordId],
          set: { rating, updatedAt: at },
        });
    },

    async comment(companyId, recordId, comment) {
      const result = await ctx
        .db()
        .update(ratings)
        .set({ comment, updatedAt: now() })
        .where(key(companyId, recordId));
      return (result.rowCount ?? 0) > 0;
    },

    async get(companyId, recordId) {
      const [row] = await ctx.db().select().from(ratings).where(key(companyId, recordId));
      return row;
    },
  };
}
