/**
 * Dialogue deadlines on pg-boss, for the Postgres mode: the seam between the `timers` table and
 * the queue, built like the notification jobs' (`job-triggers.ts`). The table stays the truth
 * about a dialogue's deadlines (what a hydrated actor gets back, what a step cancels, replaces or
 * marks fired, all in the step's transaction); what changes is who decides when one is due.
 * Instead of a sweeper polling the table, every row a step writes (a new deadline, a replaced
 * one, one put off after a failed delivery) gets a pg-boss job, a *trigger* (`{ timerId, dueAt }`,
 * `startAfter` = the due time), sent in the same transaction through the store's current
 * connection: it exists exactly when the row does, and pg-boss keeps its time across restarts.
 *
 * A trigger's key is `deadline:<dialogue>:<timer>:<due>`, so one deadline set once is enqueued
 * once, whichever process or retry writes it. A fired trigger re-reads its row and delivers it
 * through the runtime exactly as the sweeper would (the chat's queue, a fresh read, the dialogue
 * version's compare-and-set: two triggers for one deadline deliver it once). A trigger whose row
 * was cancelled, fired, or moved to another time finds nothing to do; the move sent a trigger of
 * its own. Rows left without a live trigger (written before this mode, or whose trigger pg-boss
 * gave up on) are given one at start (`adopt`).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { DialogueRuntime } from '../dialogues/runtime.js';
import type { DialogueStore, DueDeadline } from '../dialogues/store-port.js';
import type { Sweeper } from '../dialogues/sweeper.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../log.js';
import type { PostgresStore } from '../store/pg/index.js';
import { timers } from '../store/pg/schema.js';
import type { TimersPort } from '../store/ports.js';
import { currentClient, type SqlClient } from './pg-boss.js';
import type { JobOutcome, JobQueue, QueueCounts, QueueDefinition, QueueJob } from './port.js';

/** What a trigger carries: the row it is for, and the due time it was sent for. */
const triggerDataSchema = z.object({ timerId: z.number().int(), dueAt: z.number().int() });
export type DeadlineTriggerData = z.infer<typeof triggerDataSchema>;

export function parseDeadlineTriggerData(raw: unknown): DeadlineTriggerData {
  return triggerDataSchema.parse(raw);
}

/**
 * The queue of deadline triggers. A delivery that fails in the dialogue (Altegio down) is put
 * off a minute by the runtime, with a new trigger; pg-boss's retries (with backoff) cover a
 * trigger whose delivery threw (the database was away) or whose process died.
 */
export const DEADLINE_QUEUE: QueueDefinition = {
  name: 'dialogue-deadlines',
  retry: { attempts: 20, delaySeconds: 5 },
  // A step may wait long on Altegio calls queued behind the rate limit; past this it counts as dead.
  runLimitSeconds: 10 * 60,
};

export type DeadlineQueue = JobQueue<DeadlineTriggerData, SqlClient>;

/** The store's deadlines on Postgres with pg-boss deciding when each is due. */
export interface DeadlineTriggers {
  readonly queue: DeadlineQueue;
  /** What to do with a fired trigger: the deadline to deliver, a wait, or nothing. */
  resolve(data: DeadlineTriggerData, now: number): Promise<DeadlineStep>;
  /** Gives every pending row without a live trigger one; answers how many. */
  adopt(now: number): Promise<number>;
  /** Triggers waiting and running, for health figures. */
  counts(): Promise<QueueCounts>;
}

/** What a fired trigger leads to. */
export type DeadlineStep =
  | { deliver: DueDeadline }
  | { wait: number }
  | { nothing: 'gone' | 'fired' | 'moved' | 'dialogue ended' };

const KEY_PREFIX = 'deadline:';
const triggerKey = (dialogueId: number, timerId: number, dueAt: number) =>
  `${KEY_PREFIX}${dialogueId}:${timerId}:${dueAt}`;

/**
 * The store with its `timers` port sending a trigger with every row it makes pending (schedule,
 * reschedule), in the caller's transaction (a step's commit) or one of its own.
 */
