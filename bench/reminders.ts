/**
 * Reminder benchmark, in two parts.
 *
 * Planning: record-create webhooks for distinct clients go the way the engine takes them — JSON
 * body, `parseWebhook`, the inbound ledger, then the real ingest (mirror upsert, planner, ledger
 * marked processed in one transaction) — on a temporary SQLite file. Each record plans two
 * reminders (24 h and 2 h) and a new-record notice. Measured twice: one transaction per webhook,
 * as a burst really arrives (the headline figure), and 500 webhooks per transaction, to show what
 * the per-transaction cost is. A run that spends its time budget stops early and says how far it
 * got, with the rate over its last tenth, so a build whose planning slows down with the number of
 * pending jobs shows it instead of running for an hour.
 *
 * Dispatch: the real dispatcher against a fake Telegram that answers 429 exactly when Telegram's
 * limits (30 messages in any 1 s, 1 per chat per second) would be broken, on a simulated clock, so
 * minutes of sending take a moment and the figures do not depend on the machine. The headline run
 * is a reminder batch (2 messages per chat on average, at most 4); a second run adds ten chats
 * with 50 messages each to show what a backlog in a few chats costs.
 *
 *   npm run bench -- reminders [records] [chats] [planning budget in seconds]
 *
 * Last line: `bench reminders: <N> planned/s, dispatch <p>% of ceiling, <k> x 429`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWebhook, webhookDedupeKey } from '../src/altegio/webhooks.js';
import { type ChannelAdapter, ChannelSendError, type OutboundMessage } from '../src/channels/channel.js';
import { createDispatcher, type DispatcherTimers, type DispatchItem } from '../src/channels/dispatcher.js';
import type { Clock } from '../src/domain/clock.js';
import { defaultSettings, type Settings } from '../src/domain/settings.js';
import { createLogger } from '../src/log.js';
import { createIngest } from '../src/notify/ingest.js';
import { createPlanner } from '../src/notify/planner.js';
import { createStore } from '../src/store/index.js';

const BRANCH = 101;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Europe/Moscow has no daylight saving, so a fixed offset renders its wall clock exactly. */
const OFFSET_MS = 3 * HOUR;
/** A fixed "now" (Monday 09:00 in the branch): due times and stamps do not depend on the date. */
const NOW = Date.UTC(2030, 0, 7, 6, 0);
const BATCH = 500;

const wallClock = (ms: number): string => new Date(ms + OFFSET_MS).toISOString().slice(0, 19);

function settingsWithTwoReminders(): Settings {
  const settings = defaultSettings();
  settings.templates.push({
    kind: 'reminder',
    offset: '2h',
    text: '{{client_name}}, ждём вас сегодня в {{time}} в {{branch_name}}.',
    language: 'ru',
    enabled: true,
  });
  return settings;
}

/**
 * A record-create webhook shaped like the ones Altegio (and the sandbox) send, for the `i`-th of
 * `n` records. Visits start at least 25 h ahead, so both reminders are still in the future, and
 * spread over 30 days in quarter-hour slots.
 */
function createWebhook(i: number, n: number): string {
  const id = 5_000_000 + i;
  const quarters = Math.floor((i * 29 * DAY) / n / (15 * MINUTE));
  const startsAt = NOW + 25 * HOUR + quarters * 15 * MINUTE;
  const local = wallClock(startsAt);
  const stamp = `${wallClock(NOW)}+0300`;
  const staffId = 1001 + (i % 12);
  const serviceId = 301 + (i % 20);
  return JSON.stringify({
    company_id: BRANCH,
    resource: 'record',
    resource_id: id,
    status: 'create',
    data: {
      id,
      company_id: BRANCH,
      staff_id: staffId,
      staff: { id: staffId, name: `Master ${staffId}`, specialization: 'Stylist' },
      services: [
        {
          id: serviceId,
          title: `Service ${serviceId}`,
          cost: 2500,
          first_cost: 2500,
          discount: 0,
          amount: 1,
        },
      ],
      client: {
        id: 700_000 + i,
        name: `Client ${i}`,
        display_name: `Client ${i}`,
        phone: `+7 916 ${String(i).padStart(7, '0')}`,
        email: '',
      },
      clients_count: 1,
      date: local.replace('T', ' '),
      datetime: `${local}+03:00`,
      create_date: stamp,
      last_change_date: stamp,
      comment: '',
      online: true,
      visit_attendance: 0,
      attendance: 0,
      confirmed: 1,
      seance_length: 3600,
      length: 3600,
      api_id: null,
      visit_id: id,
      deleted: false,
      paid_full: 0,
      prepaid: false,
      prepaid_confirmed: false,
      short_link: `https://alteg.io/r/${id}`,
      custom_color: '',
      record_labels: [],
    },
  });
}

