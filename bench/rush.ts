/**
 * Rush benchmark: N clients of one salon press /start at once and each books a different free
 * slot, through the whole engine — real telegraf polling a fake Bot API on 127.0.0.1 that answers
 * 429 beyond Telegram's limits (30 messages in any second, 1 per chat), and the Altegio sandbox
 * behind a proxy that answers 429 beyond Altegio's (5 in any second, 200 in any minute).
 *
 *   npm run bench -- rush [users]
 *
 * It prints bookings completed and the error texts clients saw, Altegio calls per booking, 429s
 * from each service, step latency (a client's action to the bot's next menu), and the wall time
 * against the physical limit computed from the run's own counts: its Altegio calls at 5/s within
 * 200 per rolling minute (the first 200 may go in the first 40 s), its messages at 30/s, and the
 * longest chain of messages to one chat at 1/s.
 *
 * Last line: `bench rush: <booked>/<N> booked in <s> s (limit <s> s), <k> altegio calls/booking,
 * <n> x 429, p99 <ms> ms`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createAltegioClient } from '../src/altegio/client.js';
import { createRateLimiter } from '../src/altegio/rate-limiter.js';
import { DEFAULT_PARTNER_TOKEN, DEFAULT_USER_TOKEN, startSandbox } from '../src/altegio/sandbox/index.js';
import { createEngine } from '../src/engine.js';
import { createLogger } from '../src/log.js';
import { botT } from '../src/templates/i18n.js';
import { type BotCall, FakeTelegramServer } from '../test/fakes/telegram-server.js';
import { startAltegioLimitProxy } from './altegio-limit-proxy.js';

const TOKEN = '123456:rush-token';
const SECRET = 'rush-secret';
const BRANCH = 101;
const SERVICE = 301; // Women's haircut, 60 min, two masters in the seed
/** A client gives up on a step the bot never answers after this long. */
const STEP_GIVE_UP_MS = 10 * 60_000;

interface Slot {
  staffId: number;
  date: string;
  time: string;
}

interface Seen {
  messageId: number;
  text: string;
  /** Option values (the part of callback data after the menu id). */
  values: Array<{ value: string; data: string }>;
  asksContact: boolean;
}

interface Outcome {
  booked: boolean;
  latencies: number[];
  errors: string[];
  notices: number;
  doneAt: number;
}

/** Free, non-overlapping slots of the service: masters and days interleaved, earliest first. */
async function freeSlots(n: number, sandboxUrl: string): Promise<Slot[]> {
  const direct = createAltegioClient({
    baseUrl: sandboxUrl,
    partnerToken: DEFAULT_PARTNER_TOKEN,
    limiter: createRateLimiter({ limits: [{ max: 10_000, windowMs: 1 }] }),
  });
  const staff = (await direct.bookStaff(BRANCH, { serviceIds: [SERVICE] })).filter((s) => s.bookable);
  const dates = new Map<number, string[]>();
  for (const member of staff) {
    const days = await direct.bookDates(BRANCH, { serviceIds: [SERVICE], staffId: member.id });
    dates.set(member.id, days.bookingDates);
  }
  const slots: Slot[] = [];
  const longest = Math.max(...[...dates.values()].map((d) => d.length));
  for (let day = 0; day < longest && slots.length < n; day++) {
    for (const member of staff) {
      const date = dates.get(member.id)?.[day];
      if (!date || slots.length >= n) continue;
      let freeFrom = 0;
      for (const time of await direct.bookTimes(BRANCH, member.id, date, { serviceIds: [SERVICE] })) {
        if (time.startsAt < freeFrom || slots.length >= n) continue;
        slots.push({ staffId: member.id, date, time: time.time });
        freeFrom = time.startsAt + (time.seanceLength || 3600) * 1000;
      }
    }
  }
  if (slots.length < n) throw new Error(`the sandbox has only ${slots.length} free slots for ${n} clients`);
  return slots;
}

function parse(call: BotCall): Seen {
  const result = call.response.result as { message_id?: number } | undefined;
  const raw = call.params.reply_markup;
  const markup = (typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {})) as {
    inline_keyboard?: Array<Array<{ callback_data?: string }>>;
    keyboard?: Array<Array<{ request_contact?: boolean } | string>>;
  };
  return {
    messageId: result?.message_id ?? 0,
    text: String(call.params.text ?? ''),
    values: (markup.inline_keyboard ?? []).flat().map((button) => {
      const data = button.callback_data ?? '';
      return { value: data.slice(data.indexOf(':') + 1), data };
    }),
    asksContact: (markup.keyboard ?? [])
      .flat()
      .some((button) => typeof button !== 'string' && button.request_contact === true),
  };
}

