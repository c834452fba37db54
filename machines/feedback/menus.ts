/**
 * What the feedback dialogue says, as channel-neutral {@link ReplyMessage}s. Every phrase key the
 * feedback machine can emit is listed in {@link FEEDBACK_PHRASE_KEYS}, which the locale tests check
 * against all three languages.
 *
 * @module
 */
import { RATINGS } from '../../src/domain/feedback.js';
import type { Phrase, ReplyMessage, ReplyOption } from '../shared/events.js';

// === Phrase keys

/** Every phrase key the feedback machine can emit. */
export const FEEDBACK_PHRASE_KEYS = [
  'feedback.request',
  'feedback.chooseRating',
  'feedback.poor',
  'feedback.thanks',
  'feedback.thanksReview',
  'feedback.saveFailed',
  'feedback.commentHint',
  'feedback.commentThanks',
  'feedback.commentFailed',
  'feedback.alreadyRated',
  'feedback.oldMenu',
  'feedback.pleaseWait',
  'feedback.timedOut',
] as const;

/** A phrase key of the feedback dialogue; a typo is a compile error, not a raw key in a chat. */
export type FeedbackPhraseKey = (typeof FEEDBACK_PHRASE_KEYS)[number];

function phrase(key: FeedbackPhraseKey, params?: Phrase['params']): Phrase {
  return params ? { key, params } : { key };
}

/** A message that is only text. */
export function say(key: FeedbackPhraseKey, params?: Phrase['params']): ReplyMessage {
  return { text: phrase(key, params) };
}

// === Options

/**
 * One option per rating, worst first. The value is the rating's digit, so a WhatsApp answer `4`
 * is option 4 and value `4` at once; the label is stars, which read the same in every language.
 */
export const RATING_OPTIONS: readonly ReplyOption[] = RATINGS.map((rating) => ({
  value: String(rating),
  label: '⭐'.repeat(rating),
}));

// === Messages

/** The request itself: the salon's template, already rendered by the notify layer, with the ratings. */
export function ratingMenu(text: string): ReplyMessage {
  return { text: phrase('feedback.request', { text }), options: [...RATING_OPTIONS] };
}

/** A nudge with the ratings again, for anything that is not one (WhatsApp has no buttons to scroll back to). */
export function chooseRatingMenu(): ReplyMessage {
  return { text: phrase('feedback.chooseRating'), options: [...RATING_OPTIONS] };
}

/** Thanks for a good rating, with the branch's review link when the salon set one. */
export function thanksMessage(reviewLink: string | null): ReplyMessage {
  return reviewLink ? say('feedback.thanksReview', { link: reviewLink }) : say('feedback.thanks');
}
