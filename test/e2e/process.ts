import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { AltegioProxy } from './altegio-proxy.js';
import { createWorld, type World } from './harness.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'altegio-bot.js');
const CHILD = join(import.meta.dirname, 'engine-child.ts');

export interface ProcessOptions {
  /**
   * Runs the engine with its clock this far ahead of the machine's (`engine-child.ts`), so work
   * due later is due now. Without it, the real `altegio-bot start`.
   */
  clockOffsetMs?: number;
  /** Environment variables over the world's (say, `ALTEGIO_API_URL` of a proxy). */
  env?: NodeJS.ProcessEnv;
}

/** The engine as its own process, so that a test can kill it the hard way. */
export function startProcess(
  world: World,
  options: ProcessOptions = {},
): {
  child: ChildProcess;
  ready: Promise<void>;
  output: () => string;
  url: () => string;
} {
  const args = options.clockOffsetMs === undefined ? [BIN, 'start'] : ['--import', 'tsx', CHILD];
  const child = spawn(process.execPath, args, {
    env: {
      ...world.env,
      ...options.env,
      PATH: process.env.PATH,
      LOG_LEVEL: 'info',
      ...(options.clockOffsetMs === undefined ? {} : { TEST_CLOCK_OFFSET_MS: String(options.clockOffsetMs) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes('Telegram: long polling')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`engine exited with ${code}:\n${output}`)));
  });
  const url = () => /listening on (http:\/\/[\d.:]+)/.exec(output)?.[1] ?? '';
  // The sandbox sends its webhooks to whichever engine process is up now.
  void ready.then(
    () => world.sandbox.setWebhookUrl(`${url()}/webhooks/altegio/${world.env.WEBHOOK_SECRET}`),
    () => {},
  );
  return { child, ready, output: () => output, url };
}

/**
 * Waits until the engine has recorded every message it sent. A kill between Telegram's answer
 * and that record makes the next start send the message again (delivery is at least once);
 * these tests are about dialogues, so they kill after the record.
 */
export async function outboxSettled(world: World): Promise<void> {
  const db = new Database(String(world.env.DATABASE_PATH), { readonly: true });
  try {
    await eventually(() => {
      const row = db.prepare("SELECT count(*) AS pending FROM outbox WHERE state = 'pending'").get() as {
        pending: number;
      };
      return row.pending === 0;
    });
  } finally {
    db.close();
  }
}

/** Polls the engine's database (read-only, from outside the process) until `check` holds. */
export async function inDatabase<T>(
  world: World,
  check: (db: Database.Database) => T,
  timeoutMs = 30_000,
): Promise<T> {
  const db = new Database(String(world.env.DATABASE_PATH), { readonly: true, fileMustExist: true });
  try {
    return await eventually(() => check(db), timeoutMs);
  } finally {
    db.close();
  }
}

export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * A world and bot processes for each test of the calling suite: after each test the processes are
 * killed and the world is closed.
 */
export function processesPerTest(): {
  world: (settings: Record<string, unknown>) => Promise<World>;
  /** A proxy in front of the world's Altegio; `env` points the processes started with it there. */
  proxy: (world: World) => Promise<{ proxy: AltegioProxy; env: NodeJS.ProcessEnv }>;
  start: (world: World, options?: ProcessOptions) => ReturnType<typeof startProcess>;
} {
  let world: World | undefined;
  let proxy: AltegioProxy | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await proxy?.stop();
    proxy = undefined;
    await world?.close();
    world = undefined;
  });
  return {
    world: async (settings) => {
      world = await createWorld(settings);
      return world;
    },
    proxy: async (on) => {
      proxy = new AltegioProxy(on.sandbox.url);
      return { proxy, env: { ALTEGIO_API_URL: await proxy.start() } };
    },
    start: (on, options) => {
      const started = startProcess(on, options);
      children.push(started.child);
      return started;
    },
  };
}