export function withDeadlineTriggers(
  store: PostgresStore,
  queue: DeadlineQueue,
  logger: Logger,
): { store: PostgresStore; triggers: DeadlineTriggers } {
  const base = store.timers;
  const client = currentClient(store);

  /** The row as the current transaction sees it. */
  async function row(timerId: number) {
    const { rows } = await store.executeSql(
      'SELECT id, dialogue_id, due_at, fired_at FROM timers WHERE id = $1',
      [timerId],
    );
    const found = rows[0] as
      | { id: string; dialogue_id: string; due_at: string; fired_at: string | null }
      | undefined;
    if (!found) return undefined;
    return {
      id: Number(found.id),
      dialogueId: Number(found.dialogue_id),
      dueAt: Number(found.due_at),
      fired: found.fired_at !== null,
    };
  }

  async function trigger(dialogueId: number, timerId: number, dueAt: number): Promise<void> {
    const key = triggerKey(dialogueId, timerId, dueAt);
    const data = { timerId, dueAt };
    if (await queue.enqueue({ key, data, dueAt }, client)) return;
    // The key is known. A trigger still waiting will deliver the row; one already run (the same
    // deadline set again for the very same instant, as a zero delay on a still clock does) or
    // running now will not, so this row gets a trigger of its own.
    const state = await queue.state(key);
    if (state === 'queued') return;
    await queue.enqueue({ key: `${key}:again-${randomUUID()}`, data, dueAt }, client);
  }

  const wrapped: TimersPort = {
    ...base,
    schedule(dialogueId, timer) {
      return store.transaction(async () => {
        await base.schedule(dialogueId, timer);
        // The upsert keeps the row's id when it replaces a deadline of the same send id.
        const { rows } = await store.executeSql(
          'SELECT id FROM timers WHERE dialogue_id = $1 AND send_id = $2',
          [dialogueId, timer.sendId],
        );
        const scheduled = rows[0] as { id: string } | undefined;
        if (scheduled) await trigger(dialogueId, Number(scheduled.id), timer.dueAt);
      });
    },
    reschedule(id, dueAt) {
      return store.transaction(async () => {
        if (!(await base.reschedule(id, dueAt))) return false;
        const moved = await row(id);
        if (moved) await trigger(moved.dialogueId, moved.id, moved.dueAt);
        return true;
      });
    },
  };

  const triggers: DeadlineTriggers = {
    queue,
    async resolve(data, now) {
      const found = await row(data.timerId);
      if (!found) return { nothing: 'gone' };
      if (found.fired) return { nothing: 'fired' };
      if (found.dueAt !== data.dueAt) return { nothing: 'moved' };
      // pg-boss keeps time by the database server's clock, the runtime by this process's: a
      // trigger a little early by ours waits rather than being dropped as not due.
      if (found.dueAt > now) return { wait: found.dueAt };
      const dialogue = await store.dialogues.get(found.dialogueId);
      const conversation = dialogue && (await store.conversations.get(dialogue.conversationId));
      if (!dialogue || !conversation) return { nothing: 'gone' };
      if (dialogue.status !== 'active') {
        // Rows an ended dialogue left behind would be adopted at every start.
        await base.deleteForDialogue(dialogue.id);
        return { nothing: 'dialogue ended' };
      }
      const [full] = await store.db.select().from(timers).where(eq(timers.id, found.id));
      if (!full) return { nothing: 'gone' };
      return {
        deliver: {
          id: full.id,
          sendId: full.sendId,
          event: full.event,
          dueAt: full.dueAt,
          dialogueId: dialogue.id,
          channel: conversation.channel,
          chatId: conversation.chatId,
        },
      };
    },
    async adopt(now) {
      const live = await queue.liveKeys(KEY_PREFIX);
      // `deadline:<dialogue>:<timer>:<due>[:again-…]` → `<timer>:<due>`
      const covered = new Set([...live].map((key) => key.split(':').slice(2, 4).join(':')));
      const pending = await store.db
        .select({ id: timers.id, dialogueId: timers.dialogueId, dueAt: timers.dueAt })
        .from(timers)
        .where(isNull(timers.firedAt));
      let adopted = 0;
      for (const timer of pending) {
        if (covered.has(`${timer.id}:${timer.dueAt}`)) continue;
        const key = `${triggerKey(timer.dialogueId, timer.id, timer.dueAt)}:adopted-${now}`;
        if (await queue.enqueue({ key, data: { timerId: timer.id, dueAt: timer.dueAt }, dueAt: timer.dueAt }))
          adopted++;
      }
      if (adopted > 0) logger.info({ adopted }, 'deadlines without a trigger were given one');
      return adopted;
    },
    counts: () => queue.counts(),
  };

  return { store: { ...store, timers: wrapped }, triggers };
}

export interface DeadlineWorkerOptions {
  triggers: DeadlineTriggers;
  /** The dialogue runtime (started before the worker). */
  runtime(): Pick<DialogueRuntime, 'fireDeadline'>;
  /** Its store's housekeeping, which the sweeper's looks would otherwise drive. */
  dialogueStore: Pick<DialogueStore, 'housekeeping'>;
  clock: Clock;
  logger: Logger;
  /** A delivery that threw (pg-boss retries it with backoff). */
  onError(error: unknown): void;
  /** Deliveries at once in this process. Default 8. */
  concurrency?: number;
  /** Between housekeeping looks when no deadline fires. Default 1 hour. */
  housekeepingMs?: number;
}

/**
 * The Postgres stand-in for the sweeper: pg-boss workers run the fired triggers. Same shape as
 * the sweeper, so the engine starts, wakes and stops either.
 */
export function createDeadlineWorker(options: DeadlineWorkerOptions): Sweeper {
  const { triggers, clock, logger } = options;
  let running = false;
  let tidying: NodeJS.Timeout | undefined;

  const housekeeping = () =>
    options.dialogueStore.housekeeping?.().catch((error: unknown) => options.onError(error));

  // biome-ignore lint/suspicious/noConfusingVoidType: the queue port's handler shape.
  async function runTrigger(trigger: QueueJob<DeadlineTriggerData>): Promise<JobOutcome | void> {
    if (!running) return { postpone: { until: clock.now() + 1000, reason: 'the worker is stopping' } };
    const step = await triggers.resolve(trigger.data, clock.now());
    if ('wait' in step) return { postpone: { until: step.wait, reason: 'due later by this clock' } };
    if ('nothing' in step) {
      logger.debug(
        { timer: trigger.data.timerId, reason: step.nothing },
        'deadline trigger had nothing to do',
      );
      return;
    }
    try {
      await options.runtime().fireDeadline(step.deliver);
    } catch (error) {
      options.onError(error);
      throw error;
    }
    void housekeeping();
  }

  return {
    async start() {
      running = true;
      await triggers.adopt(clock.now());
      await triggers.queue.work(runTrigger, { concurrency: options.concurrency ?? 8 });
      void housekeeping();
      tidying = setInterval(() => void housekeeping(), options.housekeepingMs ?? 3_600_000);
      tidying.unref();
    },
    wake() {
      // A deadline due at once (a zero delay) need not wait for the next poll.
      triggers.queue.wake();
    },
    async stop() {
      running = false;
      if (tidying) clearInterval(tidying);
      tidying = undefined;
      await triggers.queue.stopWork();
    },
  };
}
