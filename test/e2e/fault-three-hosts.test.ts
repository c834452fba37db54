/**
 * Fault test: three tenant-host processes on one Postgres database serve two salons (each with its
 * own Telegram bot and its own Altegio), behind a load balancer. A seeded script plays a busy
 * stretch of the salons' day — clients booking in Telegram, abandoning bookings, the salon putting
 * visits in Altegio whose notices and reminders go out, clients confirming from reminders — while
 * a random process is killed with SIGKILL several times and started again.
 *
 * Time is compressed, not simulated: deadlines on Postgres are due by the database's clock, which
 * a child process cannot shift, so the script runs in real time with short settings (a booking
 * waits 20 s for the client, a reminder's menu 25 s) and visits an hour and some seconds ahead, so
 * that their reminders (60 minutes before) fall due during the run.
 *
 * At the end: every dialogue reached its end, every message a client should get came exactly
 * once, from its salon's bot, deadlines fired no earlier than due and soon after, and each chat's
 * replies came in the order of the dialogue. `FAULT_SEED=<n>` replays a run; the seed is printed
 * and is part of every failure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_PARTNER_TOKEN,
  DEFAULT_USER_TOKEN,
  type Sandbox,
  startSandbox,
} from '../../src/altegio/sandbox/index.js';
import { createLogger } from '../../src/log.js';
import { type BotCall, FakeTelegramServer } from '../fakes/telegram-server.js';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { LoadBalancer } from './load-balancer.js';

const CHILD = join(import.meta.dirname, 'host-child.ts');
const OPERATOR = 'fault-operator-token';
const HOUR = 3_600_000;
const REPLY_TIMEOUT_MS = 20_000;
const MENU_TTL_MS = 25_000;
/**
 * How late a deadline or reminder may fire. Generous for a loaded two-core machine and a process
 * killed just as the work fell due: another process takes it within a poll or two.
 */
const LATE_MS = 20_000;
const KILLS = 4;

