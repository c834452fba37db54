/**
 * Long polling of `getUpdates` that outlives the faults a deployed bot meets. telegraf's own loop
 * ends for good on a 409 Conflict (another process polls with the same token, as during a rolling
 * deploy) and on a 401; this one keeps going with backoff on everything but a rejected token, and
 * reports how it is doing, so that `/health` can say Telegram is degraded instead of ok.
 */
import type { Telegram } from 'telegraf';
import { TelegramError } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { Logger } from '../log.js';
import { type ChannelHealth, describeError } from './channel.js';

type AbortSignalOption = NonNullable<NonNullable<Parameters<Telegram['callApi']>[2]>['signal']>;

export interface PollingOptions {
  telegram: Telegram;
  /**
   * Handles one update; it should return quickly (the runtime queues the work). An update it
   * rejects is not confirmed to Telegram and comes again with the next poll.
   */
  handle(update: Update): Promise<void>;
  allowedUpdates: Array<'message' | 'callback_query'>;
  logger: Logger;
  redact(text: string): string;
  /** Long-poll timeout asked of Telegram, in seconds (default 50, as telegraf does). */
  timeoutSeconds?: number;
  /** Waits between failed polls: base·2^(n-1), capped. Default 1 s to 30 s. */
  backoff?: { baseMs?: number; maxMs?: number };
  now?: () => number;
  /** Polling ended for good (Telegram rejected the token): the channel is no longer running. */
  onGiveUp?(reason: string): void;
  /** The loop stopped with an unexpected error (its text has the token redacted). Default: logged. */
  onError?(error: Error, during: string): void;
}

export interface Polling {
  /** Resolves once the loop has ended and the handled updates are confirmed to Telegram. */
  stop(): Promise<void>;
  health(): ChannelHealth;
}

/** Starts the loop at once; the first `getUpdates` goes out in this tick. */
export function startPolling(options: PollingOptions): Polling {
  const { telegram, logger, redact } = options;
  const now = options.now ?? Date.now;
  const timeout = options.timeoutSeconds ?? 50;
  const baseMs = options.backoff?.baseMs ?? 1000;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const controller = new AbortController();
  let offset = 0;
  let health: ChannelHealth = { status: 'ok' };
  let wake: (() => void) | undefined;
  /** Whether the last poll was refused in a way that also refuses confirming the offset. */
  let refused = false;

  const setHealth = (next: ChannelHealth): void => {
    if (next.status === 'ok') {
      if (health.status !== 'ok') logger.info({ was: health.reason }, 'telegram polling recovered');
      health = { status: 'ok' };
      return;
    }
    const since = health.status === next.status ? health.since : undefined;
    health = { ...next, since: since ?? now() };
  };

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (!controller.signal.aborted) {
      let updates: Update[];
      try {
        updates = await telegram.callApi(
          'getUpdates',
          { timeout, offset, allowed_updates: options.allowedUpdates },
          // telegraf types the signal of its bundled polyfill; node-fetch takes the native one.
          { signal: controller.signal as unknown as AbortSignalOption },
        );
      } catch (error) {
        if (controller.signal.aborted) break;
        failures++;
        const delay = problem(error, failures);
        if (delay === undefined) return;
        await pause(delay);
        continue;
      }
      failures = 0;
      refused = false;
      setHealth({ status: 'ok' });
      for (const update of updates) {
        try {
          await options.handle(update);
        } catch (error) {
          // Not confirmed: the next poll, after a pause, gets it again (the handler could not keep it).
          logger.error({ error: redact(describeError(error)), updateId: update.update_id }, 'update failed');
          await pause(baseMs);
          break;
        }
        offset = Math.max(offset, update.update_id + 1);
      }
    }
  };

  /** Logs a failed poll and says how long to wait before the next, or undefined to give up. */
  const problem = (error: unknown, failures: number): number | undefined => {
    const backoff = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 20));
    if (error instanceof TelegramError && error.code === 401) {
      refused = true;
      // Degraded, not merely stopped: the engine was configured for Telegram and cannot serve it.
      health = {
        status: 'degraded',
        reason: 'Telegram rejected the bot token (401): polling stopped',
        since: now(),
      };
      logger.error('telegram rejected the bot token (401): polling stopped');
      options.onGiveUp?.(health.reason ?? '');
      return undefined;
    }
    if (error instanceof TelegramError && error.code === 409) {
      refused = true;
      setHealth({
        status: 'degraded',
        reason: 'another process is receiving this bot’s updates (409 Conflict)',
      });
      logger.warn(
        { retryInMs: backoff, failures },
        'telegram getUpdates conflict (409): another instance polls or a webhook is set; retrying',
      );
      return backoff;
    }
    if (error instanceof TelegramError && error.code === 429) {
      const seconds = error.parameters?.retry_after ?? 1;
      logger.warn({ retryInMs: seconds * 1000 }, 'telegram getUpdates rate limited; waiting as asked');
      return seconds * 1000;
    }
    const summary = redact(describeError(error));
    setHealth({ status: 'degraded', reason: `getUpdates failed: ${summary}` });
    logger.warn({ error: summary, retryInMs: backoff, failures }, 'telegram getUpdates failed; retrying');
    return backoff;
  };

  const running = loop().catch((error: unknown) => {
    health = { status: 'degraded', reason: `polling stopped: ${redact(describeError(error))}`, since: now() };
    if (options.onError) options.onError(new Error(health.reason), 'polling Telegram');
    else logger.error({ error: health.reason }, 'telegram polling stopped with an error');
    options.onGiveUp?.(health.reason ?? '');
  });

  return {
    async stop() {
      controller.abort();
      wake?.();
      await running;
      if (refused || offset === 0) return;
      // Confirms what was handed over, so the next start does not get it again (as telegraf does).
      await telegram.callApi('getUpdates', { offset, limit: 1, timeout: 0 }).catch((error: unknown) => {
        logger.debug({ error: redact(describeError(error)) }, 'confirming the update offset failed');
      });
    },
    health: () => health,
  };
}
