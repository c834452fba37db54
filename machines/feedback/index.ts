/**
 * The feedback dialogue (rate a visit, comment on a poor one): the machine, its version, and what
 * the runtime needs to wire it.
 *
 * @module
 */
export {
  commentRequest,
  FEEDBACK_MACHINE_VERSION,
  type FeedbackContext,
  type FeedbackEvent,
  type FeedbackInput,
  feedbackActors,
  feedbackMachine,
  ratingRequest,
} from './feedback.machine.js';
export { FEEDBACK_PHRASE_KEYS, type FeedbackPhraseKey, RATING_OPTIONS } from './menus.js';
