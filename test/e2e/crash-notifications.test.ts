import type { ChildProcess } from 'node:child_process';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, type World } from './harness.js';
import { inDatabase, kill, startProcess } from './process.js';

const PHONE = '+79160001212';
const HOUR = 3_600_000;

const count = (db: Database.Database, query: string): number => (db.prepare(query).get() as { n: number }).n;

describe('jobs and the outbox survive a crash', () => {
  let world: World | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await world?.close();
    world = undefined;
  });

  it('sends every planned message exactly once after the process was killed', async () => {
    world = await createWorld({
      general: { channelPriority: ['telegram'] },
      records: { groupingWindow: '0s' },
      variables: { language: 'en' },
      branches: [{ id: 101 }],
      templates: [
        { kind: 'new-record', text: 'Booked: {{services}}' },
        { kind: 'reminder', text: 'Reminder for {{services}}', offset: '60m' },
      ],
    });
    const first = startProcess(world);
    children.push(first.child);
    await first.ready;

    // The client's Telegram chat shares the phone, so notifications can reach it there.
    const client = new TelegramUser(world.telegram, 9100);
    client.shareContact(PHONE);
    await client.next();

    // Three visits two hours ahead: three notices now, three reminders an hour from now.
    const ids: number[] = [];
    for (const [index, serviceId] of [301, 303, 304].entries()) {
      const start = new Date(Date.now() + 2 * HOUR + index * 60_000);
      start.setUTCSeconds(0, 0);
      const created = world.sandbox.control.createRecord(101, {
        staff_id: 1001,
        services: [{ id: serviceId }],
        client: { phone: PHONE, name: 'Rita' },
        datetime: start.toISOString(),
        save_if_busy: 1,
      });
      ids.push(Number(created.id));
    }
    // The jobs of these records (the sandbox's own seed records get reminders too, days ahead).
    const ours = `record_id IN (${ids.join(',')})`;
    await world.sandbox.webhooksIdle();
    // Killed once the reminders are planned, whatever was sent by then.
    await inDatabase(
      world,
      (db) => count(db, `SELECT count(*) AS n FROM jobs WHERE kind = 'reminder' AND ${ours}`) === 3,
    );
    await kill(first.child);

    // Started again an hour (and a bit) later as the engine sees it: the reminders are due.
    const second = startProcess(world, { clockOffsetMs: HOUR + 5 * 60_000 });
    children.push(second.child);
    await second.ready;

    const texts = () =>
      world?.telegram.sent
        .filter((call) => call.method === 'sendMessage' && call.chatId === '9100')
        .map((call) => String(call.params.text)) ?? [];
    // Everything settled: no job of these records waiting or running, no message waiting.
    await inDatabase(
      world,
      (db) =>
        count(db, `SELECT count(*) AS n FROM jobs WHERE state IN ('pending', 'running') AND ${ours}`) === 0 &&
        count(db, "SELECT count(*) AS n FROM outbox WHERE state = 'pending'") === 0,
      60_000,
    );
    const notices = texts().filter((text) => text.startsWith('Booked:'));
    const reminders = texts().filter((text) => text.startsWith('Reminder for'));
    expect(notices.sort()).toEqual([
      'Booked: Gel manicure',
      "Booked: Men's haircut",
      "Booked: Women's haircut",
    ]);
    expect(reminders).toHaveLength(3);
    expect(new Set(reminders).size).toBe(3);
    // Waits are for conditions; this only bounds a run that would otherwise hang.
  }, 120_000);
});
