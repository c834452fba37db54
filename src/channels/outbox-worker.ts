import type { Clock } from '../domain/clock.js';
import type { Logger } from '../log.js';
import { createDueLoop, type TimerHost } from '../scheduling/due-loop.js';
import type { ConversationsPort, OutboxPort } from '../store/index.js';
import { ChannelSendError, type OutboundMessage } from './channel.js';
import type { Dispatcher, DispatchItem } from './dispatcher.js';

/** A dispatcher item that remembers its outbox row. */
export interface OutboxItem extends DispatchItem {
  outboxId: number;
}

export interface OutboxWorkerOptions {
  outbox: OutboxPort;
  /**
   * Where a chat the messenger cannot reach (Telegram 403) is marked, so that notifications take
   * the next channel; a message that reaches it again clears the mark.
   */
  conversations?: Pick<ConversationsPort, 'markUnreachable' | 'markReachable' | 'listUnreachable'>;
  /**
   * A row refused because its chat is unreachable, after the chat was marked so: a notification it
   * carried can take the next channel (the notification worker's `refused`).
   */
  onRefused?(message: {
    idempotencyKey: string;
    channel: DispatchItem['channel'];
    reason: string;
  }): Promise<unknown>;
  /** Created by the caller with `onSent`/`onFailed` wired to {@link OutboxWorker.sent}/{@link OutboxWorker.failed}. */
  dispatcher: () => Dispatcher<OutboxItem>;
  /** Channels that can send now; a row for another channel waits. */
  isRunning(channel: DispatchItem['channel']): boolean;
  clock: Clock;
  logger: Logger;
  /** Longest pause between two looks at the outbox. Default 5 s. */
  pollMs?: number;
  /** Where sleeps come from (tests move a manual clock). Default: real timers. */
  sleepTimers?: TimerHost;
  /** A failed round (it is retried on the next look). Default: logged. */
  onError?(error: unknown): void;
}

export interface OutboxWorker {
  /** Releases the rows a crash left leased, then starts watching. */
  start(): Promise<void>;
  /** Something was queued: look now instead of at the next poll. */
  wake(): void;
  /** Records a sent row; a failure to record is logged (the row is sent again after its lease). */
  sent(item: OutboxItem): void;
  /** Records a failed row; a failure to record is logged (its lease runs out and it is retried). */
  failed(item: OutboxItem, error: Error): void;
  stop(): Promise<void>;
}

/**
 * Moves outbox rows to the dispatcher and records the outcome on the row. The outbox is the
 * durable half (a message queued by a committed step is never lost: rows left pending by a crash
 * are sent after restart); the dispatcher is the paced, in-memory half.
 */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { outbox, clock, logger } = options;
  const inFlight = new Set<number>();
  /** `channel:chatId` of chats marked unreachable, so that a send costs no write unless one was. */
  const unreachable = new Set<string>();
  const keyOf = (chat: Pick<DispatchItem, 'channel' | 'chatId'>) => `${chat.channel}:${chat.chatId}`;
  let dispatcher: Dispatcher<OutboxItem> | undefined;

  async function pump(): Promise<void> {
    if (!dispatcher) return;
    const now = clock.now();
    // Claimed rows are leased long enough to sit in the paced queue; ids already handed over are skipped.
    for (const row of await outbox.claimDue(now, { limit: 200, leaseMs: 15 * 60_000 })) {
      if (inFlight.has(row.id)) continue;
      if (!options.isRunning(row.channel)) {
        await outbox.fail(row.id, `channel ${row.channel} is not running`, {
          retryAt: now + 60_000,
          maxAttempts: 30,
        });
        continue;
      }
      inFlight.add(row.id);
      dispatcher.enqueue({
        outboxId: row.id,
        channel: row.channel,
        chatId: row.recipient,
        message: row.payload as OutboundMessage,
        priority: row.priority,
      });
    }
  }

  async function recordSent(item: OutboxItem): Promise<void> {
    inFlight.delete(item.outboxId);
    await outbox.markSent(item.outboxId, clock.now());
    if (unreachable.delete(keyOf(item))) {
      // The client unblocked the bot (they wrote, and our reply went through).
      await options.conversations?.markReachable(item.channel, item.chatId);
      logger.info({ channel: item.channel, chatId: item.chatId }, 'chat reachable again');
    }
  }

  async function recordFailed(item: OutboxItem, error: Error): Promise<void> {
    inFlight.delete(item.outboxId);
    // The dispatcher gave up after its quick retries. A passing outage (network, Telegram 5xx)
    // must not lose a reminder: the row waits and is tried again, for up to a day; only what can
    // never succeed (bot blocked, no such chat) fails for good.
    const retryable = error instanceof ChannelSendError && error.retryable;
    if (error instanceof ChannelSendError && error.unreachable) {
      unreachable.add(keyOf(item));
      await options.conversations?.markUnreachable(item.channel, item.chatId, error.message, clock.now());
      logger.warn(
        {
          channel: item.channel,
          chatId: item.channel === 'whatsapp' ? undefined : item.chatId,
          reason: error.message,
        },
        'chat unreachable: later notifications take the next channel',
      );
    }
    const row = await outbox.get(item.outboxId);
    const attempts = row?.attempts ?? 1;
    const state = retryable
      ? await outbox.fail(item.outboxId, error.message, {
          retryAt: clock.now() + Math.min(60_000 * 2 ** Math.min(attempts, 10), 3_600_000),
          maxAttempts: 30,
        })
      : await outbox.fail(item.outboxId, error.message);
    logger.warn(
      { outboxId: item.outboxId, channel: item.channel, reason: error.message, state },
      state === 'failed'
        ? 'message could not be sent, giving up'
        : 'message could not be sent yet, will retry',
    );
    if (row && error instanceof ChannelSendError && error.unreachable) {
      try {
        await options.onRefused?.({
          idempotencyKey: row.idempotencyKey,
          channel: item.channel,
          reason: error.message,
        });
      } catch (fault) {
        logger.error(
          { err: fault, outboxId: item.outboxId },
          'planning the next channel for a refused message failed',
        );
      }
    }
  }

  const loop = createDueLoop({
    nextDueAt: () => outbox.nextAttemptAt(),
    run: pump,
    onError:
      options.onError ??
      ((error) => logger.error({ err: error }, 'moving outbox rows to the dispatcher failed')),
    clock,
    maxSleepMs: options.pollMs ?? 5_000,
    ...(options.sleepTimers ? { timers: options.sleepTimers } : {}),
  });

  return {
    async start() {
      dispatcher = options.dispatcher();
      for (const chat of (await options.conversations?.listUnreachable()) ?? []) unreachable.add(keyOf(chat));
      const released = await outbox.releaseLeases(clock.now());
      if (released > 0) logger.info({ released }, 'resending messages interrupted by the last stop');
      void loop.start();
    },
    wake() {
      // Steps queue messages due now: many steps in one tick share one look at the outbox.
      loop.runNow();
    },
    sent(item) {
      recordSent(item).catch((error: unknown) =>
        logger.error({ err: error, outboxId: item.outboxId }, 'recording a sent message failed'),
      );
    },
    failed(item, error) {
      recordFailed(item, error).catch((fault: unknown) =>
        logger.error({ err: fault, outboxId: item.outboxId }, 'recording a failed message failed'),
      );
    },
    async stop() {
      await loop.stop();
      await dispatcher?.stop();
    },
  };
}
