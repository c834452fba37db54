/**
 * Dialogue deadlines on pg-boss (Postgres mode): engine "processes" on one database, each with its
 * own pool, pg-boss, dialogue store, runtime and deadline worker, on the real clock (pg-boss keeps
 * time by the database server's).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import type { UserEvent } from '../../machines/shared/events.js';
import type { InboundMessage } from '../../src/channels/channel.js';
import type { DialogueKind } from '../../src/dialogues/registry.js';
import { createDialogueRuntime, type DialogueRuntime } from '../../src/dialogues/runtime.js';
import type { Sweeper } from '../../src/dialogues/sweeper.js';
import { systemClock } from '../../src/domain/clock.js';
import {
  createDeadlineWorker,
  DEADLINE_QUEUE,
  type DeadlineTriggers,
  parseDeadlineTriggerData,
  withDeadlineTriggers,
} from '../../src/queue/deadline-triggers.js';
import { type PgBossQueues, startPgBossQueues } from '../../src/queue/pg-boss.js';
import { createPostgresDialogueStore } from '../../src/store/pg/dialogue-store.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/pg/index.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { silent } from './harness.js';

const WAIT_MS = 3000;

/** Says hello, answers every text and starts its wait again, and gives up after `WAIT_MS` of silence. */
const echo = setup({
  types: {
    events: {} as UserEvent,
    emitted: {} as { type: 'reply'; message: { text: { key: string } } },
  },
  delays: { wait: WAIT_MS },
}).createMachine({
  id: 'echo',
  initial: 'listening',
  entry: emit({ type: 'reply', message: { text: { key: 'hello' } } }),
  states: {
    listening: {
      on: {
        'user.text': {
          target: 'listening',
          reenter: true,
          actions: emit(({ event }) => ({
            type: 'reply' as const,
            message: { text: { key: `got ${event.text}` } },
          })),
        },
      },
      after: { wait: 'timedOut' },
    },
    timedOut: { type: 'final', entry: emit({ type: 'reply', message: { text: { key: 'expired' } } }) },
  },
});

const kind: DialogueKind = {
  id: 'echo',
  version: 1,
  machine: echo,
  startCommands: ['start'],
  interruptible: false,
  input: () => ({}),
};

interface Process {
  store: PostgresStore;
  queues: PgBossQueues;
  triggers: DeadlineTriggers;
  runtime: DialogueRuntime;
  worker: Sweeper;
}

let server: TestPostgres;
let database: TestDatabase;
const processes: Process[] = [];

/** One engine process as far as dialogues go; its deadline worker runs unless `work` is false. */
async function startProcess(work = true): Promise<Process> {
  const opened = await openPostgresStore(database.url);
  opened.pool.on('error', () => {});
  const queues = await startPgBossQueues({ pool: opened.pool, logger: silent, pollingIntervalSeconds: 0.5 });
  const queue = await queues.queue(DEADLINE_QUEUE, parseDeadlineTriggerData);
  const { store, triggers } = withDeadlineTriggers(opened, queue, silent);
  const dialogueStore = createPostgresDialogueStore(store, { clock: systemClock });
  const runtime = createDialogueRuntime({
    store: dialogueStore,
    kinds: { echo: kind },
    clock: systemClock,
    logger: silent,
    render: (message) => ({ text: message.text.key }),
    defaultLanguage: () => 'en',
  });
  const errors: unknown[] = [];
  const worker = createDeadlineWorker({
    triggers,
    runtime: () => runtime,
    dialogueStore,
    clock: systemClock,
    logger: silent,
    onError: (error) => errors.push(error),
  });
  if (work) await worker.start();
  const process = { store, queues, triggers, runtime, worker };
  processes.push(process);
  return process;
}

const message = (updateId: number, event: UserEvent): InboundMessage => ({
  channel: 'telegram',
  chatId: '42',
  updateId: String(updateId),
  event,
});

/** What the chat was sent (queued in the outbox), oldest first, with when it was queued. */
const sent = async (store: PostgresStore) =>
  (await store.outbox.list({ recipient: '42' }))
    .reverse()
    .map((row) => ({ text: (row.payload as { text: string }).text, at: row.createdAt }));
const texts = async (store: PostgresStore) => (await sent(store)).map((row) => row.text);

/** The chat's dialogue's one pending deadline. */
async function pendingDeadline(store: PostgresStore) {
  const [dialogue] = await store.dialogues.list();
  if (!dialogue) throw new Error('no dialogue');
  const [timer] = await store.timers.pendingForDialogue(dialogue.id);
  if (!timer) throw new Error('no pending deadline');
  return timer;
}

async function triggerCount(store: PostgresStore): Promise<number> {
  const { rows } = await store.executeSql('SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1', [
    DEADLINE_QUEUE.name,
  ]);
  return (rows[0] as { n: number }).n;
}

