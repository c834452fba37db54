/**
 * Outgoing messages on pg-boss (Postgres mode): engine "processes" on one database, each with its
 * own pool, registry row, pg-boss and outbox worker; the channel is a fake that answers after a
 * short, random while, on the real clock (pg-boss keeps time by the database server's).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/channels/channel.js';
import type { Dispatcher } from '../../src/channels/dispatcher.js';
import { createOutboxWorker, type OutboxItem, type OutboxWorker } from '../../src/channels/outbox-worker.js';
import { systemClock } from '../../src/domain/clock.js';
import {
  OUTBOX_QUEUE,
  type OutboxTriggers,
  parseOutboxTriggerData,
  withOutboxTriggers,
} from '../../src/queue/outbox-triggers.js';
import { type PgBossQueues, startPgBossQueues } from '../../src/queue/pg-boss.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/pg/index.js';
import { type InstanceRegistration, registerInstance } from '../../src/store/pg/instances.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { silent } from './harness.js';

interface Process {
  store: PostgresStore;
  queues: PgBossQueues;
  triggers: OutboxTriggers;
  registration: InstanceRegistration;
  worker: OutboxWorker;
}

let server: TestPostgres;
let database: TestDatabase;
const processes: Process[] = [];
/** Every send the fake channel made, in the order it made them, from whichever process. */
let sends: Array<{ chat: string; text: string; at: number }> = [];

async function startProcess(work = true): Promise<Process> {
  const opened = await openPostgresStore(database.url);
  opened.pool.on('error', () => {});
  const registration = await registerInstance(opened.pool, { longPolling: false, logger: silent });
  const queues = await startPgBossQueues({ pool: opened.pool, logger: silent, pollingIntervalSeconds: 0.5 });
  const queue = await queues.queue(OUTBOX_QUEUE, parseOutboxTriggerData);
  const { store, triggers } = withOutboxTriggers(opened, queue, silent);
  let worker: OutboxWorker | undefined;
  const dispatcher = (): Dispatcher<OutboxItem> => ({
    enqueue(item) {
      // A send takes a while, so that the other process has every chance to send out of turn.
      setTimeout(
        () => {
          sends.push({ chat: item.chatId, text: item.message.text, at: Date.now() });
          worker?.sent(item);
        },
        5 + Math.random() * 30,
      );
      return true;
    },
    size: 0,
    idle: async () => {},
    stop: async () => {},
  });
  worker = createOutboxWorker({
    outbox: store.outbox,
    triggers,
    leases: { owner: registration.id, liveOwners: () => registration.liveIds() },
    dispatcher,
    isRunning: () => true,
    clock: systemClock,
    logger: silent,
  });
  if (work) await worker.start();
  const process = { store, queues, triggers, registration, worker };
  processes.push(process);
  return process;
}

const enqueue = (process: Process, chat: string, text: string, notBefore?: number) =>
  process.store.outbox.enqueue({
    channel: 'telegram',
    recipient: chat,
    payload: { text } satisfies OutboundMessage,
    idempotencyKey: `${chat}:${text}`,
    ...(notBefore === undefined ? {} : { notBefore }),
  });

async function triggerCount(store: PostgresStore): Promise<number> {
  const { rows } = await store.executeSql('SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1', [
    OUTBOX_QUEUE.name,
  ]);
  return (rows[0] as { n: number }).n;
}

const textsOf = (chat: string) => sends.filter((send) => send.chat === chat).map((send) => send.text);

beforeAll(async () => {
  server = await startTestPostgres();
});
beforeEach(async () => {
  database = await server.createDatabase();
  sends = [];
});
afterEach(async () => {
  for (const process of processes.splice(0)) {
    await process.worker.stop();
    await process.queues.stop(2000);
    await process.registration.stop();
    await process.store.close();
  }
  await database.drop();
});
afterAll(() => server.stop());

describe('outgoing messages on pg-boss (Postgres mode)', () => {
  it('sends each message once and each chat in order, with two processes working the queue', async () => {
    const a = await startProcess();
    const b = await startProcess();
    const chats = ['11', '12', '13'];
    const expected = Array.from({ length: 6 }, (_, n) => `m${n}`);
    // Written by both processes, as steps on either would: one chat's messages alternate between them.
    for (const text of expected)
      for (const chat of chats) await enqueue(expected.indexOf(text) % 2 ? a : b, chat, text);
    a.worker.wake();
    b.worker.wake();
    await eventually(() => expect(sends).toHaveLength(chats.length * expected.length), 60_000);
    for (const chat of chats) expect(textsOf(chat)).toEqual(expected);
    const states = (await a.store.outbox.list({ limit: 100 })).map((row) => row.state);
    expect(new Set(states)).toEqual(new Set(['sent']));
  });

  it("sends a message's trigger with its step's transaction: a rolled-back step leaves neither", async () => {
    const a = await startProcess(false);
    await expect(
      a.store.transaction(async () => {
        await enqueue(a, '21', 'hello');
        throw new Error('the step failed after writing its reply');
      }),
    ).rejects.toThrow('the step failed');
    expect(await a.store.outbox.list({})).toEqual([]);
    expect(await triggerCount(a.store)).toBe(0);
  });

  it('a message due later (a retry, a notBefore) waits for its time; the chat goes on meanwhile', async () => {
    const a = await startProcess();
    const dueAt = Date.now() + 3000;
    await enqueue(a, '31', 'later', dueAt);
    // A row whose send failed and waits for its retry, as `outbox.fail` leaves it.
    await enqueue(a, '32', 'retried');
    await eventually(() => expect(textsOf('32')).toEqual(['retried']), 30_000);
    const [row] = await a.store.outbox.list({ recipient: '32' });
    if (!row) throw new Error('no row');
    await a.store.executeSql(`UPDATE outbox SET state = 'pending', next_attempt_at = $2 WHERE id = $1`, [
      row.id,
      dueAt,
    ]);
    const [retried] = await a.store.outbox.list({ recipient: '32' });
    await a.triggers.queue.enqueue({
      key: `retry-test:${row.id}`,
      data: { channel: 'telegram', recipient: '32' },
      dueAt: retried?.nextAttemptAt ?? dueAt,
    });
    await eventually(
      () => expect(sends.filter((send) => send.chat !== '32' || send.at >= dueAt)).toHaveLength(2),
      30_000,
    );
    for (const send of sends.slice(1)) expect(send.at).toBeGreaterThanOrEqual(dueAt);
  });

  it('gives chats with messages but no trigger one at start, and sends them in order', async () => {
    // As the table-only mode left it: messages waiting, no pg-boss job.
    const before = await startProcess(false);
    for (const text of ['one', 'two', 'three']) await enqueue(before, '41', text);
    await enqueue(before, '42', 'solo');
    await before.store.executeSql('DELETE FROM pgboss.job WHERE name = $1', [OUTBOX_QUEUE.name]);
    await before.store.executeSql('DELETE FROM pgboss.app_job_key WHERE queue = $1', [OUTBOX_QUEUE.name]);

    const after = await startProcess(false);
    expect(await after.triggers.adopt(Date.now())).toBe(2);
    await after.worker.start();
    await eventually(() => expect(sends).toHaveLength(4), 30_000);
    expect(textsOf('41')).toEqual(['one', 'two', 'three']);
    expect(textsOf('42')).toEqual(['solo']);
  });
});