interface PlanningResult {
  /** Records actually fed (fewer than asked when the time budget ran out). */
  records: number;
  seconds: number;
  jobs: number;
  /** Records per second over the last tenth of what was fed: where the rate ended up. */
  finalRecordsPerSecond: number;
}

/**
 * Feeds up to `n` create webhooks through the ingest path on a fresh database, in chunks of
 * `BATCH`, stopping early once `budgetMs` of wall time is spent so a slow build still finishes.
 * Only the engine's work is timed (body parse to commit), not building the bodies.
 */
async function planRecords(
  dir: string,
  n: number,
  perTransaction: number,
  budgetMs: number,
): Promise<PlanningResult> {
  const clock: Clock = { now: () => NOW };
  const store = createStore(join(dir, `planning-${perTransaction}.sqlite`), { clock });
  const logger = createLogger({ level: 'silent' });
  const settings = settingsWithTwoReminders();
  const ingest = createIngest({
    store,
    altegio: { invalidate: () => {}, invalidateAvailability: () => {} },
    logger,
    plan: createPlanner({ store, settings: () => settings, clock, logger }),
  });

  const handle = async (text: string): Promise<void> => {
    // As the webhook route does: parse, ledger, then process.
    const body: unknown = JSON.parse(text);
    const parsed = parseWebhook(body);
    if (!parsed.ok) throw new Error(`benchmark webhook refused: ${parsed.reason}`);
    const key = webhookDedupeKey(parsed.event);
    if (await store.inbound.recordIfNew('altegio', key, body)) await ingest(parsed.event, key, body);
  };

  const chunks: Array<{ records: number; ms: number }> = [];
  const began = performance.now();
  let records = 0;
  while (records < n && performance.now() - began < budgetMs) {
    const texts: string[] = [];
    for (let i = records; i < Math.min(n, records + BATCH); i++) texts.push(createWebhook(i, n));
    const started = performance.now();
    if (perTransaction === 1) for (const text of texts) await handle(text);
    else
      await store.transaction(async () => {
        for (const text of texts) await handle(text);
      });
    chunks.push({ records: texts.length, ms: performance.now() - started });
    records += texts.length;
  }

  // Ingest logs and swallows a failure (start-up replays it), so count what really landed.
  const count = (sql: string): number => (store.sqlite.prepare(sql).get() as { n: number }).n;
  const jobs = count("SELECT count(*) AS n FROM jobs WHERE state = 'pending'");
  const unprocessed = count('SELECT count(*) AS n FROM inbound_events WHERE processed_at IS NULL');
  await store.close();
  if (jobs !== 3 * records || unprocessed !== 0) {
    throw new Error(
      `expected ${3 * records} jobs and every webhook processed, got ${jobs} and ${unprocessed} left`,
    );
  }
  const tail = chunks.slice(-Math.max(1, Math.round(chunks.length / 10)));
  const sum = (items: typeof chunks, field: 'records' | 'ms') => items.reduce((a, c) => a + c[field], 0);
  return {
    records,
    seconds: sum(chunks, 'ms') / 1000,
    jobs,
    finalRecordsPerSecond: (sum(tail, 'records') / sum(tail, 'ms')) * 1000,
  };
}

function describePlanning(label: string, asked: number, result: PlanningResult): string {
  const done =
    result.records < asked ? `${result.records} of ${asked} records (time budget spent)` : `${asked} records`;
  return (
    `planning, ${label}: ${done} in ${result.seconds.toFixed(2)} s, ` +
    `${Math.round(result.records / result.seconds)} records/s ` +
    `(last tenth ${Math.round(result.finalRecordsPerSecond)}), ${result.jobs} jobs, ` +
    `${Math.round(result.jobs / result.seconds)} planned/s`
  );
}

