/**
 * Outbox leases with several processes on one Postgres database. Each "process" here is a store
 * with its own pool, its own row in the process registry and its own outbox worker; its dispatcher
 * is a fake that either sends at once or holds what it is given (a send still under way).
 *
 * What a user would notice: a process starting while another is sending must not send that
 * message too (the client would get it twice), and a message a killed process was sending must
 * still go out, once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../src/channels/channel.js';
import type { Dispatcher } from '../../src/channels/dispatcher.js';
import { createOutboxWorker, type OutboxItem, type OutboxWorker } from '../../src/channels/outbox-worker.js';
import { systemClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/log.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/pg/index.js';
import { type InstanceRegistration, registerInstance } from '../../src/store/pg/instances.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { sharedDatabase } from '../helpers/shared-database.js';

const logger = createLogger({ level: 'silent' });

interface Process {
  name: string;
  store: PostgresStore;
  registration: InstanceRegistration;
  worker: OutboxWorker;
  /** Idempotency keys this process's channel sent (or, holding, was handed). */
  handed: string[];
}

describe('outbox leases across processes on one Postgres database', () => {
  let server: TestPostgres;
  const database = sharedDatabase(() => server);
  const processes: Process[] = [];

  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const process of processes.splice(0)) {
      await process.worker.stop();
      await process.registration.stop();
      await process.store.close();
    }
    await database.reset();
  });

  /** Starts a process; its channel keeps the message `hold` names without answering, as a send under way. */
  async function start(
    name: string,
    options: { hold?: string; leaseCheckMs?: number } = {},
  ): Promise<Process> {
    const store = await openPostgresStore(await database.urlFor(name));
    store.pool.on('error', () => {});
    const registration = await registerInstance(store.pool, { longPolling: false, logger });
    const handed: string[] = [];
    let worker: OutboxWorker | undefined;
    const dispatcher = (): Dispatcher<OutboxItem> => ({
      enqueue(item) {
        // The test's messages carry their idempotency key as their text.
        handed.push(item.message.text);
        if (item.message.text !== options.hold) queueMicrotask(() => worker?.sent(item));
        return true;
      },
      size: 0,
      idle: async () => {},
      stop: async () => {},
    });
    worker = createOutboxWorker({
      outbox: store.outbox,
      leases: { owner: registration.id, liveOwners: () => registration.liveIds() },
      dispatcher,
      isRunning: () => true,
      clock: systemClock,
      logger,
      pollMs: 100,
      ...(options.leaseCheckMs === undefined ? {} : { leaseCheckMs: options.leaseCheckMs }),
    });
    await worker.start();
    const process = { name, store, registration, worker, handed };
    processes.push(process);
    return process;
  }

  /** What a kill leaves: the process does nothing more and its connections close. */
  async function kill(process: Process): Promise<void> {
    await process.worker.stop();
    await database.kill(process.name);
  }

  const enqueue = (process: Process, key: string) =>
    process.store.outbox.enqueue({
      channel: 'telegram',
      recipient: '100',
      payload: { text: key } satisfies OutboundMessage,
      idempotencyKey: key,
    });

  const handedEverywhere = (key: string) =>
    processes.flatMap((process) => process.handed).filter((handed) => handed === key).length;

  async function stateOf(key: string) {
    const { rows } = await database.query<{ state: string; lease_owner: number | null }>(
      `SELECT state, lease_owner FROM outbox WHERE idempotency_key = $1`,
      [key],
    );
    return rows[0];
  }

  it('a process starting leaves a live one’s message alone, and takes over a killed one’s', async () => {
    const a = await start('proc_a', { hold: 'in-flight-at-a' });
    await enqueue(a, 'in-flight-at-a');
    a.worker.wake();
    await eventually(() => expect(a.handed).toContain('in-flight-at-a'));
    expect(await stateOf('in-flight-at-a')).toEqual({ state: 'pending', lease_owner: a.registration.id });

    // B starts while A is still sending, and sends a message of its own: its start is over.
    const b = await start('proc_b');
    await enqueue(b, 'from-b');
    b.worker.wake();
    await eventually(async () => expect(await stateOf('from-b')).toMatchObject({ state: 'sent' }));
    expect(handedEverywhere('in-flight-at-a')).toBe(1);
    expect(await stateOf('in-flight-at-a')).toEqual({ state: 'pending', lease_owner: a.registration.id });

    // A is killed mid-send; C starts and sends what A could not. B's lease check is far off.
    await kill(a);
    await eventually(async () => expect(await b.registration.liveIds()).not.toContain(a.registration.id));
    await start('proc_c');
    await eventually(async () => expect(await stateOf('in-flight-at-a')).toMatchObject({ state: 'sent' }));
    // Once by A's channel (which never answered) and once by the process that took over.
    expect(handedEverywhere('in-flight-at-a')).toBe(2);
    expect(a.handed.filter((key) => key === 'in-flight-at-a')).toHaveLength(1);
  });

  it('a running process takes over the lease of one killed since, but never a live one’s', async () => {
    const a = await start('proc_a', { hold: 'held-by-a' });
    await enqueue(a, 'held-by-a');
    a.worker.wake();
    await eventually(() => expect(a.handed).toContain('held-by-a'));
    // B looks at the leases at every round.
    const b = await start('proc_b', { leaseCheckMs: 0 });
    for (let round = 0; round < 5; round++) {
      await enqueue(b, `from-b-${round}`);
      b.worker.wake();
      await eventually(async () => expect(await stateOf(`from-b-${round}`)).toMatchObject({ state: 'sent' }));
    }
    expect(handedEverywhere('held-by-a')).toBe(1);

    await kill(a);
    await eventually(async () => expect(await stateOf('held-by-a')).toMatchObject({ state: 'sent' }), 30_000);
    expect(b.handed.filter((key) => key === 'held-by-a')).toEqual(['held-by-a']);
    expect(handedEverywhere('held-by-a')).toBe(2);
  });
});
