import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { definition, type Host, openHost, parseTestData, sleep } from './harness.js';

let server: TestPostgres;
let database: TestDatabase;
const hosts: Host[] = [];

beforeAll(async () => {
  server = await startTestPostgres();
});
beforeEach(async () => {
  database = await server.createDatabase();
});
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
  await database.drop();
});
afterAll(() => server.stop());

describe('order of one chat', () => {
  it("three processes send each chat's messages one at a time and in order, also when one of them is retried", async () => {
    const def = definition('outbox', { retry: { attempts: 3, delaySeconds: 1 } });
    for (let i = 0; i < 3; i++) hosts.push(await openHost(database.url, { orderWaitMs: 200 }));
    const queues = await Promise.all(hosts.map((host) => host.queues.queue(def, parseTestData)));
    const chats = ['tg:1', 'tg:2', 'tg:3', 'wa:4'];
    const perChat = 8;

    const sent = new Map<string, number[]>(chats.map((chat) => [chat, []]));
    const busy = new Set<string>();
    const overlaps: string[] = [];
    let failedOnce = false;
    for (const queue of queues) {
      await queue.work(
        async (job) => {
          const [chat] = job.key.split('#');
          if (!chat) throw new Error(`bad key ${job.key}`);
          if (busy.has(chat)) overlaps.push(job.key);
          busy.add(chat);
          try {
            await sleep(10);
            // The third message of the first chat fails once: the chat's later ones must wait for it.
            if (job.key === 'tg:1#2' && !failedOnce) {
              failedOnce = true;
              throw new Error('Telegram answers 502');
            }
            sent.get(chat)?.push(job.data.n);
          } finally {
            busy.delete(chat);
          }
        },
        { concurrency: 4 },
      );
    }
    // Steps of different chats interleave; each chat's messages are queued in their order.
    const first = queues[0];
    if (!first) throw new Error('no queue');
    for (let n = 0; n < perChat; n++) {
      await Promise.all(
        chats.map((chat) => first.enqueue({ key: `${chat}#${n}`, data: { n }, orderKey: chat })),
      );
    }

    await eventually(() => {
      for (const chat of chats) expect(sent.get(chat)).toHaveLength(perChat);
    }, 60_000);
    const inOrder = Array.from({ length: perChat }, (_, n) => n);
    for (const chat of chats) expect(sent.get(chat)).toEqual(inOrder);
    expect(failedOnce).toBe(true);
    expect(overlaps).toEqual([]);
  });
});
