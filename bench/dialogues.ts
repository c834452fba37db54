/**
 * Dialogue runtime benchmark: simulated Telegram users book visits end to end through the real
 * runtime (booking machine, SQLite persistence of every step, durable deadlines, outbox rows),
 * with Altegio answered in-process without latency and no channel I/O.
 *
 *   npm run bench -- dialogues [users] [concurrency] [dormant dialogues]
 *
 * The naive durable design (`naive-dialogues.ts`: one transaction per message, no state machine)
 * runs with the same driver just before and just after, so both rates come from the same machine
 * at the same moment; its figure is the mean of the two runs.
 *
 * Last line: `bench dialogues: <N> msg/s, p50 <x> ms, p99 <y> ms, rss <z> MB, cpu <c> µs/msg,
 * naive <M> msg/s cpu <d> µs/msg, engine/naive rate <r> cpu <q>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOKING } from '../src/dialogues/machines.js';
import { startCheckpointer } from '../src/store/checkpointer.js';
import { createSqliteDialogueStore } from '../src/store/dialogue-store.js';
import { createStore } from '../src/store/index.js';
import { BOOKING_SCRIPT, createBenchRuntime } from './booking-script.js';
import { benchNaive, type DriveResult, drive } from './naive-dialogues.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

export async function benchDialogues(args: string[]): Promise<string> {
  const USERS = Number(args[0] ?? 2_000);
  const CONCURRENCY = Number(args[1] ?? 10);
  const DORMANT = Number(args[2] ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'altegio-bench-'));
  const store = createStore(join(dir, 'bench.sqlite'));
  // As the engine runs it: WAL checkpoints on the second core.
  const checkpointer = startCheckpointer(store.sqlite);
  const clock = { now: () => Date.now() };
  const runtime = createBenchRuntime(createSqliteDialogueStore(store, { clock }));

  // Transactions per message: what group commit saves (the naive design pays one per message).
  let transactions = 0;
  // Counted at the connection: group commit opens its transactions there, not through the port.
  const sqliteTransaction = store.sqlite.transaction.bind(store.sqlite);
  store.sqlite.transaction = ((fn: Parameters<typeof sqliteTransaction>[0]) => {
    transactions += 1;
    return sqliteTransaction(fn);
  }) as typeof store.sqlite.transaction;

  let updateId = 0;
  const send = (user: number, step: number) => {
    const event = BOOKING_SCRIPT[step]?.(user);
    if (!event) throw new Error(`no step ${step}`);
    updateId += 1;
    return runtime.handleInbound({
      channel: 'telegram',
      chatId: String(100_000 + user),
      updateId: String(updateId),
      event,
    });
  };

  // Warm-up: the first actor creation compiles the machine and i18n; its snapshot is what the
  // naive design writes.
  await drive(1, 1, BOOKING_SCRIPT.length, (_, step) => send(-1, step));
  const sample = (await store.dialogues.list({ limit: 1 }))[0]?.snapshot;
  await benchNaive({ users: 200, concurrency: CONCURRENCY, steps: BOOKING_SCRIPT.length, snapshot: sample });

  const naiveBefore = await benchNaive({
    users: USERS,
    concurrency: CONCURRENCY,
    steps: BOOKING_SCRIPT.length,
    snapshot: sample,
  });
  transactions = 0;
  const engine = await drive(USERS, CONCURRENCY, BOOKING_SCRIPT.length, send);
  const engineTransactions = transactions;
  const naiveAfter = await benchNaive({
    users: USERS,
    concurrency: CONCURRENCY,
    steps: BOOKING_SCRIPT.length,
    snapshot: sample,
  });
  const booked = (await store.dialogues.list({ status: 'done', limit: USERS + 10 })).length;
  if (booked < USERS) throw new Error(`only ${booked} of ${USERS} bookings completed`);

  const stats = store.sqlite
    .prepare('SELECT count(*) AS n, avg(length(snapshot)) AS snapshot FROM dialogues')
    .get() as { n: number; snapshot: number };
  const rateOf = (run: DriveResult) => run.messages / run.seconds;
  const rate = Math.round(rateOf(engine));
  const naiveRate = Math.round((rateOf(naiveBefore) + rateOf(naiveAfter)) / 2);
  const naiveCpu = (naiveBefore.cpuUs + naiveAfter.cpuUs) / 2;
  const p50 = percentile(engine.latencies, 50).toFixed(2);
  const p99 = percentile(engine.latencies, 99).toFixed(2);
  console.log(
    `users ${USERS} (${CONCURRENCY} at a time), messages ${engine.messages}, ${engine.seconds.toFixed(2)} s, ${(engineTransactions / engine.messages).toFixed(2)} transactions per message`,
  );
  // CPU time per message (both threads): less swayed than msg/s by other work on a shared machine.
  console.log(`cpu ${Math.round(engine.cpuUs)} µs per message`);
  console.log(
    `naive design: ${Math.round(rateOf(naiveBefore))} msg/s before, ${Math.round(rateOf(naiveAfter))} after, cpu ${Math.round(naiveBefore.cpuUs)} / ${Math.round(naiveAfter.cpuUs)} µs per message, p99 ${percentile(naiveBefore.latencies, 99).toFixed(2)} ms`,
  );
  console.log(`stored dialogues ${stats.n}, snapshot ${Math.round(stats.snapshot)} B on average`);

  // Dormant dialogues live only in SQLite: memory must not grow with their number.
  const snapshot = (await store.dialogues.list({ limit: 1 }))[0]?.snapshot;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const insert = store.sqlite.prepare(
    "INSERT INTO conversations (channel, chat_id, created_at, updated_at) VALUES ('telegram', ?, 0, 0)",
  );
  // The synchronous repositories: 100,000 rows in one transaction, as fast as SQLite takes them.
  await store.transaction(async () => {
    for (let i = 0; i < DORMANT; i++) {
      const conversationId = Number(insert.run(`dormant-${i}`).lastInsertRowid);
      store.sync.dialogues.create({ conversationId, machineId: BOOKING, machineVersion: 1, snapshot });
    }
  });
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const fileBytes = (
    store.sqlite
      .prepare('SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()')
      .get() as { bytes: number }
  ).bytes;
  const total = stats.n + DORMANT;
  console.log(
    `dormant ${DORMANT} dialogues: heap ${mb(heapBefore)} → ${mb(heapAfter)} MB, database ${mb(fileBytes)} MB (${Math.round(fileBytes / total)} B per dialogue incl. indexes and history)`,
  );
  const rss = mb(process.resourceUsage().maxRSS * 1024);
  await checkpointer.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const ratio = `engine/naive rate ${(rate / naiveRate).toFixed(2)} cpu ${(engine.cpuUs / naiveCpu).toFixed(2)}`;
  return `bench dialogues: ${rate} msg/s, p50 ${p50} ms, p99 ${p99} ms, rss ${rss} MB, cpu ${Math.round(engine.cpuUs)} µs/msg, naive ${naiveRate} msg/s cpu ${Math.round(naiveCpu)} µs/msg, ${ratio}`;
}
