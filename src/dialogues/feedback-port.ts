import type { FeedbackPort } from '../domain/feedback.js';
import type { Store } from '../store/index.js';

/**
 * Where ratings and comments go: the ratings table, kept with the record they rate, and the
 * comment also onto the poor-rating task the dialogue created, so the admin reads it there.
 * Both writes are idempotent (a repeated save stores the same value again).
 */
export function createStoreFeedbackPort(store: Store): FeedbackPort {
  return {
    async saveRating({ companyId, recordId, rating }) {
      await store.ratings.rate(companyId, recordId, rating);
    },
    async saveComment({ companyId, recordId, comment }) {
      await store.transaction(async () => {
        await store.ratings.comment(companyId, recordId, comment);
        const task = await store.tasks.latestForRecord(companyId, recordId, 'poor-rating');
        if (task) await store.tasks.setComment(task.id, comment);
      });
    },
  };
}
