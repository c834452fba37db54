/**
 * Scale benchmark: the same booking script (`booking-script.ts`) run by engine processes that
 * share one database — 1 process on SQLite, then 1, 2 and 3 processes on Postgres — each a real
 * child process with its own dialogue runtime and connection pool, its clients disjoint from the
 * others' (as a load balancer spreads chats). Alongside the rate it measures what each message
 * costs the database (transactions, rows written, WAL bytes, server CPU), which the README's
 * capacity model is computed from.
 *
 *   npm run bench -- scale [users per run] [clients at a time per process]
 *
 * Postgres is a cluster of the benchmark's own with production durability (fsync and synchronous
 * commit on), or `BENCH_DATABASE_URL` (a role that may create databases; server CPU is then not
 * measured). On a two-core machine three processes and Postgres share two cores, so the rate
 * cannot grow with processes here: the per-message figures are what carries over.
 *
 * Last line: `bench scale: sqlite <n> msg/s | postgres 1p <n> 2p <n> 3p <n> msg/s`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { startTestPostgres } from '../test/helpers/postgres.js';
import { type WorkerOptions, WorkerResult } from './scale-protocol.js';
import { serverCpuUs } from './server-cpu.js';

const WORKER = new URL('./scale-worker.ts', import.meta.url).pathname;

/** One running worker process and the lines it prints. */
interface Worker {
  child: ChildProcess;
  /** Resolves with the next line the worker prints. */
  line(): Promise<string>;
  send(command: 'go' | 'exit'): void;
  exited: Promise<number | null>;
}

function startWorker(options: WorkerOptions): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const queued: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (!child.stdout || !child.stdin) throw new Error('worker started without pipes');
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else queued.push(line);
  });
  const stdin = child.stdin;
  return {
    child,
    exited,
    line: () => {
      const ready = queued.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return Promise.race([
        new Promise<string>((resolve) => waiting.push(resolve)),
        exited.then((code) => {
          throw new Error(`a scale worker exited (code ${code}) before answering`);
        }),
      ]);
    },
    send: (command) => stdin.write(`${command}\n`),
  };
}

interface DatabaseCounters {
  transactions: number;
  rowsWritten: number;
  walBytes: number;
  serverCpuUs: number;
}

async function counters(admin: pg.Pool, database: string, local: boolean): Promise<DatabaseCounters> {
  // Counters are sent to the statistics system at transaction end; force this session's out.
  const { rows } = await admin.query<{ xact: string; written: string; wal: string }>(
    `SELECT xact_commit + xact_rollback AS xact, tup_inserted + tup_updated + tup_deleted AS written,
            pg_current_wal_lsn() - '0/0'::pg_lsn AS wal
       FROM pg_stat_database WHERE datname = $1`,
    [database],
  );
  const row = rows[0];
  return {
    transactions: Number(row?.xact ?? 0),
    rowsWritten: Number(row?.written ?? 0),
    walBytes: Number(row?.wal ?? 0),
    serverCpuUs: local ? serverCpuUs(database) : 0,
  };
}

interface RunResult {
  rate: number;
  messages: number;
  p99: number;
  engineCpuUs: number;
  perMessage?: { transactions: number; rowsWritten: number; walBytes: number; serverCpuUs: number };
}

/** Runs `processes` workers on `database` over `users` clients and measures them together. */
async function run(
  database: string,
  processes: number,
  users: number,
  concurrency: number,
  postgres?: { admin: pg.Pool; name: string; local: boolean },
): Promise<RunResult> {
  const share = Math.ceil(users / processes);
  const workers = Array.from({ length: processes }, (_, i) =>
    startWorker({ database, first: i * share, users: Math.min(share, users - i * share), concurrency }),
  );
  try {
    for (const worker of workers) {
      const line = await worker.line();
      if (line !== 'ready') throw new Error(`a scale worker said ${line}`);
    }
    const before = postgres ? await counters(postgres.admin, postgres.name, postgres.local) : undefined;
    for (const worker of workers) worker.send('go');
    const results = await Promise.all(
      workers.map(async (worker) => WorkerResult.parse(JSON.parse(await worker.line()))),
    );
    // The statistics collector gets a backend's counters when it goes idle; give it that moment.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = postgres ? await counters(postgres.admin, postgres.name, postgres.local) : undefined;
    const messages = results.reduce((sum, result) => sum + result.messages, 0);
    const seconds =
      (Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt))) / 1000;
    const result: RunResult = {
      rate: Math.round(messages / seconds),
      messages,
      p99: Math.max(...results.map((r) => r.p99)),
      engineCpuUs: results.reduce((sum, r) => sum + r.cpuUs * r.messages, 0) / messages,
    };
    if (before && after)
      result.perMessage = {
        transactions: (after.transactions - before.transactions) / messages,
        rowsWritten: (after.rowsWritten - before.rowsWritten) / messages,
        walBytes: (after.walBytes - before.walBytes) / messages,
        serverCpuUs: (after.serverCpuUs - before.serverCpuUs) / messages,
      };
    return result;
  } finally {
    for (const worker of workers) worker.send('exit');
    await Promise.all(workers.map((worker) => worker.exited));
  }
}

function describeRun(label: string, result: RunResult): string {
  const base = `${label}: ${result.rate} msg/s, ${result.messages} messages, p99 ${result.p99.toFixed(1)} ms, engine cpu ${Math.round(result.engineCpuUs)} µs/msg`;
  const per = result.perMessage;
  if (!per) return base;
  const server = per.serverCpuUs > 0 ? `, server cpu ${Math.round(per.serverCpuUs)} µs/msg` : '';
  return `${base}; per message ${per.transactions.toFixed(2)} transactions, ${per.rowsWritten.toFixed(1)} rows written, ${Math.round(per.walBytes)} B WAL${server}`;
}

export async function benchScale(args: string[]): Promise<string> {
  const USERS = Number(args[0] ?? 600);
  const CONCURRENCY = Number(args[1] ?? 10);
  console.log(`${cpus().length} cores; ${USERS} clients per run, ${CONCURRENCY} at a time per process`);

  const dir = mkdtempSync(join(tmpdir(), 'altegio-bench-scale-'));
  const sqlite = await run(join(dir, 'scale.sqlite'), 1, USERS, CONCURRENCY);
  rmSync(dir, { recursive: true, force: true });
  console.log(describeRun('sqlite 1 process', sqlite));

  const external = process.env.BENCH_DATABASE_URL;
  const server = await startTestPostgres(external ? { url: external } : { durable: true });
  const admin = new pg.Pool({ connectionString: server.adminUrl, max: 1 });
  admin.on('error', () => {});
  const rates: number[] = [];
  try {
    for (const processes of [1, 2, 3]) {
      const database = await server.createDatabase();
      const name = new URL(database.url).pathname.slice(1);
      try {
        const result = await run(database.url, processes, USERS, CONCURRENCY, {
          admin,
          name,
          local: server.local,
        });
        rates.push(result.rate);
        console.log(describeRun(`postgres ${processes} process${processes > 1 ? 'es' : ''}`, result));
      } finally {
        await database.drop();
      }
    }
  } finally {
    await admin.end();
    await server.stop();
  }
  return `bench scale: sqlite ${sqlite.rate} msg/s | postgres 1p ${rates[0]} 2p ${rates[1]} 3p ${rates[2]} msg/s`;
}
