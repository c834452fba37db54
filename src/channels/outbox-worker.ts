import type { Clock } from '../domain/clock.js';
import type { Logger } from '../log.js';
import {
  OUTBOX_RUN_LIMIT_MS,
  type OutboxTriggerData,
  type OutboxTriggers,
} from '../queue/outbox-triggers.js';
import type { JobOutcome, QueueJob } from '../queue/port.js';
import { createDueLoop, type TimerHost } from '../scheduling/due-loop.js';
import type { ConversationsPort, OutboxPort } from '../store/index.js';
import { ChannelSendError, type OutboundMessage } from './channel.js';
import type { Dispatcher, DispatchItem } from './dispatcher.js';

/** A dispatcher item that remembers its outbox row. */
export interface OutboxItem extends DispatchItem {
  outboxId: number;
}

/**
 * Who holds this process's outbox leases, where several processes share one database (Postgres):
 * the rows it claims carry its id, and only leases of processes no longer live are freed.
 */
export interface LeaseOwnership {
  /** This process's id (its `engine_instances` row), recorded on each row it claims. */
  readonly owner: number;
  /** The ids of the processes live now, this one's included. */
  liveOwners(): Promise<ReadonlySet<number>>;
}

export interface OutboxWorkerOptions {
  outbox: OutboxPort;
  /**
   * Set where processes share the database. Left out (SQLite, one process), a start frees every
   * lease, since any lease found then was left by this database's last process.
   */
  leases?: LeaseOwnership | undefined;
  /** How often a running process frees the leases of processes gone since. Default 60 s. */
  leaseCheckMs?: number;
  /**
   * On Postgres: pg-boss triggers say when a chat has messages to send (`queue/outbox-triggers.ts`),
   * instead of this worker polling the table.
   */
  triggers?: OutboxTriggers | undefined;
  /** Chats sent to at once by this process on pg-boss. Default 8 (each idle slot is a poll). */
  concurrency?: number;
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
  /** Releases the rows a crash left leased (only those of processes gone), then starts watching. */
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
  const { leases } = options;
  const leaseCheckMs = options.leaseCheckMs ?? 60_000;
  let leasesCheckedAt = Number.NEGATIVE_INFINITY;

  /**
   * Makes the rows leased by processes no longer live due now, so that what a killed process was
   * sending goes out without waiting for its lease to run out; at start, this process's own leases
   * (from before a restart of its workers) too. A live process's leases are left alone: its
   * messages are in its dispatcher and would be sent twice. Without `leases`, every lease.
   */
  async function releaseStale(now: number, atStart: boolean): Promise<number> {
    if (!leases) return atStart ? outbox.releaseLeases(now) : 0;
    // The owners are read before who is live: a process that registers after the first read
    // holds none of the leases read, so none of its leases can be taken for a dead one's.
    const owners = await outbox.leaseOwners(now);
    if (owners.length === 0 && !atStart) return 0;
    const live = await leases.liveOwners();
    const gone = owners.filter((owner) => (owner === leases.owner ? atStart : !live.has(owner)));
    if (gone.length === 0 && !atStart) return 0;
    // At start, also what has no owner: leases taken before owners were recorded, and rows
    // waiting for a retry (tried again now, as a start always did).
    return outbox.releaseLeases(now, { owners: gone, ownerless: atStart });
  }

