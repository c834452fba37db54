/**
 * Ratings: what clients answered to feedback requests, kept with the record they rate.
 *
 * @module
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db, Now } from './db.js';
import { type Rating, ratings } from './schema.js';

export interface RatingsRepo {
  /** Stores (or replaces) the rating of a record. */
  rate(companyId: number, recordId: number, rating: number): void;
  /** Attaches the client's comment to the record's rating; false when it was never rated. */
  comment(companyId: number, recordId: number, comment: string): boolean;
  get(companyId: number, recordId: number): Rating | undefined;
}

export function createRatings(db: Db, now: Now = Date.now): RatingsRepo {
  const key = (companyId: number, recordId: number) =>
    and(eq(ratings.companyId, companyId), eq(ratings.recordId, recordId));
  return {
    rate(companyId, recordId, rating) {
      const at = now();
      db.insert(ratings)
        .values({ companyId, recordId, rating, createdAt: at, updatedAt: at })
        .onConflictDoUpdate({
          target: [ratings.companyId, ratings.recordId],
          set: { rating, updatedAt: sql`${at}` },
        })
        .run();
    },
    comment(companyId, recordId, comment) {
      return (
        db.update(ratings).set({ comment, updatedAt: now() }).where(key(companyId, recordId)).run().changes >
        0
      );
    },
    get(companyId, recordId) {
      return db.select().from(ratings).where(key(companyId, recordId)).get();
    },
  };
}
