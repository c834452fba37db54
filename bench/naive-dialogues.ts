/**
 * The naive durable design the dialogue runtime is measured against: no state machine, no
 * deadlines, no rendering; each message is one SQLite transaction that upserts the chat's JSON
 * snapshot and appends one outgoing row. Same driver as `dialogues.ts` (users × script, a fixed
 * number at a time, each message awaited), same database settings and WAL checkpointer, so the
 * difference between the two rates is what the engine spends outside the storage write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCheckpointer } from '../src/store/checkpointer.js';
import { openDatabase } from '../src/store/db.js';

export interface NaiveOptions {
  users: number;
  concurrency: number;
  /** Messages per user (the engine's script length). */
  steps: number;
  /** A stored snapshot of the engine's, so both write the same bytes. */
  snapshot: unknown;
}

export interface DriveResult {
  messages: number;
  seconds: number;
  /** CPU time of the whole process (both threads) per message, µs. */
  cpuUs: number;
  /** Latencies of the messages, ms, sorted. */
  latencies: number[];
}

/**
 * Runs `users` scripted users, `concurrency` at a time, each sending `steps` messages one after
 * another through `handle`; measures wall time and process CPU.
 */
export async function drive(
  users: number,
  concurrency: number,
  steps: number,
  handle: (user: number, step: number) => Promise<void>,
): Promise<DriveResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < users) {
        const user = next++;
        for (let step = 0; step < steps; step++) {
          const begun = performance.now();
          await handle(user, step);
          latencies.push(performance.now() - begun);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    messages: latencies.length,
    seconds,
    cpuUs: (cpu.user + cpu.system) / latencies.length,
    latencies,
  };
}

export async function benchNaive(options: NaiveOptions): Promise<DriveResult> {
  const dir = mkdtempSync(join(tmpdir(), 'altegio-bench-naive-'));
  const { sqlite, close } = openDatabase(join(dir, 'naive.sqlite'));
  sqlite.exec(`
    CREATE TABLE chats (chat_id TEXT PRIMARY KEY, snapshot TEXT NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      recipient TEXT NOT NULL,
      payload TEXT NOT NULL,
      idempotency_key TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL
    );
  `);
  const checkpointer = startCheckpointer(sqlite);
  const upsert = sqlite.prepare(
    `INSERT INTO chats (chat_id, snapshot, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (chat_id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at`,
  );
  const append = sqlite.prepare(
    'INSERT INTO outbox (recipient, payload, idempotency_key, created_at) VALUES (?, ?, ?, ?)',
  );
  const step = sqlite.transaction((chatId: string, snapshot: string, payload: string, key: string) => {
    const now = Date.now();
    upsert.run(chatId, snapshot, now);
    append.run(chatId, payload, key, now);
  });
  // The snapshot changes every message, as a dialogue's does.
  const base = options.snapshot as Record<string, unknown>;
  const result = await drive(options.users, options.concurrency, options.steps, async (user, index) => {
    const chatId = String(100_000 + user);
    const snapshot = JSON.stringify({ ...base, step: index });
    const payload = JSON.stringify({ text: `Reply ${index} to ${chatId}` });
    step.immediate(chatId, snapshot, payload, `telegram:${chatId}:${index}`);
  });
  await checkpointer.stop();
  close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}