beforeAll(async () => {
  server = await startTestPostgres();
});
beforeEach(async () => {
  database = await server.createDatabase();
});
afterEach(async () => {
  for (const process of processes.splice(0)) {
    await process.worker.stop();
    await process.runtime.drain();
    await process.queues.stop(2000);
    await process.store.close();
  }
  await database.drop();
});
afterAll(() => server.stop());

describe('dialogue deadlines on pg-boss (Postgres mode)', () => {
  it('delivers a deadline at its due time, once, with two processes working the queue', async () => {
    const a = await startProcess();
    const b = await startProcess();
    await a.runtime.handleInbound(message(100, { type: 'user.command', name: 'start' }));
    const deadline = await pendingDeadline(a.store);
    // The step's commit sent the deadline's trigger.
    expect(await triggerCount(a.store)).toBe(1);
    // A second trigger for the same row, as two processes adopting it at once would leave.
    const [dialogue] = await a.store.dialogues.list();
    await b.triggers.queue.enqueue({
      key: `deadline:${dialogue?.id}:${deadline.id}:${deadline.dueAt}:adopted-twice`,
      data: { timerId: deadline.id, dueAt: deadline.dueAt },
      dueAt: deadline.dueAt,
    });

    await eventually(async () => expect(await texts(a.store)).toEqual(['hello', 'expired']), 30_000);
    // Both triggers have run by now; the dialogue ended once.
    await eventually(async () => {
      const counts = await a.triggers.counts();
      expect(counts.queued + counts.active).toBe(0);
    }, 30_000);
    const replies = await sent(b.store);
    expect(replies.map((row) => row.text)).toEqual(['hello', 'expired']);
    expect(replies[1]?.at).toBeGreaterThanOrEqual(deadline.dueAt);
    expect((await a.store.dialogues.list()).map((row) => row.status)).toEqual(['expired']);
  });

  it('a deadline a later step set again fires at its new time only; the old trigger finds nothing', async () => {
    const a = await startProcess();
    await a.runtime.handleInbound(message(100, { type: 'user.command', name: 'start' }));
    const first = await pendingDeadline(a.store);
    // Wait past half the delay, then answer: the wait starts again, same row, later due time.
    await eventually(() => Date.now() >= first.dueAt - WAIT_MS / 2, WAIT_MS * 2);
    await a.runtime.handleInbound(message(101, { type: 'user.text', text: 'hi' }));
    const second = await pendingDeadline(a.store);
    expect(second.id).toBe(first.id);
    expect(second.dueAt).toBeGreaterThan(first.dueAt);

    await eventually(async () => expect(await texts(a.store)).toContain('expired'), 30_000);
    const replies = await sent(a.store);
    expect(replies.map((row) => row.text)).toEqual(['hello', 'got hi', 'expired']);
    expect(replies[2]?.at).toBeGreaterThanOrEqual(second.dueAt);
  });

  it("sends a deadline's trigger with its step's transaction: a rolled-back step leaves none", async () => {
    const a = await startProcess(false);
    await expect(
      a.store.transaction(async () => {
        const conversation = await a.store.conversations.upsert('telegram', '7');
        const dialogue = await a.store.dialogues.create({
          conversationId: conversation.id,
          machineId: 'echo',
          machineVersion: 1,
          snapshot: {},
          status: 'active',
          recordId: null,
        });
        await a.store.timers.schedule(dialogue.id, {
          sendId: 'x',
          event: { type: 'xstate.after.wait' },
          dueAt: Date.now(),
        });
        throw new Error('the step failed after scheduling');
      }),
    ).rejects.toThrow('the step failed');
    expect(await triggerCount(a.store)).toBe(0);
  });

  it('gives a deadline written without a trigger one at start, and delivers it', async () => {
    // As the table-only mode left it: a dialogue waiting, its deadline row, no pg-boss job.
    const before = await startProcess(false);
    await before.runtime.handleInbound(message(100, { type: 'user.command', name: 'start' }));
    const deadline = await pendingDeadline(before.store);
    await before.store.executeSql('DELETE FROM pgboss.job WHERE name = $1', [DEADLINE_QUEUE.name]);
    await before.store.executeSql('DELETE FROM pgboss.app_job_key WHERE queue = $1', [DEADLINE_QUEUE.name]);

    const after = await startProcess(false);
    expect(await after.triggers.adopt(Date.now())).toBe(1);
    expect(await after.triggers.adopt(Date.now())).toBe(0);
    await after.worker.start();
    await eventually(async () => expect(await texts(after.store)).toEqual(['hello', 'expired']), 30_000);
    expect((await sent(after.store))[1]?.at).toBeGreaterThanOrEqual(deadline.dueAt);
  });
});
