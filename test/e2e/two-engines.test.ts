/**
 * Two engines on one Postgres database, as two instances behind a load balancer: Altegio's
 * webhooks reach one of them, notification jobs run on pg-boss and may be taken by either, and
 * every client still gets each notice and each reminder exactly once.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { FakeWhatsAppClient } from '../fakes/whatsapp-client.js';
import { eventually } from '../helpers/eventually.js';
import { bookVisit, createWorld, type World } from './harness.js';

const CLIENTS = Array.from({ length: 6 }, (_, n) => `+7916000770${n}`);
const chatOf = (phone: string) => `${phone.slice(1)}@c.us`;

const settings = {
  general: { adminPhone: '79990000001' },
  records: { groupingWindow: '1s' },
  branches: [{ id: 101, address: 'Tverskaya st. 12' }],
  variables: { language: 'en' },
  templates: [
    { kind: 'new-record', text: 'New visit: {{services}} at {{time}}' },
    { kind: 'reminder', text: 'Reminder: {{services}} at {{time}}', offset: '60m' },
  ],
};

describe('two engines on one Postgres database', () => {
  let world: World | undefined;
  let second: Engine | undefined;
  let pool: pg.Pool | undefined;
  afterEach(async () => {
    await second?.stop();
    await pool?.end();
    await world?.close();
    world = second = pool = undefined;
  });

  it('send each due notification once, whichever engine runs it', async () => {
    world = await createWorld(settings, { dialect: 'postgres' });
    // Several processes on one database take Telegram's updates by webhook: long polling is one
    // process's only (each engine tells the fake Telegram its webhook, which nobody posts to).
    world.env.TELEGRAM_WEBHOOK_URL = 'https://bot.example.com';
    await world.startEngine();
    // The second instance has its own WhatsApp session; what either sends counts.
    const otherWhatsApp = new FakeWhatsAppClient({ loggedIn: true });
    second = createEngine({
      env: world.env,
      logger: createLogger({ level: 'silent' }),
      channelLimits: { telegram: { perChatIntervalMs: 0 }, whatsapp: { perChatIntervalMs: 0 } },
      whatsappClient: otherWhatsApp,
    });
    await second.start();
    pool = new pg.Pool({ connectionString: world.env.DATABASE_URL });
    pool.on('error', () => {});

    // Visits an hour and a few seconds ahead: a new-record notice at once, the reminder soon after.
    for (const [n, phone] of CLIENTS.entries()) {
      const start = new Date(Date.now() + 3_600_000 + (3 + n) * 1000);
      start.setUTCMilliseconds(0);
      bookVisit(world, start, { phone, name: `Client ${n}` });
    }
    const w = world;
    const sent = () => [...w.whatsapp.sent, ...otherWhatsApp.sent];
    const query = pool;
    // Done when every job has run and every outgoing message is out: nothing can be sent after that.
    await eventually(async () => {
      const jobs = await query.query<{ state: string; n: number }>(
        `SELECT state, count(*)::int AS n FROM jobs
         WHERE kind IN ('notice', 'reminder') AND regexp_replace(payload->>'phone', 'D', '', 'g') = ANY($1) GROUP BY state`,
        [CLIENTS.map((phone) => phone.slice(1))],
      );
      expect(jobs.rows).toEqual([{ state: 'done', n: CLIENTS.length * 2 }]);
      const unsent = await query.query(`SELECT 1 FROM outbox WHERE state = 'pending'`);
      expect(unsent.rows).toEqual([]);
    }, 60_000);

    for (const phone of CLIENTS) {
      const texts = sent()
        .filter((message) => message.chatId === chatOf(phone))
        .map((message) => message.text);
      expect(texts.filter((text) => text.startsWith('New visit'))).toHaveLength(1);
      expect(texts.filter((text) => text.startsWith('Reminder'))).toHaveLength(1);
    }
    // pg-boss ran them: every one of these jobs has a finished trigger.
    const triggers = await query.query<{ n: number }>(
      `SELECT count(DISTINCT j.id)::int AS n FROM jobs j JOIN pgboss.job t
         ON t.name = 'notification-jobs' AND (t.data->'data'->>'jobId')::bigint = j.id
       WHERE t.state = 'completed' AND regexp_replace(j.payload->>'phone', 'D', '', 'g') = ANY($1)`,
      [CLIENTS.map((phone) => phone.slice(1))],
    );
    expect(triggers.rows[0]?.n).toBe(CLIENTS.length * 2);
  });
});
