/**
 * The feedback dialogue's view of a visit: what the runtime passes to the feedback machine's
 * invoked actors, plus the pure rules for ratings and comments. Nothing here performs I/O, so
 * `machines/` may import it.
 *
 * @module
 */

/** The ratings a client can give, worst first (Telegram buttons, WhatsApp digits `1`–`5`). */
export const RATINGS = [1, 2, 3, 4, 5] as const;

/** One of {@link RATINGS}. */
export type Rating = (typeof RATINGS)[number];

/** Narrows a number to a {@link Rating}. */
export function isRating(value: number): value is Rating {
  return (RATINGS as readonly number[]).includes(value);
}

/** `feedback.poorRatingAtMost`: a rating at or below it gets an apology and, if enabled, a task. */
export function isPoorRating(rating: number, poorRatingAtMost: number): boolean {
  return rating <= poorRatingAtMost;
}

/**
 * Longest comment kept. A messenger message can be longer (WhatsApp allows 65k characters), but
 * a task is read by a person on a phone, and the snapshot holds the comment while it is saved.
 */
export const MAX_COMMENT_LENGTH = 4000;

/**
 * A typed comment ready to store: trimmed and capped at {@link MAX_COMMENT_LENGTH}; `null` when
 * nothing is left, so an empty message is not filed as "what went wrong".
 */
export function normalizeComment(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  return trimmed.length > MAX_COMMENT_LENGTH ? `${trimmed.slice(0, MAX_COMMENT_LENGTH - 1)}…` : trimmed;
}

// === What the feedback machine asks the runtime for

/** The visit being rated. */
export interface FeedbackRecord {
  /** Altegio `company_id` (the branch). */
  companyId: number;
  /** Altegio `record_id`. */
  recordId: number;
}

/** Input of `saveRating`. */
export interface SaveRatingRequest extends FeedbackRecord {
  rating: Rating;
  /**
   * `${dialogueId}:rating`: one rating per request. A save that failed left nothing to repeat, and
   * one in flight when a snapshot was taken runs again with the same key, so the runtime can keep
   * the first.
   */
  idempotencyKey: string;
}

/** Input of `saveComment`: the runtime attaches it to the poor-rating task of the same record. */
export interface SaveCommentRequest extends FeedbackRecord {
  comment: string;
  /** `${dialogueId}:comment`. */
  idempotencyKey: string;
}

/**
 * What the feedback dialogue needs stored, as the runtime implements it (ratings and comments are
 * kept with the record). Each may reject; the machine then asks the client to answer again.
 */
export interface FeedbackPort {
  saveRating(request: SaveRatingRequest, signal: AbortSignal): Promise<void>;
  saveComment(request: SaveCommentRequest, signal: AbortSignal): Promise<void>;
}