  async function pump(): Promise<void> {
    if (!dispatcher) return;
    const now = clock.now();
    if (leases && now - leasesCheckedAt >= leaseCheckMs) {
      leasesCheckedAt = now;
      const released = await releaseStale(now, false);
      if (released > 0) logger.info({ released }, 'resending messages of a process that stopped');
    }
    // Claimed rows are leased long enough to sit in the paced queue; ids already handed over are skipped.
    const claim = { limit: 200, leaseMs: 15 * 60_000, ...(leases ? { owner: leases.owner } : {}) };
    for (const row of await outbox.claimDue(now, claim)) {
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

  /** Rows a trigger handed to the dispatcher, each settled once its outcome is recorded. */
  const settles = new Map<number, () => void>();
  let stopping = false;
  const settle = (id: number) => {
    settles.get(id)?.();
    settles.delete(id);
  };

  /**
   * A fired trigger sends its chat's due messages one at a time, oldest first, each through the
   * paced dispatcher, then waits for the chat's next due time if any (see `queue/outbox-triggers.ts`).
   */
  async function runChat(job: QueueJob<OutboxTriggerData>): Promise<JobOutcome | undefined> {
    const { triggers } = options;
    if (!triggers) return undefined;
    const chat = job.data;
    while (!stopping && dispatcher) {
      const now = clock.now();
      const claim = await triggers.claimChat(chat, now, leases?.owner, OUTBOX_RUN_LIMIT_MS);
      // The process sending the chat's current message takes its next one.
      if (claim && 'busy' in claim) return undefined;
      if (!claim) break;
      const { row } = claim;
      if (!options.isRunning(row.channel)) {
        await outbox.fail(row.id, `channel ${row.channel} is not running`, {
          retryAt: now + 60_000,
          maxAttempts: 30,
        });
        continue;
      }
      const target = dispatcher;
      await new Promise<void>((resolve) => {
        settles.set(row.id, resolve);
        const queued = target.enqueue({
          outboxId: row.id,
          channel: row.channel,
          chatId: row.recipient,
          message: row.payload as OutboundMessage,
          priority: row.priority,
        });
        // Stopped: the row keeps its lease and is freed at the next start.
        if (!queued) settle(row.id);
      });
    }
    if (stopping) return undefined;
    const next = await triggers.nextDue(chat);
    if (next === undefined) return undefined;
    return {
      postpone: { until: Math.max(next, clock.now() + 500), reason: 'the chat has messages due later' },
    };
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

  let leaseTimer: ReturnType<typeof setInterval> | undefined;

  async function startTriggers(triggers: OutboxTriggers): Promise<void> {
    // A chat is busy while one of its rows is leased to a process: without owners, a leased row
    // and one waiting for its retry look alike.
    if (!leases) throw new Error('outbox triggers need lease ownership (the process registry)');
    stopping = false;
    dispatcher = options.dispatcher();
    for (const chat of (await options.conversations?.listUnreachable()) ?? []) unreachable.add(keyOf(chat));
    const released = await releaseStale(clock.now(), true);
    if (released > 0) logger.info({ released }, 'resending messages interrupted by the last stop');
    await triggers.adopt(clock.now());
    await triggers.queue.work(runChat, { concurrency: options.concurrency ?? 8 });
    // A killed process's chats are freed by whoever is live, and given a trigger again.
    leaseTimer = setInterval(() => {
      void (async () => {
        const now = clock.now();
        if ((await releaseStale(now, false)) > 0) {
          logger.info('resending messages of a process that stopped');
          await triggers.adopt(now);
        }
      })().catch((error: unknown) =>
        logger.warn({ err: error }, 'freeing the outbox leases of stopped processes failed'),
      );
    }, leaseCheckMs);
    leaseTimer.unref();
  }

  return {
    async start() {
      if (options.triggers) return startTriggers(options.triggers);
      dispatcher = options.dispatcher();
      for (const chat of (await options.conversations?.listUnreachable()) ?? []) unreachable.add(keyOf(chat));
      const now = clock.now();
      const released = await releaseStale(now, true);
      leasesCheckedAt = now;
      if (released > 0) logger.info({ released }, 'resending messages interrupted by the last stop');
      void loop.start();
    },
    wake() {
      if (options.triggers) {
        options.triggers.queue.wake();
        return;
      }
      // Steps queue messages due now: many steps in one tick share one look at the outbox.
      loop.runNow();
    },
    sent(item) {
      recordSent(item)
        .catch((error: unknown) =>
          logger.error({ err: error, outboxId: item.outboxId }, 'recording a sent message failed'),
        )
        .finally(() => settle(item.outboxId));
    },
    failed(item, error) {
      recordFailed(item, error)
        .catch((fault: unknown) =>
          logger.error({ err: fault, outboxId: item.outboxId }, 'recording a failed message failed'),
        )
        .finally(() => settle(item.outboxId));
    },
    async stop() {
      if (options.triggers) {
        stopping = true;
        clearInterval(leaseTimer);
        // Queued sends are dropped (their rows keep their leases until the next start frees them),
        // so the triggers waiting on them end, and the queue's workers can stop.
        await dispatcher?.stop();
        for (const id of [...settles.keys()]) settle(id);
        await options.triggers.queue.stopWork();
        return;
      }
      await loop.stop();
      await dispatcher?.stop();
    },
  };
}
