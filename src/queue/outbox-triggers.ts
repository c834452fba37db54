/**
 * Outgoing messages on pg-boss, for the Postgres mode: the seam between the `outbox` table and the
 * queue, built like the notification jobs' (`job-triggers.ts`). The table stays the truth about a
 * message (payload, idempotency key, attempts, state, lease); what changes is who decides when it
 * is looked at. Instead of every process polling the table, each row enqueued gets a pg-boss job,
 * a *trigger* for its chat (`{ channel, recipient }`, `startAfter` = the row's due time), sent in
 * the same transaction as the row through the store's current connection.
 *
 * A fired trigger works its chat, not one row: it takes the chat's oldest due row with one
 * conditional update under the chat's advisory lock, and only while no other row of the chat is
 * being sent (leased to a process), so one chat's messages go out one at a time, in the order they
 * were written, whichever process holds the trigger; the process sending takes the chat's next
 * row once the send is over. A trigger that finds the chat busy does nothing (the sender goes on);
 * one that finds the chat's rows due later (a failed send's retry time, a `notBefore`) waits for
 * them through pg-boss's `startAfter`. Rows without a trigger (written before this mode, or freed
 * from a killed process's lease) are given one at start and after each such release (`adopt`).
 *
 * @module
 */
import { z } from 'zod';
import { CHAT_CHANNELS } from '../domain/channels.js';
import type { Logger } from '../log.js';
import type { OutboxMessage } from '../store/index.js';
import type { PostgresStore } from '../store/pg/index.js';
import type { OutboxPort } from '../store/ports.js';
import { currentClient, type SqlClient } from './pg-boss.js';
import type { JobQueue, QueueDefinition } from './port.js';

const chatSchema = z.object({ channel: z.enum(CHAT_CHANNELS), recipient: z.string() });
/** What a trigger carries: the chat whose messages it sends. */
export type OutboxTriggerData = z.infer<typeof chatSchema>;

export function parseOutboxTriggerData(raw: unknown): OutboxTriggerData {
  return chatSchema.parse(raw);
}

/**
 * Longest hold of a trigger, and of a row's lease while it sits in this process's paced queue; a
 * killed process's trigger is run again after it, and its lease is freed sooner by a live process
 * (see the outbox worker's lease check).
 */
export const OUTBOX_RUN_LIMIT_MS = 5 * 60_000;

/** Attempts and backoff of a send are the table's (`outbox.fail`); pg-boss's retries cover a trigger that threw. */
export const OUTBOX_QUEUE: QueueDefinition = {
  name: 'outbox-messages',
  retry: { attempts: 20, delaySeconds: 5 },
  runLimitSeconds: OUTBOX_RUN_LIMIT_MS / 1000,
};

export type OutboxQueue = JobQueue<OutboxTriggerData, SqlClient>;

/** What a claim of a chat finds. */
export type ChatClaim =
  | { row: OutboxMessage }
  /** Another row of the chat is being sent. */
  | { busy: true }
  /** Nothing due now. */
  | undefined;

/** The store's outbox on Postgres with pg-boss deciding when a chat's messages are looked at. */
export interface OutboxTriggers {
  readonly queue: OutboxQueue;
  /** Takes the chat's oldest due row for `owner`, leased for `leaseMs`, unless the chat is busy. */
  claimChat(
    chat: OutboxTriggerData,
    now: number,
    owner: number | undefined,
    leaseMs: number,
  ): Promise<ChatClaim>;
  /** The soonest due time among the chat's pending rows not being sent. */
  nextDue(chat: OutboxTriggerData): Promise<number | undefined>;
  /** Gives each chat with pending rows a trigger at its soonest due time; answers how many. */
  adopt(now: number): Promise<number>;
}

const PRIORITY = { interactive: 1, bulk: 0 } as const;

/**
 * The store with `outbox.enqueue` sending a trigger with every row it adds, in the caller's
 * transaction (or one of its own). Everything else passes through.
 */
export function withOutboxTriggers(
  store: PostgresStore,
  queue: OutboxQueue,
  logger: Logger,
): { store: PostgresStore; triggers: OutboxTriggers } {
  const base = store.outbox;
  const client = currentClient(store);

  const outbox: OutboxPort = {
    ...base,
    async enqueue(message) {
      return store.transaction(async () => {
        if (!(await base.enqueue(message))) return false;
        const row = await base.byIdempotencyKey(message.idempotencyKey);
        if (row)
          await queue.enqueue(
            {
              key: `outbox:${row.id}`,
              data: { channel: row.channel, recipient: row.recipient },
              dueAt: row.nextAttemptAt,
              priority: PRIORITY[row.priority],
            },
            client,
          );
        // The caller's `onOutbox` wakes the workers once its transaction has committed.
        return true;
      });
    },
  };

  const triggers: OutboxTriggers = {
    queue,
    async claimChat(chat, now, owner, leaseMs) {
      const taken = await store.transaction(async () => {
        // One claimer per chat at a time: the busy check and the claim below see each other.
        await store.lock(`outbox-chat:${chat.channel}:${chat.recipient}`);
        const busy = await store.executeSql(
          `SELECT 1 FROM outbox WHERE channel = $1 AND recipient = $2 AND state = 'pending'
             AND lease_owner IS NOT NULL AND next_attempt_at > $3 LIMIT 1`,
          [chat.channel, chat.recipient, now],
        );
        if (busy.rows.length > 0) return 'busy' as const;
        const claimed = await store.executeSql(
          `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $4, lease_owner = $5
           WHERE id = (SELECT id FROM outbox WHERE channel = $1 AND recipient = $2 AND state = 'pending'
                         AND next_attempt_at <= $3 ORDER BY id LIMIT 1)
           RETURNING id`,
          [chat.channel, chat.recipient, now, now + leaseMs, owner ?? null],
        );
        const id = claimed.rows[0]?.id;
        return id === undefined ? undefined : Number(id);
      });
      if (taken === 'busy') return { busy: true };
      if (taken === undefined) return undefined;
      const row = await base.get(taken);
      return row ? { row } : undefined;
    },
    async nextDue(chat) {
      const { rows } = await store.executeSql(
        `SELECT min(next_attempt_at)::text AS next FROM outbox
         WHERE channel = $1 AND recipient = $2 AND state = 'pending' AND lease_owner IS NULL`,
        [chat.channel, chat.recipient],
      );
      const next = rows[0]?.next;
      return typeof next === 'string' ? Number(next) : undefined;
    },
    async adopt(now) {
      const { rows } = await store.executeSql(
        `SELECT channel, recipient, min(next_attempt_at)::text AS due, max(CASE WHEN priority = 'interactive' THEN 1 ELSE 0 END) AS priority
         FROM outbox WHERE state = 'pending' GROUP BY channel, recipient`,
      );
      // A duplicate trigger costs one claim that finds nothing; a missing one would strand a chat.
      for (const row of rows) {
        const chat = parseOutboxTriggerData(row);
        await queue.enqueue(
          {
            key: `outbox-adopted:${chat.channel}:${chat.recipient}:${now}`,
            data: chat,
            dueAt: Number(row.due),
            priority: Number(row.priority),
          },
          undefined,
        );
      }
      if (rows.length > 0)
        logger.info({ chats: rows.length }, 'chats with messages waiting were given a trigger');
      return rows.length;
    },
  };

  return { store: { ...store, outbox }, triggers };
}