const en = botT('en');
const ERROR_TEXTS = [
  en('common.tryLater'),
  en('booking.failed.unavailable'),
  en('booking.failed.rejected'),
  en('booking.loadFailed'),
  en('booking.slotTaken'),
];
const BUSY_TEXT = en('common.busyInLine');
const DONE_PREFIX = 'You are booked';

/** One client: picks its slot in each menu (paging when it is not shown), types a phone, confirms. */
async function client(
  telegram: FakeTelegramServer,
  chatId: number,
  slot: Slot,
  phone: string,
): Promise<Outcome> {
  const chat = String(chatId);
  const wanted = new Set([
    `svc:${SERVICE}`,
    `staff:${slot.staffId}`,
    `date:${slot.date}`,
    `time:${slot.time}`,
  ]);
  const outcome: Outcome = { booked: false, latencies: [], errors: [], notices: 0, doneAt: 0 };
  let cursor = 0;
  let actedAt = Date.now();
  const pages = new Map<string, number>();
  telegram.userSends(chatId, '/start', { languageCode: 'en' });
  for (let steps = 0; steps < 40; steps++) {
    let seen: Seen;
    for (;;) {
      const call = await telegram.waitFor(
        (c) => c.method === 'sendMessage' && c.chatId === chat && c.response.ok,
        STEP_GIVE_UP_MS,
        cursor,
      );
      cursor = telegram.sent.indexOf(call) + 1;
      seen = parse(call);
      if (seen.text !== BUSY_TEXT) break;
      outcome.notices += 1;
    }
    outcome.latencies.push(Date.now() - actedAt);
    if (ERROR_TEXTS.some((text) => seen.text.startsWith(text.slice(0, 40)))) outcome.errors.push(seen.text);
    if (seen.text.startsWith(DONE_PREFIX)) {
      outcome.booked = true;
      outcome.doneAt = Date.now();
      return outcome;
    }
    const press = (data: string) =>
      telegram.userPresses(chatId, seen.messageId, data, { languageCode: 'en' });
    const values = seen.values;
    // Paging only forward, so a slot that is not there ends in the fallbacks below.
    const kind = values.find((v) => !v.value.startsWith('page:'))?.value.split(':')[0] ?? '';
    const forward = values.find(
      (v) => v.value.startsWith('page:') && Number(v.value.slice(5)) > (pages.get(kind) ?? 0),
    );
    const pick =
      values.find((v) => wanted.has(v.value)) ??
      values.find((v) => v.value === 'confirm') ??
      forward ??
      // After a taken slot the wanted time is gone: any other free time will do.
      values.find((v) => v.value.startsWith('time:')) ??
      values.find((v) => v.value === 'retry');
    actedAt = Date.now();
    if (pick === forward && forward) pages.set(kind, Number(forward.value.slice(5)));
    if (pick) press(pick.data);
    else if (seen.asksContact || /phone/i.test(seen.text))
      telegram.userSends(chatId, phone, { languageCode: 'en' });
    else return outcome;
  }
  return outcome;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** When the last of `calls` could go at the earliest: 5 per second, 200 per rolling minute. */
export function altegioLimitSeconds(calls: number): number {
  if (calls <= 0) return 0;
  const k = calls - 1;
  return 60 * Math.floor(k / 200) + (k % 200) / 5;
}

export async function benchRush(args: string[]): Promise<string> {
  const users = Number(args[0] ?? 200);
  const dir = mkdtempSync(join(tmpdir(), 'altegio-rush-'));
  const silent = createLogger({ level: 'silent' });
  const sandbox = await startSandbox({ logger: silent });
  const proxy = await startAltegioLimitProxy(sandbox.url);
  const telegram = new FakeTelegramServer({ token: TOKEN, maxPollMs: 1_000, limits: true });
  const { apiRoot } = await telegram.start();
  const settingsFile = join(dir, 'settings.yaml');
  writeFileSync(settingsFile, stringify({ branches: [{ id: BRANCH, address: 'Tverskaya st. 12' }] }));
  const slots = await freeSlots(users, sandbox.url);
  const limiter = createRateLimiter();
  const engine = createEngine({
    env: {
      ALTEGIO_API_URL: proxy.url,
      ALTEGIO_PARTNER_TOKEN: DEFAULT_PARTNER_TOKEN,
      ALTEGIO_USER_TOKEN: DEFAULT_USER_TOKEN,
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: apiRoot,
      WEBHOOK_SECRET: SECRET,
      DATABASE_PATH: join(dir, 'bot.sqlite'),
      SETTINGS_FILE: settingsFile,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    },
    logger: silent,
    altegioLimiter: limiter,
  });
  try {
    const info = await engine.start();
    sandbox.setWebhookUrl(`${info.url}/webhooks/altegio/${SECRET}`);
    const callsBefore = proxy.forwarded.length;
    const sentBefore = telegram.sent.length;
    const started = Date.now();
    const outcomes = await Promise.all(
      slots.map((slot, i) =>
        client(telegram, 50_000_000 + i, slot, `+7916${String(1_000_000 + i).padStart(7, '0')}`),
      ),
    );
    const booked = outcomes.filter((o) => o.booked);
    const last = Math.max(started, ...booked.map((o) => o.doneAt));
    const wall = (last - started) / 1000;
    const calls = proxy.forwarded.filter((at) => at >= started && at <= last).length;
    const sent = telegram.sent.slice(sentBefore);
    const messages = sent.filter((c) => c.method === 'sendMessage' && c.response.ok && c.at >= 0).length;
    const typing = sent.filter((c) => c.method === 'sendChatAction').length;
    // Telegram also allows one message per second in a chat: a client's own messages form a chain.
    const perChat = new Map<string, number>();
    for (const c of sent) {
      if (c.method === 'sendMessage' && c.response.ok && c.chatId)
        perChat.set(c.chatId, (perChat.get(c.chatId) ?? 0) + 1);
    }
    const chain = Math.max(0, ...[...perChat.values()].map((n) => n - 1));
    const limit = Math.max(altegioLimitSeconds(calls), messages / 30, chain);
    const latencies = outcomes.flatMap((o) => o.latencies).sort((a, b) => a - b);
    const errors = new Map<string, number>();
    for (const text of outcomes.flatMap((o) => o.errors)) errors.set(text, (errors.get(text) ?? 0) + 1);
    const telegram429 = telegram.limiter?.refused ?? 0;
    const stats = limiter.stats();
    const perBooking = booked.length > 0 ? calls / booked.length : 0;
    const endpoints = [...proxy.byEndpoint.entries()].map(([endpoint, n]) => `${endpoint} ${n}`).join(', ');
    return [
      `rush: ${users} clients pressed /start at once, each booking a different free slot`,
      `  booked ${booked.length}/${users}; error texts seen: ${
        errors.size === 0
          ? 'none'
          : [...errors].map(([text, n]) => `${n} x "${text.slice(0, 60)}"`).join('; ')
      }`,
      `  altegio: ${calls} calls in the rush (${callsBefore} at start-up), ${perBooking.toFixed(2)} per booking; ` +
        `429 from altegio ${proxy.refused}; budget longest wait ${stats.longestWaitMs.booking} ms; by endpoint: ${endpoints}`,
      `  telegram: ${messages} messages, ${typing} typing actions, 429 from telegram ${telegram429}; ` +
        `"in line" notices ${outcomes.reduce((sum, o) => sum + o.notices, 0)}`,
      `  step latency: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms over ${latencies.length} steps`,
      `  limit: altegio ${altegioLimitSeconds(calls).toFixed(1)} s (${calls} calls at 5/s, 200/min), ` +
        `telegram ${(messages / 30).toFixed(1)} s (${messages} messages at 30/s), one chat's chain ${chain} s (1/s); wall ${wall.toFixed(1)} s = ${(
          wall / Math.max(limit, 0.001)
        ).toFixed(2)} x limit`,
      `bench rush: ${booked.length}/${users} booked in ${wall.toFixed(1)} s (limit ${limit.toFixed(1)} s), ${perBooking.toFixed(2)} altegio calls/booking, ${proxy.refused + telegram429} x 429, p99 ${percentile(latencies, 99)} ms`,
    ].join('\n');
  } finally {
    await engine.stop();
    await telegram.stop();
    await proxy.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
