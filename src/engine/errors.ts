/**
 * The engine's one error hook, like grammY's `bot.catch`: every error that no caller is left to
 * handle (a worker's round, the deadline sweeper, a webhook being processed, a chat message's
 * step, a Telegram update or the polling loop, a reconcile sync with Altegio) reaches it with the part it came from. The default
 * logs it.
 *
 * @module
 */
import type { Logger } from '../log.js';

/** The parts that report errors through the hook. */
export type ErrorSource =
  | 'dialogues'
  | 'sweeper'
  | 'outbox'
  | 'notifications'
  | 'ingest'
  | 'telegram'
  | 'sync';

export interface EngineErrorContext {
  part: ErrorSource;
  error: unknown;
  /** What the part was doing, in words (e.g. "processing an Altegio webhook"). */
  during: string;
  /** The chat it was for, when there is one; its id is masked in the default log line. */
  chat?: { channel: string; chatId: string };
}

export type EngineErrorHandler = (context: EngineErrorContext) => void;

// Digit runs long enough to be a phone (or a card number): only the last four stay readable.
const LONG_DIGITS = /\+?\d[\d ()-]{8,}\d/g;

/** An error's message and stack with phone-like numbers masked; the logger redacts the rest. */
export function describeError(error: unknown): { type: string; message: string; stack?: string } {
  const mask = (text: string) =>
    text.replace(LONG_DIGITS, (digits) => `***${digits.replace(/\D/g, '').slice(-4)}`);
  if (error instanceof Error) {
    return {
      type: error.name,
      message: mask(error.message),
      ...(error.stack ? { stack: mask(error.stack) } : {}),
    };
  }
  return { type: typeof error, message: mask(String(error)) };
}

/** The default hook: one error line naming the part. Tokens and phones never reach it. */
export function logEngineError(logger: Logger): EngineErrorHandler {
  return ({ part, error, during, chat }) => {
    logger.error(
      { part, err: describeError(error), ...(chat ? { channel: chat.channel, chatId: chat.chatId } : {}) },
      `${during} failed`,
    );
  };
}

/**
 * The hook as parts call it: a handler that throws must not take a worker down with it, so its
 * own failure is logged and swallowed.
 */
export function guardErrorHandler(handler: EngineErrorHandler, logger: Logger): EngineErrorHandler {
  return (context) => {
    try {
      handler(context);
    } catch (failure) {
      logger.error({ part: context.part, err: describeError(failure) }, 'the error hook itself threw');
      logEngineError(logger)(context);
    }
  };
}
