/**
 * On Postgres, notification jobs run on pg-boss: a process killed with reminders still ahead, and
 * started again, sends each of them once, at its time.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import { bookVisit, createWorld, type World } from './harness.js';
import { kill, startProcess } from './process.js';

const PHONE = '+79160001313';
const HOUR = 3_600_000;

describe('notification jobs on Postgres survive a crash', () => {
  let world: World | undefined;
  let pool: pg.Pool | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await pool?.end();
    await world?.close();
    world = pool = undefined;
  });

  it('sends each reminder once, not before its time, when the process was killed before they were due', async () => {
    world = await createWorld(
      {
        general: { channelPriority: ['telegram'] },
        records: { groupingWindow: '0s' },
        variables: { language: 'en' },
        branches: [{ id: 101 }],
        templates: [{ kind: 'reminder', text: 'Reminder for {{services}}', offset: '60m' }],
      },
      { dialect: 'postgres' },
    );
    pool = new pg.Pool({ connectionString: world.env.DATABASE_URL });
    pool.on('error', () => {});
    const first = startProcess(world);
    children.push(first.child);
    await first.ready;
    const client = new TelegramUser(world.telegram, 9200);
    client.shareContact(PHONE);
    await client.next();

    // Three visits whose reminders are due 20 to 30 seconds from now.
    const ids: number[] = [];
    for (const [index, serviceId] of [301, 303, 304].entries()) {
      const start = new Date(Date.now() + HOUR + (20 + index * 5) * 1000);
      start.setUTCMilliseconds(0);
      ids.push(Number(bookVisit(world, start, { phone: PHONE, name: 'Rita' }, { serviceId }).id));
    }
    const db = pool;
    const w = world;
    const reminders = async () =>
      (
        await db.query<{ state: string; due_at: string }>(
          `SELECT state, due_at FROM jobs WHERE kind = 'reminder' AND record_id = ANY($1)`,
          [ids],
        )
      ).rows;
    await eventually(async () => expect(await reminders()).toHaveLength(3), 30_000);
    await kill(first.child);
    const planned = await reminders();
    // Killed before any was due: all three wait in the table and in pg-boss.
    expect(planned.map((row) => row.state)).toEqual(['pending', 'pending', 'pending']);

    const second = startProcess(world);
    children.push(second.child);
    await second.ready;
    await eventually(
      async () => expect((await reminders()).map((row) => row.state)).toEqual(['done', 'done', 'done']),
      90_000,
    );
    await eventually(async () => {
      const { rows } = await db.query(`SELECT 1 FROM outbox WHERE state = 'pending'`);
      expect(rows).toEqual([]);
    }, 30_000);
    const sent = world.telegram.sent.filter(
      (call) =>
        call.method === 'sendMessage' &&
        call.chatId === '9200' &&
        String(call.params.text).startsWith('Reminder for'),
    );
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((call) => String(call.params.text))).size).toBe(3);
    // None went out before its due time.
    const firstDue = Math.min(...planned.map((row) => Number(row.due_at)));
    for (const call of sent) expect(w.telegram.startedAt + call.at).toBeGreaterThanOrEqual(firstDue);
  }, 180_000);
});
