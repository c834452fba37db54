/**
 * On Postgres, outgoing messages run on pg-boss: a reply whose sends failed (Telegram answering
 * 500) waits in the outbox for its retry; the process is killed while it waits, and the process
 * started after it sends the reply once.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, type World } from './harness.js';
import { kill, startProcess } from './process.js';

describe('outgoing messages on Postgres survive a crash', () => {
  let world: World | undefined;
  let pool: pg.Pool | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await pool?.end();
    await world?.close();
    world = pool = undefined;
  });

  it('sends a reply the killed process could not send, once, after the restart', async () => {
    world = await createWorld(
      { variables: { language: 'en' }, branches: [{ id: 101 }] },
      { dialect: 'postgres' },
    );
    pool = new pg.Pool({ connectionString: world.env.DATABASE_URL });
    pool.on('error', () => {});
    const first = startProcess(world);
    children.push(first.child);
    await first.ready;
    const client = new TelegramUser(world.telegram, 9300);
    client.shareContact('+79160001414');
    await client.next();

    // Every send of the next reply fails, past the dispatcher's quick retries: it waits for the
    // outbox's own retry, minutes away.
    for (let n = 0; n < 5; n++) world.telegram.failNext('sendMessage', { error_code: 500 });
    // What reached the chat: the fake records the refused calls too.
    const delivered = () =>
      world?.telegram.sent.filter(
        (call) => call.method === 'sendMessage' && call.chatId === '9300' && call.response.ok,
      ) ?? [];
    const sentBefore = delivered().length;
    client.send('hello?');
    const db = pool;
    const waiting = async () =>
      (
        await db.query<{ id: number; idempotency_key: string; state: string; last_error: string | null }>(
          `SELECT id, idempotency_key, state, last_error FROM outbox WHERE recipient = '9300' AND state <> 'sent'`,
        )
      ).rows;
    const [row] = await eventually(async () => {
      const rows = await waiting();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.last_error).not.toBeNull();
      return rows;
    }, 60_000);
    if (!row) throw new Error('no waiting row');
    await kill(first.child);
    // Nothing got through while the process lived.
    expect(delivered().length).toBe(sentBefore);

    const second = startProcess(world);
    children.push(second.child);
    await second.ready;
    await eventually(async () => {
      const { rows } = await db.query(`SELECT state FROM outbox WHERE id = $1`, [row.id]);
      expect(rows).toEqual([{ state: 'sent' }]);
    }, 60_000);
    // The reply went out once, after the restart.
    expect(delivered().length).toBe(sentBefore + 1);
    // pg-boss carried it: the row has its trigger.
    const { rows: keys } = await db.query(
      `SELECT 1 FROM pgboss.app_job_key WHERE queue = 'outbox-messages' AND key = $1`,
      [`outbox:${row.id}`],
    );
    expect(keys).toHaveLength(1);
  }, 180_000);
});
