import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TelegramUser } from '../helpers/telegram-user.js';
import { bookVisit } from './harness.js';
import { inDatabase, kill, outboxSettled, processesPerTest } from './process.js';

const PHONE = '+79160001313';
const HOUR = 3_600_000;
const count = (db: Database.Database, query: string): number => (db.prepare(query).get() as { n: number }).n;

describe('a confirmation survives a crash', () => {
  const bot = processesPerTest();

  it('is written to Altegio exactly once, though the engine was killed after the acknowledgement and again after the write', async () => {
    const w = await bot.world({
      general: { channelPriority: ['telegram'] },
      variables: { language: 'en' },
      branches: [{ id: 101 }],
      records: { confirmation: 'status' },
      templates: [{ kind: 'reminder', text: 'Reminder for {{services}}', offset: '60m' }],
    });
    const { proxy, env } = await bot.proxy(w);
    const start = (clockOffsetMs: number) => bot.start(w, { env, clockOffsetMs });

    // Planned by one engine: a visit two hours ahead, so its reminder is due in an hour.
    const first = start(0);
    await first.ready;
    const client = new TelegramUser(w.telegram, 9200);
    client.shareContact(PHONE);
    await client.next();
    const visitAt = new Date(Date.now() + 2 * HOUR);
    visitAt.setUTCSeconds(0, 0);
    const record = bookVisit(w, visitAt, { phone: PHONE, name: 'Rita' });
    const recordId = Number(record.id);
    await w.sandbox.webhooksIdle();
    // Its reminder (the sandbox's own seed records get reminders too, days ahead).
    await inDatabase(
      w,
      (db) =>
        count(db, `SELECT count(*) AS n FROM jobs WHERE kind = 'reminder' AND record_id = ${recordId}`) === 1,
    );
    await kill(first.child);

    // An hour later (as the engine sees it) the reminder goes out; the client confirms.
    const second = start(HOUR);
    await second.ready;
    const reminder = await client.nextMatching((message) => message.text.startsWith('Reminder for'), 30_000);
    proxy.mode = 'hold';
    const held = proxy.nextHeld();
    client.press(/Confirm/, reminder);
    // Acknowledged at once, while the write is still on its way: then the process dies.
    const ack = await client.nextMatching((message) => /is confirmed/.test(message.text), 30_000);
    await held;
    // Killed once the acknowledgement is recorded as sent (a kill before that record resends it,
    // which is the outbox's at-least-once delivery and not what this test is about).
    await outboxSettled(w);
    await kill(second.child);
    expect(proxy.applied).toEqual([]);
    expect(w.sandbox.control.getRecord(101, recordId)?.attendance).toBe(0);

    // The next engine writes it; this time Altegio applies the write and the process dies before
    // it hears the answer.
    proxy.mode = 'apply-then-hold';
    const applied = proxy.nextHeld();
    const third = start(HOUR);
    await third.ready;
    await applied;
    await kill(third.child);
    expect(w.sandbox.control.getRecord(101, recordId)?.attendance).toBe(2);

    // The last engine finds the visit confirmed already and writes nothing more.
    proxy.mode = 'pass';
    const fourth = start(HOUR);
    await fourth.ready;
    await inDatabase(
      w,
      (db) => count(db, "SELECT count(*) AS n FROM jobs WHERE kind = 'visit-write' AND state = 'done'") === 1,
      60_000,
    );
    expect(proxy.applied.map((write) => write.status < 300)).toEqual([true]);
    expect(w.sandbox.control.getRecord(101, recordId)?.attendance).toBe(2);
    // The client heard "confirmed" once and nothing about a failure.
    const texts = w.telegram.sent
      .filter((call) => call.method === 'sendMessage' && call.chatId === '9200')
      .map((call) => String(call.params.text));
    expect(texts.filter((text) => /is confirmed/.test(text))).toEqual([ack.text]);
    expect(texts.filter((text) => /could not/.test(text))).toEqual([]);
  }, 180_000);
});
