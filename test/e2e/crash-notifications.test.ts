import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TelegramUser } from '../helpers/telegram-user.js';
import { bookVisit } from './harness.js';
import { inDatabase, kill, processesPerTest } from './process.js';

const PHONE = '+79160001212';
const HOUR = 3_600_000;

const count = (db: Database.Database, query: string): number => (db.prepare(query).get() as { n: number }).n;

describe('jobs and the outbox survive a crash', () => {
  const bot = processesPerTest();

  it('sends every planned message exactly once after the process was killed', async () => {
    const world = await bot.world({
      general: { channelPriority: ['telegram'] },
      records: { groupingWindow: '0s' },
      variables: { language: 'en' },
      branches: [{ id: 101 }],
      templates: [
        { kind: 'new-record', text: 'Booked: {{services}}' },
        { kind: 'reminder', text: 'Reminder for {{services}}', offset: '60m' },
      ],
    });
    const first = bot.start(world);
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
      const created = bookVisit(world, start, { phone: PHONE, name: 'Rita' }, { serviceId });
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
    const second = bot.start(world, { clockOffsetMs: HOUR + 5 * 60_000 });
    await second.ready;

    const texts = () =>
      world.telegram.sent
        .filter((call) => call.method === 'sendMessage' && call.chatId === '9100')
        .map((call) => String(call.params.text));
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
