import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, ONE_BRANCH, type World } from './harness.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'altegio-bot.js');

/** The engine as its own process, so that a test can kill it the hard way. */
function startProcess(world: World): { child: ChildProcess; ready: Promise<void>; output: () => string } {
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: { ...world.env, PATH: process.env.PATH, LOG_LEVEL: 'info' },
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
  return { child, ready, output: () => output };
}

/**
 * Waits until the engine has recorded every message it sent. A kill between Telegram's answer
 * and that record makes the next start send the message again (delivery is at least once);
 * these tests are about dialogues, so they kill after the record.
 */
async function outboxSettled(world: World): Promise<void> {
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

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('dialogues survive the process being killed', () => {
  let world: World | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await world?.close();
    world = undefined;
  });

  it('continues a booking after a kill between two steps', async () => {
    world = await createWorld(ONE_BRANCH);
    const first = startProcess(world);
    children.push(first.child);
    await first.ready;
    const client = new TelegramUser(world.telegram, 8001);
    client.send('/start');
    await client.next();
    client.press(/^Women's haircut/);
    const staff = await client.next();
    expect(staff.text).toBe('Choose a specialist:');
    await outboxSettled(world);
    await kill(first.child);

    const second = startProcess(world);
    children.push(second.child);
    await second.ready;
    client.press(/^Anna/, staff);
    const dates = await client.next();
    expect(dates.text).toBe('Choose a day:');
    client.pressFirstChoice();
    await client.next();
    client.pressFirstChoice();
    await client.next();
    client.send('+79160003344');
    await client.nextMatching((message) => message.text.startsWith('Please check'));
    client.press('✔ Confirm');
    await client.nextMatching((message) => message.text.startsWith('You are booked'));
    const booked = world.sandbox.control
      .listRecords(101)
      .filter((record) => (record.client as { phone?: unknown } | null)?.phone === '+79160003344');
    expect(booked).toHaveLength(1);
    expect(booked[0]?.staff_id).toBe(1001);
  });

  it('sends a timeout that fell due while the process was down within seconds of start-up', async () => {
    world = await createWorld({ ...ONE_BRANCH, booking: { replyTimeout: '2s' } });
    const first = startProcess(world);
    children.push(first.child);
    await first.ready;
    const client = new TelegramUser(world.telegram, 8002);
    client.send('/start');
    await client.next();
    await outboxSettled(world);
    await kill(first.child);
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const second = startProcess(world);
    children.push(second.child);
    const restartedAt = Date.now();
    await second.ready;
    const timedOut = await client.next(10_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${second.output()}`);
    });
    expect(timedOut.text).toContain('was not made');
    expect(Date.now() - restartedAt).toBeLessThan(8_000);
  });
});