const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function generator(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = generator(seed);
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Salon {
  id: string;
  token: string;
  tag: string;
  firstChat: number;
  phonePrefix: string;
  sandbox?: Sandbox;
  /** Telegram's `X-Telegram-Bot-Api-Secret-Token` for this salon's webhook. */
  telegramSecret?: string;
}
const SALONS: Salon[] = [
  { id: 'salon-a', token: '3001:bot-of-salon-a', tag: 'A', firstChat: 81_000, phonePrefix: '+7916551' },
  { id: 'salon-b', token: '3002:bot-of-salon-b', tag: 'B', firstChat: 82_000, phonePrefix: '+7916552' },
];

const settingsOf = (salon: Salon) => ({
  general: { channelPriority: ['telegram'] },
  booking: { replyTimeout: `${REPLY_TIMEOUT_MS / 1000}s` },
  records: { groupingWindow: '0s', confirmMenuTtl: `${MENU_TTL_MS / 1000}s`, confirmation: 'status' },
  branches: [{ id: 101, address: `Street of salon ${salon.tag}` }],
  variables: { language: 'en' },
  templates: [
    { kind: 'new-record', text: `[${salon.tag}] New visit: {{services}} on {{date}} at {{time}}` },
    { kind: 'reminder', text: `[${salon.tag}] Reminder: {{services}} at {{time}}`, offset: '60m' },
  ],
});

/** One host process: started, routed to once it serves both salons, killed, started again. */
interface Host {
  name: string;
  child: ChildProcess;
  url: string;
  output: string;
}

/** What a client is to do, drawn from the seed. */
type Plan =
  | { kind: 'book'; dayIndex: number }
  | { kind: 'abandon' }
  | { kind: 'visit'; dueInMs: number; confirms: boolean };

/** A message a client expects, with what it must look like and when it may come. */
interface Expected {
  label: string;
  match: (text: string) => boolean;
  notBefore?: number;
  notAfter?: number;
}

interface ClientLog {
  salon: Salon;
  chatId: number;
  phone: string;
  plan: Plan;
  /** The messages this chat must receive, in order, each exactly once. */
  expected: Expected[];
  done: boolean;
  recordId?: number;
}

describe('three host processes, two salons, processes killed at random', () => {
  let postgres: TestPostgres;
  let database: TestDatabase;
  let pool: pg.Pool;
  const telegram = new FakeTelegramServer({ maxPollMs: 200 });
  const balancer = new LoadBalancer();
  let balancerUrl = '';
  let apiRoot = '';
  const hosts: Host[] = [];
  const exited: ChildProcess[] = [];
  const events: string[] = [];
  let t0 = Date.now();
  const note = (line: string) => events.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);

  const startHost = async (name: string): Promise<Host> => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: database.url,
        OPERATOR_TOKEN: OPERATOR,
        TELEGRAM_API_ROOT: apiRoot,
        // Telegram pushes to the balancer's public address; the test plays Telegram and posts there.
        TELEGRAM_WEBHOOK_URL: 'https://bots.example.com',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const host: Host = { name, child, url: '', output: '' };
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        host.output += String(chunk);
        const url = /host ready (http:\/\/[\d.:]+)/.exec(host.output)?.[1];
        if (url && !host.url) {
          host.url = url;
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('exit', (code, signal) =>
        reject(new Error(`${name} exited (${code ?? signal}):\n${host.output}`)),
      );
    });
    await ready;
    hosts.push(host);
    return host;
  };

  /** Routed to once the process runs both salons' engines, as a balancer's health check would. */
  const serving = async (host: Host): Promise<void> => {
    await eventually(
      async () => {
        const health = (await (await fetch(`${host.url}/health`)).json()) as { tenants: string[] };
        expect(health.tenants).toEqual(SALONS.map((salon) => salon.id));
      },
      60_000,
      100,
    );
    balancer.add(host.url);
  };

  const kill = async (host: Host): Promise<void> => {
    balancer.remove(host.url);
    const gone = new Promise((resolve) => host.child.once('exit', resolve));
    host.child.kill('SIGKILL');
    await gone;
    hosts.splice(hosts.indexOf(host), 1);
    exited.push(host.child);
  };

  beforeAll(async () => {
    ({ apiRoot } = await telegram.start());
    balancerUrl = await balancer.start();
    postgres = await startTestPostgres();
    database = await postgres.createDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    pool.on('error', () => {});
    // The first process migrates the database; the others start on it together.
    const first = await startHost('host-1');
    await Promise.all([startHost('host-2'), startHost('host-3')]);
    for (const salon of SALONS) {
      salon.sandbox = await startSandbox({ logger: createLogger({ level: 'silent' }) });
      const created = await fetch(`${first.url}/operator/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: salon.id,
          telegramBotToken: salon.token,
          altegio: {
            partnerToken: DEFAULT_PARTNER_TOKEN,
            userToken: DEFAULT_USER_TOKEN,
            apiUrl: salon.sandbox.url,
          },
          settings: settingsOf(salon),
        }),
      });
      expect(created.status).toBe(201);
      const access = (await created.json()) as { webhookSecret: string };
      const registered = await telegram.waitFor(
        (call) => call.method === 'setWebhook' && call.token === salon.token,
        60_000,
      );
      salon.telegramSecret = String(registered.params.secret_token);
      // Altegio posts its webhooks to the balancer too.
      salon.sandbox.setWebhookUrl(`${balancerUrl}/t/${salon.id}/webhooks/altegio/${access.webhookSecret}`);
    }
    for (const host of hosts) await serving(host);
  }, 150_000);

  afterAll(async () => {
    for (const host of [...hosts]) {
      host.child.kill('SIGKILL');
    }
    await balancer.stop();
    for (const salon of SALONS) await salon.sandbox?.stop();
    await telegram.stop();
    await pool?.end();
    await database?.drop();
    await postgres?.stop();
  });

  /** Telegram delivering an update of this salon's bot: to the balancer, again until a 2xx. */
  const deliver = async (salon: Salon, updateId: number): Promise<void> => {
    const status = await balancer.post(`/t/${salon.id}/webhooks/telegram`, telegram.updateById(updateId), {
      'x-telegram-bot-api-secret-token': salon.telegramSecret ?? '',
    });
    if (status !== 200) throw new Error(`update ${updateId} of ${salon.id} was never accepted (${status})`);
  };

  /** What the bots sent to a chat, in order. */
  const sentTo = (chatId: number): BotCall[] =>
    telegram.sent.filter(
      (call) => call.method === 'sendMessage' && call.chatId === String(chatId) && call.response.ok,
    );
  const wallTime = (call: BotCall) => telegram.startedAt + call.at;

  /** A client in a chat of one salon's bot. */
  class Client {
    private cursor = 0;
    constructor(readonly log: ClientLog) {}

    /** Waits for the next message in this chat matching `expected`, and checks it came from the right bot. */
    async expect(expected: Expected, timeoutMs = 60_000): Promise<BotCall> {
      this.log.expected.push(expected);
      const chatId = String(this.log.chatId);
      for (;;) {
        const call = await telegram
          .waitFor(
            (candidate) =>
              candidate.method === 'sendMessage' && candidate.chatId === chatId && candidate.response.ok,
            timeoutMs,
            this.cursor,
          )
          .catch(() => {
            throw new Error(
              `chat ${chatId} (${this.log.salon.id}, ${this.log.plan.kind}) waited ${timeoutMs} ms for "${expected.label}"; it got: ${JSON.stringify(
                sentTo(this.log.chatId).map((c) => String(c.params.text).slice(0, 60)),
              )}`,
            );
          });
        this.cursor = telegram.sent.indexOf(call) + 1;
        if (expected.match(String(call.params.text ?? ''))) return call;
      }
    }

    private buttons(call: BotCall): Array<{ text: string; data: string }> {
      const markup = call.params.reply_markup;
      const parsed = (typeof markup === 'string' ? JSON.parse(markup) : markup) as
        | { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> }
        | undefined;
      return (parsed?.inline_keyboard ?? [])
        .flat()
        .map((button) => ({ text: button.text, data: button.callback_data ?? '' }));
    }

    async send(text: string): Promise<void> {
      await deliver(this.log.salon, telegram.userSends(this.log.chatId, text, { languageCode: 'en' }));
    }

    async shareContact(): Promise<void> {
      await deliver(
        this.log.salon,
        telegram.userSharesContact(this.log.chatId, this.log.phone, { languageCode: 'en' }),
      );
    }

    /** Presses the button whose label matches, or the `index`-th choice that is not navigation. */
    async press(call: BotCall, choice: RegExp | number): Promise<string> {
      const buttons = this.buttons(call);
      const choices =
        typeof choice === 'number'
          ? buttons.filter((button) => !/back|cancel|next|previous|«|»|‹|›|←|→/i.test(button.text))
          : buttons.filter((button) => choice.test(button.text));
      const button = typeof choice === 'number' ? choices[Math.min(choice, choices.length - 1)] : choices[0];
      if (!button)
        throw new Error(
          `chat ${this.log.chatId}: no button ${String(choice)} in ${buttons.map((b) => b.text).join(' | ')}`,
        );
      const messageId = (call.response.result as { message_id: number }).message_id;
      await deliver(
        this.log.salon,
        telegram.userPresses(this.log.chatId, messageId, button.data, { languageCode: 'en' }),
      );
      return button.text;
    }
  }

  const think = () => sleep(between(100, 1_500));
  const is = (pattern: RegExp) => (text: string) => pattern.test(text);

  /** One client's part of the script. */
  const play = async (client: Client): Promise<void> => {
    const { plan, salon } = client.log;
    if (plan.kind === 'book' || plan.kind === 'abandon') {
      await client.send('/start');
      const services = await client.expect({ label: 'services', match: is(/^Choose a service:/) });
      await think();
      const pressedAt = Date.now();
      await client.press(services, /^Women's haircut/);
      const staff = await client.expect({ label: 'staff', match: is(/^Choose a specialist:/) });
      if (plan.kind === 'abandon') {
        // The client goes quiet: the booking times out and says so, without a word from them.
        await client.expect(
          {
            label: 'booking timed out',
            match: is(/^The booking was not made/),
            notBefore: pressedAt + REPLY_TIMEOUT_MS,
            notAfter: wallTime(staff) + REPLY_TIMEOUT_MS + LATE_MS,
          },
          REPLY_TIMEOUT_MS + 90_000,
        );
        return;
      }
      await think();
      await client.press(staff, /^Anna/);
      const days = await client.expect({ label: 'days', match: is(/^Choose a day:/) });
      await think();
      await client.press(days, plan.dayIndex);
      const times = await client.expect({ label: 'times', match: is(/free time/) });
      await think();
      const time = await client.press(times, between(0, 5));
      await client.expect({ label: 'phone request', match: is(/^Please share your phone number/) });
      await think();
      await client.shareContact();
      const summary = await client.expect({ label: 'summary', match: is(/^Please check/) });
      await think();
      await client.press(summary, /Confirm/);
      await client.expect({
        label: 'booked',
        match: (text) => text.startsWith('You are booked') && text.includes(time),
      });
      return;
    }
    // A client the salon books: their chat knows their phone, then a visit is put in Altegio.
    await client.shareContact();
    await client.expect({ label: 'contact answer', match: is(/^Nothing is in progress/) });
    const visitAt = new Date(Date.now() + HOUR + plan.dueInMs);
    visitAt.setUTCMilliseconds(0);
    const due = visitAt.getTime() - HOUR;
    const sandbox = salon.sandbox;
    if (!sandbox) throw new Error('no sandbox');
    const record = sandbox.control.createRecord(101, {
      staff_id: 1001,
      services: [{ id: 301 }],
      client: { phone: client.log.phone, name: `Client ${client.log.chatId}` },
      datetime: visitAt.toISOString(),
      save_if_busy: 1,
    });
    client.log.recordId = Number(record.id);
    const tagged = (what: string) => (text: string) => text.startsWith(`[${salon.tag}] ${what}`);
    await client.expect({ label: 'new-record notice', match: tagged('New visit') });
    const reminder = await client.expect(
      { label: 'reminder', match: tagged('Reminder'), notBefore: due, notAfter: due + LATE_MS },
      plan.dueInMs + 90_000,
    );
    if (plan.confirms) {
      await think();
      await client.press(reminder, /Confirm/);
      await client.expect({ label: 'confirmed', match: is(/is confirmed/) });
    } else {
      await client.expect(
        {
          label: 'reminder menu expired',
          match: is(/menu of this reminder has expired/),
          notBefore: due + MENU_TTL_MS,
          notAfter: wallTime(reminder) + MENU_TTL_MS + LATE_MS,
        },
        MENU_TTL_MS + 90_000,
      );
    }
  };

  /** The salons' jobs and their pg-boss triggers, for a failure's report. */
  const diagnose = async (): Promise<string> => {
    const lines: string[] = [];
    for (const salon of SALONS) {
      const schema = `tenant_${salon.id.replaceAll('-', '_')}`;
      try {
        const jobs = await pool.query(
          `SELECT j.id, j.kind, j.state, j.record_id, j.attempts, j.last_error,
                  to_timestamp(j.due_at / 1000.0)::time(0) AS due,
                  (SELECT string_agg(t.state || '@' || t.start_after::time(0) || coalesce(' started ' || t.started_on::time(0), ''), ', ')
                     FROM ${schema}_boss.job t WHERE (t.data->'data'->>'jobId')::bigint = j.id) AS triggers
           FROM ${schema}.jobs j WHERE j.created_at > $1 ORDER BY j.id`,
          [t0 - 60_000],
        );
        for (const row of jobs.rows) lines.push(`${salon.id} job ${JSON.stringify(row)}`);
      } catch (error) {
        lines.push(`${salon.id}: jobs unreadable: ${String(error)}`);
      }
    }
    return lines.join('\n');
  };

  it('loses no dialogue, sends each message once and on time, in order, through the right bot', async () => {
    t0 = Date.now();
    console.log(`fault test seed ${seed} (FAULT_SEED=${seed} replays it)`);
    try {
      const clients: Client[] = [];
      for (const salon of SALONS) {
        let bookings = 0;
        for (let n = 0; n < 6; n++) {
          const roll = random();
          const plan: Plan =
            roll < 0.35
              ? { kind: 'book', dayIndex: 1 + bookings++ }
              : roll < 0.5
                ? { kind: 'abandon' }
                : { kind: 'visit', dueInMs: between(15_000, 45_000), confirms: random() < 0.6 };
          clients.push(
            new Client({
              salon,
              chatId: salon.firstChat + n,
              phone: `${salon.phonePrefix}${String(n).padStart(4, '0')}`,
              plan,
              expected: [],
              done: false,
            }),
          );
        }
      }
      // Clients arrive over the first 30 seconds; processes die at random over the first 50.
      const playing = clients.map(async (client) => {
        await sleep(between(0, 30_000));
        note(`chat ${client.log.chatId} (${client.log.salon.id}) starts: ${JSON.stringify(client.log.plan)}`);
        await play(client);
        client.log.done = true;
        note(`chat ${client.log.chatId} done`);
      });
      const killTimes = Array.from({ length: KILLS }, () => between(3_000, 50_000)).sort((a, b) => a - b);
      const killing = (async () => {
        const started = Date.now();
        for (const [n, at] of killTimes.entries()) {
          await sleep(Math.max(0, started + at - Date.now()));
          const victim = hosts[between(0, hosts.length - 1)];
          if (!victim) continue;
          note(`SIGKILL ${victim.name}`);
          await kill(victim);
          await sleep(between(0, 3_000));
          const restarted = await startHost(`host-r${n + 1}`);
          await serving(restarted);
          note(`${restarted.name} serving`);
        }
      })();
      const results = await Promise.allSettled([...playing, killing]);
      const failed = results.flatMap((result) =>
        result.status === 'rejected' ? [String(result.reason)] : [],
      );
      if (failed.length > 0) throw new Error(`dialogues that did not reach their end:\n${failed.join('\n')}`);

      // Quiet: nothing left to send in either salon, no dialogue still open.
      for (const salon of SALONS) {
        const schema = `tenant_${salon.id.replaceAll('-', '_')}`;
        await eventually(
          async () => {
            const pending = await pool.query(`SELECT id FROM ${schema}.outbox WHERE state = 'pending'`);
            expect(pending.rows).toEqual([]);
            const open = await pool.query(
              `SELECT d.id, c.chat_id FROM ${schema}.dialogues d JOIN ${schema}.conversations c ON c.id = d.conversation_id
               WHERE d.status = 'active' AND c.chat_id = ANY($1)`,
              [clients.filter((c) => c.log.salon === salon).map((c) => String(c.log.chatId))],
            );
            expect(open.rows).toEqual([]);
          },
          60_000,
          200,
        );
      }

      const problems: string[] = [];
      for (const { log } of clients) {
        const calls = sentTo(log.chatId);
        const wrongBot = calls.filter((call) => call.token !== log.salon.token);
        if (wrongBot.length > 0)
          problems.push(`chat ${log.chatId}: ${wrongBot.length} message(s) from another bot`);
        // Each sent message is one expected message, in the expected order: nothing twice, none extra.
        const texts = calls.map((call) => String(call.params.text));
        const labels = texts.map(
          (text) =>
            log.expected.find((expected) => expected.match(text))?.label ??
            `unexpected: ${text.slice(0, 80)}`,
        );
        const wanted = log.expected.map((expected) => expected.label);
        if (JSON.stringify(labels) !== JSON.stringify(wanted))
          problems.push(
            `chat ${log.chatId} (${log.salon.id}, ${log.plan.kind}): got ${JSON.stringify(labels)}, want ${JSON.stringify(wanted)}`,
          );
        for (const expected of log.expected) {
          const call = calls.find((candidate) => expected.match(String(candidate.params.text)));
          if (!call) continue;
          const at = wallTime(call);
          if (expected.notBefore !== undefined && at < expected.notBefore)
            problems.push(
              `chat ${log.chatId}: "${expected.label}" ${expected.notBefore - at} ms before its time`,
            );
          if (expected.notAfter !== undefined && at > expected.notAfter)
            problems.push(
              `chat ${log.chatId}: "${expected.label}" ${at - expected.notAfter} ms later than allowed`,
            );
        }
        // A confirmation is written to the salon's own Altegio.
        if (log.plan.kind === 'visit' && log.plan.confirms && log.recordId !== undefined) {
          const attendance = log.salon.sandbox?.control.getRecord(101, log.recordId)?.attendance;
          if (attendance !== 2)
            problems.push(`chat ${log.chatId}: record ${log.recordId} attendance ${attendance}, want 2`);
        }
      }
      if (balancer.givenUp.length > 0)
        problems.push(`requests never accepted: ${JSON.stringify(balancer.givenUp)}`);
      if (problems.length > 0) throw new Error(`${problems.length} problem(s):\n${problems.join('\n')}`);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(
        `fault test seed ${seed} (FAULT_SEED=${seed} replays it): ${detail}\n\nevents:\n${events.join('\n')}\n\n${await diagnose()}`,
      );
    }
  }, 300_000);
});
