/**
 * On Postgres, dialogue deadlines run on pg-boss: a process killed while menus wait for their
 * clients, and started again, tells each client of the timeout once, and not before its time:
 * the one that fell due while the process was down at once, the other when it falls due.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, ONE_BRANCH, type World } from './harness.js';
import { kill, startProcess } from './process.js';

const TIMED_OUT = 'was not made';

describe('dialogue deadlines on Postgres survive a crash', () => {
  let world: World | undefined;
  let pool: pg.Pool | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await pool?.end();
    await world?.close();
    world = pool = undefined;
  });

  it('delivers each timeout once, none early, when the process was killed before they were due', async () => {
    world = await createWorld(
      { ...ONE_BRANCH, variables: { language: 'en' }, booking: { replyTimeout: '20s' } },
      { dialect: 'postgres' },
    );
    pool = new pg.Pool({ connectionString: world.env.DATABASE_URL });
    pool.on('error', () => {});
    const db = pool;
    const first = startProcess(world);
    children.push(first.child);
    await first.ready;

    const early = new TelegramUser(world.telegram, 9301);
    early.send('/start');
    await early.next();
    // The second menu opens well after the first, so its deadline is still ahead at the restart.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const late = new TelegramUser(world.telegram, 9302);
    late.send('/start');
    await late.next();
    const deadlines = async () =>
      (
        await db.query<{ chat_id: string; due_at: string }>(
          `SELECT c.chat_id, t.due_at FROM timers t JOIN dialogues d ON d.id = t.dialogue_id
           JOIN conversations c ON c.id = d.conversation_id WHERE t.fired_at IS NULL ORDER BY t.due_at`,
        )
      ).rows.map((row) => ({ chat: row.chat_id, dueAt: Number(row.due_at) }));
    const planned = await deadlines();
    expect(planned.map((row) => row.chat)).toEqual(['9301', '9302']);
    // Each waits in pg-boss too, due at its time.
    const queued = await db.query<{ due: string }>(
      `SELECT (extract(epoch FROM start_after) * 1000)::bigint AS due FROM pgboss.job
       WHERE name = 'dialogue-deadlines' AND state = 'created' ORDER BY start_after`,
    );
    expect(queued.rows.map((row) => Number(row.due))).toEqual(planned.map((row) => row.dueAt));
    await kill(first.child);
    const [earlyDue, lateDue] = planned.map((row) => row.dueAt) as [number, number];
    expect(Date.now()).toBeLessThan(earlyDue);

    // Down until the first deadline has passed; the second is still ahead.
    await eventually(() => Date.now() > earlyDue + 1_000, 60_000, 200);
    const second = startProcess(world);
    children.push(second.child);
    await second.ready;

    const timeouts = (chatId: string) =>
      world?.telegram.sent.filter(
        (call) =>
          call.method === 'sendMessage' &&
          call.chatId === chatId &&
          String(call.params.text).includes(TIMED_OUT),
      ) ?? [];
    await eventually(() => timeouts('9301').length > 0 && timeouts('9302').length > 0, 90_000, 200);
    // Whatever else arrives is sent by now: nothing is left in the outbox or the queue.
    await eventually(async () => {
      const { rows } = await db.query(`SELECT 1 FROM outbox WHERE state = 'pending'`);
      expect(rows).toEqual([]);
      const jobs = await db.query(
        `SELECT 1 FROM pgboss.job WHERE name = 'dialogue-deadlines' AND state < 'completed'`,
      );
      expect(jobs.rows).toEqual([]);
    }, 30_000);
    expect(timeouts('9301')).toHaveLength(1);
    expect(timeouts('9302')).toHaveLength(1);
    const startedAt = world.telegram.startedAt;
    expect(startedAt + (timeouts('9301')[0]?.at ?? 0)).toBeGreaterThanOrEqual(earlyDue);
    expect(startedAt + (timeouts('9302')[0]?.at ?? 0)).toBeGreaterThanOrEqual(lateDue);
  }, 180_000);
});
