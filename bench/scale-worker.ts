/**
 * One engine process of the scale benchmark (`scale.ts` starts one to three of them on one
 * database). It warms up, says `ready`, waits for `go` on stdin, drives its share of the booking
 * clients, prints one JSON result line, and exits on `exit` (so the parent can read the
 * database's figures while this process's connections still exist).
 *
 *   node --import tsx bench/scale-worker.ts '<json WorkerOptions>'
 */
import { createInterface } from 'node:readline';
import type { DialogueStore } from '../src/dialogues/store-port.js';
import { startCheckpointer } from '../src/store/checkpointer.js';
import { createSqliteDialogueStore } from '../src/store/dialogue-store.js';
import { createStore } from '../src/store/index.js';
import { createPostgresDialogueStore } from '../src/store/pg/dialogue-store.js';
import { openPostgresStore } from '../src/store/pg/index.js';
import { BOOKING_SCRIPT, createBenchRuntime, sendStep } from './booking-script.js';
import { drive } from './naive-dialogues.js';
import { WorkerOptions, type WorkerResult } from './scale-protocol.js';

const options = WorkerOptions.parse(JSON.parse(process.argv[2] ?? '{}'));
const clock = { now: () => Date.now() };

/** The dialogue store as the engine runs it on that database, and how to close it. */
async function open(): Promise<{ dialogues: DialogueStore; close(): Promise<void> }> {
  if (options.database.startsWith('postgres')) {
    const store = await openPostgresStore(options.database, {
      clock,
      maxConnections: options.concurrency + 2,
    });
    return { dialogues: createPostgresDialogueStore(store, { clock }), close: () => store.close() };
  }
  const store = createStore(options.database, { clock });
  // As the engine runs it: WAL checkpoints on the second core.
  const checkpointer = startCheckpointer(store.sqlite);
  return {
    dialogues: createSqliteDialogueStore(store, { clock }),
    async close() {
      await checkpointer.stop();
      await store.close();
    },
  };
}

const database = await open();
const runtime = createBenchRuntime(database.dialogues);

const lines = createInterface({ input: process.stdin });
const next = (expected: string) =>
  new Promise<void>((resolve) => {
    const onLine = (line: string) => {
      if (line.trim() !== expected) return;
      lines.off('line', onLine);
      resolve();
    };
    lines.on('line', onLine);
  });

// Warm-up on a client of its own (ids past every worker's): compiles the machine and i18n and
// fills the connection pool, as a running engine would have.
const warmUp = 10_000_000 + options.first;
await drive(1, 1, BOOKING_SCRIPT.length, (_, step) => sendStep(runtime, warmUp, step));
console.log('ready');
await next('go');
const startedAt = Date.now();
const run = await drive(options.users, options.concurrency, BOOKING_SCRIPT.length, (user, step) =>
  sendStep(runtime, options.first + user, step),
);
const result: WorkerResult = {
  messages: run.messages,
  startedAt,
  endedAt: startedAt + run.seconds * 1000,
  cpuUs: run.cpuUs,
  p99: run.latencies[Math.min(run.latencies.length - 1, Math.floor(0.99 * run.latencies.length))] ?? 0,
};
console.log(JSON.stringify(result));
await next('exit');
await database.close();
lines.close();