/** Timers over virtual time: whenever nothing can run, time jumps to the next timer. */
function createVirtualTime() {
  interface Timer {
    at: number;
    callback: () => void;
  }
  let now = 0;
  let nextId = 0;
  // Few timers are ever pending (the dispatcher keeps one, plus one per send in flight), so a
  // scan for the earliest is cheaper than keeping a heap.
  const pending = new Map<number, Timer>();
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  const timers: DispatcherTimers = {
    now: () => now,
    setTimeout(callback, ms) {
      nextId += 1;
      pending.set(nextId, { at: now + Math.max(0, ms), callback });
      return nextId;
    },
    clearTimeout(handle) {
      if (typeof handle === 'number') pending.delete(handle);
    },
  };

  return {
    timers,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms)),
    /** Runs timers in time order (ties in creation order) until none is left. */
    async run(): Promise<void> {
      for (;;) {
        // Promise chains (a send settling, the dispatcher's queued pump) finish before time moves.
        await settle();
        let earliest: { id: number; timer: Timer } | undefined;
        for (const [id, timer] of pending)
          if (!earliest || timer.at < earliest.timer.at) earliest = { id, timer };
        if (!earliest) return;
        pending.delete(earliest.id);
        now = Math.max(now, earliest.timer.at);
        earliest.timer.callback();
      }
    },
  };
}

/**
 * Telegram as far as its limits go: a send that would be the 31st within 1 s, or a second one to
 * a chat within 1 s, is refused with 429 and a `retry_after` (whole seconds, like the Bot API).
 * Refused sends do not count towards the limits; accepted ones answer after `latencyMs`.
 */
function createFakeTelegram(
  time: ReturnType<typeof createVirtualTime>,
  limits: { perChatMs: number; perWindow: number; windowMs: number; latencyMs: number },
) {
  const accepted: number[] = [];
  let head = 0;
  const lastByChat = new Map<string, number>();
  const stats = { sent: 0, tooManyRequests: 0, firstAt: Number.NaN, lastAt: Number.NaN };

  const refuse = (waitMs: number): never => {
    stats.tooManyRequests += 1;
    throw new ChannelSendError('Too Many Requests', true, Math.max(1, Math.ceil(waitMs / 1000)) * 1000);
  };

  const channel: ChannelAdapter = {
    name: 'telegram',
    start: async () => {},
    stop: async () => {},
    isRunning: () => true,
    async send(chatId: string, _message: OutboundMessage) {
      const now = time.timers.now();
      while (head < accepted.length && (accepted[head] ?? 0) <= now - limits.windowMs) head++;
      if (accepted.length - head >= limits.perWindow) {
        refuse((accepted[accepted.length - limits.perWindow] ?? now) + limits.windowMs - now);
      }
      const last = lastByChat.get(chatId);
      if (last !== undefined && now - last < limits.perChatMs) refuse(last + limits.perChatMs - now);
      accepted.push(now);
      lastByChat.set(chatId, now);
      if (stats.sent === 0) stats.firstAt = now;
      stats.sent += 1;
      stats.lastAt = now;
      await time.sleep(limits.latencyMs);
    },
  };
  return { channel, stats };
}

/** Telegram's published limits, which the fake enforces whatever the dispatcher is set to. */
const TELEGRAM = { perChatMs: 1000, perWindow: 30, windowMs: 1000 };
const CEILING = (TELEGRAM.perWindow * 1000) / TELEGRAM.windowMs;

/** Deterministic pseudo-random numbers in [0, 1) (a linear congruential generator). */
function createRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Which chat each message goes to, shuffled: `counts[c]` messages for chat `c`. Reminders due
 * together reach the dispatcher in no particular chat order.
 */
function shuffledTargets(counts: readonly number[]): number[] {
  const targets = counts.flatMap((count, chat) => Array.from({ length: count }, () => chat));
  const random = createRandom(42);
  for (let k = targets.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [targets[k], targets[j]] = [targets[j] ?? 0, targets[k] ?? 0];
  }
  return targets;
}

/**
 * A reminder run as clients book: most have one or two visits in the batch, some three or four
 * (2/5 of the chats get 1 message, 3/10 get 2, 1/5 get 3, 1/10 get 4; 2 on average).
 */
