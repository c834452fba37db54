/** What a failed Bot API call means for whoever made it. */
import { TelegramError } from 'telegraf';
import { ChannelSendError, describeError } from './channel.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * What the dispatcher needs from a failed API call: 429 → retry after the server's `retry_after`;
 * 5xx and network failures → retry with backoff; 403 (the client blocked the bot, deleted their
 * account, never started it) → give up and mark the chat unreachable; other API errors (400 bad
 * request, 401 bad token) → give up. The token is scrubbed from the message and no raw cause is
 * kept, since network errors carry the request URL.
 */
export function toChannelSendError(
  error: unknown,
  redact: (text: string) => string = (text) => text,
): ChannelSendError {
  if (error instanceof ChannelSendError) return error;
  if (error instanceof TelegramError) {
    const summary = redact(`telegram ${error.code}: ${error.description}`);
    if (error.code === 429) {
      const seconds = error.parameters?.retry_after ?? 1;
      return new ChannelSendError(summary, true, seconds * 1000);
    }
    if (error.code === 403) return new ChannelSendError(summary, false, undefined, { unreachable: true });
    return new ChannelSendError(summary, error.code >= 500);
  }
  return new ChannelSendError(redact(`telegram call failed: ${describeError(error)}`), isNetworkError(error));
}

/** A failure to reach the Bot API at all (as opposed to an answer from it). */
export function isNetworkError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'FetchError' ||
      error.name === 'AbortError' ||
      NETWORK_CODES.has(String((error as Error & { code?: unknown }).code)))
  );
}