function reminderCounts(chats: number): number[] {
  return Array.from({ length: chats }, (_, c) => {
    const share = c / chats;
    return share < 0.4 ? 1 : share < 0.7 ? 2 : share < 0.9 ? 3 : 4;
  });
}

interface DispatchResult {
  messages: number;
  sent: number;
  failed: number;
  tooManyRequests: number;
  /** Virtual seconds from queueing to the last message delivered. */
  seconds: number;
  perSecond: number;
  percentOfCeiling: number;
}

/** Queues every message at once (a batch of reminders fell due) and lets the dispatcher drain them. */
async function dispatch(targets: readonly number[]): Promise<DispatchResult> {
  const time = createVirtualTime();
  const telegram = createFakeTelegram(time, { ...TELEGRAM, latencyMs: 60 });
  let sent = 0;
  let failed = 0;
  let doneAt = 0;
  const dispatcher = createDispatcher<DispatchItem>({
    channels: { telegram: telegram.channel },
    timers: time.timers,
    onSent: () => {
      sent += 1;
      doneAt = time.timers.now();
    },
    onFailed: () => {
      failed += 1;
    },
  });
  for (const [k, chat] of targets.entries()) {
    dispatcher.enqueue({
      channel: 'telegram',
      chatId: String(900_000_000 + chat),
      message: { text: `Reminder ${k}` },
    });
  }
  await time.run();
  await dispatcher.stop();
  if (sent + failed !== targets.length) {
    throw new Error(`the dispatcher settled ${sent + failed} of ${targets.length} messages`);
  }

  const { stats } = telegram;
  // A perfect sender fills whole windows and needs ceil(N / 30) of them, the last one counted in
  // full: measured that way the rate can reach the ceiling but not exceed it.
  const busySeconds = (stats.lastAt - stats.firstAt + TELEGRAM.windowMs) / 1000;
  const perSecond = stats.sent / busySeconds;
  return {
    messages: targets.length,
    sent,
    failed,
    tooManyRequests: stats.tooManyRequests,
    seconds: doneAt / 1000,
    perSecond,
    percentOfCeiling: (perSecond / CEILING) * 100,
  };
}

function describeDispatch(label: string, chats: number, result: DispatchResult): string {
  return (
    `${label}: ${result.messages} messages to ${chats} chats in ${result.seconds.toFixed(1)} virtual s ` +
    `(ideal ${(result.messages / CEILING).toFixed(1)} s), ${result.perSecond.toFixed(2)} msg/s, ` +
    `${result.percentOfCeiling.toFixed(1)}% of ${CEILING}/s, ${result.sent} sent, ${result.failed} failed, ` +
    `${result.tooManyRequests} x 429`
  );
}

export async function benchReminders(args: string[]): Promise<string> {
  const RECORDS = Number(args[0] ?? 100_000);
  const CHATS = Number(args[1] ?? 5_000);
  // Both planning runs share it; the real path gets the larger part, the batched run the rest.
  const BUDGET_MS = Number(args[2] ?? 110) * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'altegio-bench-'));
  try {
    const began = performance.now();
    const single = await planRecords(dir, RECORDS, 1, BUDGET_MS * 0.6);
    console.log(describePlanning('one transaction per webhook', RECORDS, single));
    const left = BUDGET_MS - (performance.now() - began);
    const batched = await planRecords(dir, RECORDS, BATCH, Math.max(left, BUDGET_MS * 0.2));
    console.log(describePlanning(`${BATCH} webhooks per transaction`, RECORDS, batched));

    const counts = reminderCounts(CHATS);
    const run = await dispatch(shuffledTargets(counts));
    console.log(describeDispatch('dispatch', CHATS, run));
    // Records booked under one phone (the salon's own, for walk-ins without one) pile up in one
    // chat; Telegram allows that chat one message a second whatever the dispatcher does.
    const hot = counts.map((count, chat) => (chat < 10 ? 50 : count));
    console.log(
      describeDispatch('dispatch, 10 chats with 50 each', CHATS, await dispatch(shuffledTargets(hot))),
    );

    const plannedPerSecond = Math.round(single.jobs / single.seconds);
    return `bench reminders: ${plannedPerSecond} planned/s, dispatch ${run.percentOfCeiling.toFixed(1)}% of ceiling, ${run.tooManyRequests} x 429`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
