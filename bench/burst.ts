/**
 * Burst benchmark: the morning a chain's reminders all go out together.
 *
 * 2,000 clients of one branch have a visit at the same time, so their reminders fall due in the
 * same second; half of them press Confirm within a minute of receiving theirs; meanwhile 20 other
 * clients, arriving over that minute, book through the menu, on the day of those visits. The
 * engine runs in this process, as in production, against loopback fakes that refuse what the real
 * services refuse: the Altegio sandbox behind a proxy that answers 429 beyond 5 requests per second
 * or 200 per minute, and the fake Bot API in limit mode (429 beyond 30 messages per second, or 1
 * per second in a chat). Real telegraf polls it. Time is real: the run lasts as long as the limits make it.
 *
 * Seeding (the records, their mirror and planned reminders, the clients' chats) goes through the
 * real ingest and planner on the engine's database before the engine starts, as webhooks would
 * have done the day before.
 *
 *   npm run bench -- burst [reminders] [bookers] [cap in minutes] [pace: human | instant]
 *
 * Last line: `bench burst: <n> reminders, <m> confirmations written, ack p99 <ms> ms,
 * booking p99 <ms> ms, <k> x 429, lost <l>, duplicated <d>`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { createAltegioClient } from '../src/altegio/client.js';
import {
  type CallPriority,
  createRateLimiter,
  PRIORITIES,
  type RateLimiter,
} from '../src/altegio/rate-limiter.js';
import { DEFAULT_PARTNER_TOKEN, DEFAULT_USER_TOKEN, startSandbox } from '../src/altegio/sandbox/index.js';
import { parseWebhook } from '../src/altegio/webhooks.js';
import { currentChat } from '../src/dialogues/waiting.js';
import { normalizePhone } from '../src/domain/phone.js';
import { parseSettings } from '../src/domain/settings.js';
import { createEngine } from '../src/index.js';
import { createLogger } from '../src/log.js';
import { createIngest } from '../src/notify/ingest.js';
import { createPlanner } from '../src/notify/planner.js';
import { createStore } from '../src/store/index.js';
import { type BotCall, FakeTelegramServer } from '../test/fakes/telegram-server.js';
import { startAltegioLimitProxy } from './altegio-limit-proxy.js';

const BRANCH = 101;
const TOKEN = '123456:bench-token';
const SECRET = 'bench-secret';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Time given to seeding and start-up before the reminders fall due. */
const LEAD_MS = 45_000;
const FIRST_CHAT = 100_000;
const FIRST_BOOKER = 900_000;
/**
 * A booker reads each menu for 1.5–3 s before pressing, and the bookers arrive over the burst's
 * first minute, as clients do. Pace `instant` (all press /start together, every reply answered at
 * once) is the worst case: their `book_record` calls meet in one second, and at 5 calls/s the last
 * of 20 waits 4 s, whatever the engine does. Step latency is measured from the press.
 */
const HUMAN_THINK_MS = 1_500;

interface Seen {
  messageId: number;
  text: string;
  buttons: Array<{ text: string; data: string }>;
  asksContact: boolean;
}

function seen(call: BotCall): Seen {
  const result = call.response.result as { message_id?: number } | undefined;
  const raw = call.params.reply_markup;
  const markup = (typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {})) as {
    inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>>;
    keyboard?: Array<Array<{ text: string; request_contact?: boolean } | string>>;
  };
  return {
    messageId: result?.message_id ?? 0,
    text: String(call.params.text ?? ''),
    buttons: (markup.inline_keyboard ?? [])
      .flat()
      .map((b) => ({ text: b.text, data: b.callback_data ?? '' })),
    asksContact: (markup.keyboard ?? [])
      .flat()
      .some((button) => typeof button !== 'string' && button.request_contact === true),
  };
}

/** A small deterministic generator, so two runs press Confirm at the same moments. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

/** One Altegio call as the budget saw it: whose, when asked, let go and released, and the windows then. */
interface TracedCall {
  chatId: string | undefined;
  priority: CallPriority;
  asked: number;
  granted: number;
  released: number;
  /** Slots used in each window when the call asked. */
  used: number[];
}

/** The engine's own call budget, timing every wait for it per priority: where a step's time goes. */
function timedLimiter(): {
  limiter: RateLimiter;
  waits: Record<CallPriority, number[]>;
  calls: TracedCall[];
} {
  const inner = createRateLimiter();
  const waits: Record<CallPriority, number[]> = { booking: [], write: [], notify: [], sync: [] };
  const calls: TracedCall[] = [];
  const limiter: RateLimiter = {
    async acquire(options = {}) {
      const priority = options.priority ?? 'notify';
      const call: TracedCall = {
        chatId: currentChat()?.chatId,
        priority,
        asked: Date.now(),
        granted: 0,
        released: 0,
        used: inner.stats().used,
      };
      const release = await inner.acquire(options);
      call.granted = Date.now();
      waits[priority].push(call.granted - call.asked);
      calls.push(call);
      return () => {
        if (call.released === 0) call.released = Date.now();
        release();
      };
    },
    estimateWait: (priority) => inner.estimateWait(priority),
    pause: (ms) => inner.pause(ms),
    stats: () => inner.stats(),
    get pending() {
      return inner.pending;
    },
  };
  return { limiter, waits, calls };
}

/** Branch 101 of the sandbox is in Moscow. */
const BRANCH_ZONE = { name: 'Europe/Moscow', offset: '+03:00' };
const branchDay = new Intl.DateTimeFormat('en-CA', { timeZone: BRANCH_ZONE.name });

/**
 * The visits fall on the first day the bookers are offered, whatever the hour the bench runs, so
 * that the confirmations' record webhooks touch the days the bookers book (the worst case for
 * their availability cache): an hour after the reminders, or else at that day's opening.
 */
async function visitTime(sandboxUrl: string, dueAt: number): Promise<number> {
  const widget = createAltegioClient({ baseUrl: sandboxUrl, partnerToken: DEFAULT_PARTNER_TOKEN });
  const { bookingDates } = await widget.bookDates(BRANCH, { serviceIds: [301], staffId: 1001 });
  const first = bookingDates[0];
  if (!first) throw new Error('the sandbox offers no day to book');
  const inAnHour = dueAt + HOUR;
  if (branchDay.format(inAnHour) === first) return inAnHour;
  return Date.parse(`${first}T10:00:00${BRANCH_ZONE.offset}`);
}

const phoneOf = (i: number) => `+7916${String(i).padStart(7, '0')}`;

export async function benchBurst(args: string[]): Promise<string> {
  const reminders = Number(args[0] ?? 2000);
  const bookers = Number(args[1] ?? 20);
  const capMs = Number(args[2] ?? 25) * MINUTE;
  const instant = args[3] === 'instant';
  const thinkTime = (next: () => number) =>
    instant ? 0 : HUMAN_THINK_MS + Math.floor(next() * HUMAN_THINK_MS);
  const silent = createLogger({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'altegio-bot-burst-'));
  const sandbox = await startSandbox({ logger: silent });
  const altegio = await startAltegioLimitProxy(sandbox.url);
  const altegioUrl = altegio.url;
  const telegram = new FakeTelegramServer({ token: TOKEN, limits: true, maxPollMs: 500 });
  const { apiRoot } = await telegram.start();
  const stops: Array<() => Promise<void> | void> = [
    () => telegram.stop(),
    () => altegio.close(),
    () => sandbox.stop(),
    () => rmSync(dir, { recursive: true, force: true }),
  ];
  try {
    const dueAt = Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000;
    const visitMs = await visitTime(sandbox.url, dueAt);
    const reminderOffsetMinutes = Math.round((visitMs - dueAt) / MINUTE);
    const settingsInput = {
      general: { channelPriority: ['telegram'] },
      variables: { language: 'en' },
      branches: [{ id: BRANCH, address: 'Tverskaya st. 12' }],
      records: { confirmation: 'status', confirmMenuTtl: '2h' },
      templates: [
        { kind: 'reminder', text: 'Reminder: {{services}} at {{time}}', offset: `${reminderOffsetMinutes}m` },
      ],
    };
    const parsed = parseSettings(settingsInput);
    if (!parsed.ok) throw new Error(`bench settings: ${JSON.stringify(parsed.problems)}`);
    const settingsFile = join(dir, 'settings.yaml');
    writeFileSync(settingsFile, stringify(settingsInput));
    const databasePath = join(dir, 'bot.sqlite');

    // === Seeding: records in Altegio, their mirror and reminders, the clients' chats.
    const visitAt = new Date(visitMs).toISOString();
    const seededAt = Date.now();
    const store = createStore(databasePath);
    const ingest = createIngest({
      store,
      altegio: { invalidate: () => {}, invalidateAvailability: () => {} },
      logger: silent,
      plan: createPlanner({
        store,
        settings: () => parsed.settings,
        clock: { now: Date.now },
        logger: silent,
      }),
    });
    const recordOfChat = new Map<number, number>();
    for (let i = 0; i < reminders; i += 1) {
      const record = sandbox.control.createRecord(BRANCH, {
        staff_id: 1001 + (i % 3),
        services: [{ id: 301 }],
        client: { phone: phoneOf(i), name: `Client ${i}` },
        datetime: visitAt,
        save_if_busy: 1,
      });
      const body = {
        company_id: BRANCH,
        resource: 'record',
        resource_id: record.id,
        status: 'create',
        data: record,
      };
      const event = parseWebhook(body);
      if (!event.ok) throw new Error(`seed webhook: ${event.reason}`);
      await ingest(event.event, `seed:${String(record.id)}`, body);
      await store.conversations.upsert('telegram', String(FIRST_CHAT + i), {
        phone: normalizePhone(phoneOf(i)),
      });
      recordOfChat.set(FIRST_CHAT + i, Number(record.id));
    }
    const planned = (await store.jobs.list({ state: 'pending', limit: reminders * 2 })).filter(
      (j) => j.kind === 'reminder',
    );
    await store.close();
    console.log(
      `burst: ${reminders} records, ${planned.length} reminders planned in ${((Date.now() - seededAt) / 1000).toFixed(1)} s, due at +${((dueAt - Date.now()) / 1000).toFixed(1)} s`,
    );

    // === The engine, as `altegio-bot start` runs it.
    const budget = timedLimiter();
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    const engine = createEngine({
      altegioLimiter: budget.limiter,
      env: {
        ALTEGIO_API_URL: altegioUrl,
        ALTEGIO_PARTNER_TOKEN: DEFAULT_PARTNER_TOKEN,
        ALTEGIO_USER_TOKEN: DEFAULT_USER_TOKEN,
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: apiRoot,
        WEBHOOK_SECRET: SECRET,
        DATABASE_PATH: databasePath,
        SETTINGS_FILE: settingsFile,
        PORT: '0',
        LOG_LEVEL: 'silent',
      },
      logger: silent,
    });
    const info = await engine.start();
    stops.unshift(() => engine.stop());
    sandbox.setWebhookUrl(`${info.url}/webhooks/altegio/${SECRET}`);

    // === The clients.
    const pick = random(42);
    const confirmers = new Set<number>();
    for (let i = 0; i < reminders; i += 2) confirmers.add(FIRST_CHAT + i);
    const reminderAt = new Map<number, number[]>();
    const pressAt = new Map<number, number>();
    const acks = new Map<number, number[]>();
    const pressTimers = new Set<NodeJS.Timeout>();

    interface Booker {
      chatId: number;
      index: number;
      acted: number;
      steps: number[];
      done: boolean;
      last: string;
      masters: number;
      day: number;
      /** The action the client is thinking over, dropped if another message comes first. */
      thinking: NodeJS.Timeout | undefined;
    }
    const booking: Booker[] = [];
    const stepLatencies: number[] = [];
    /** Each step's latency with the kind of reply it ended in (the text's first word or two). */
    const stepKinds: Array<{ kind: string; ms: number; chatId: number; from: number; to: number }> = [];
    const errorTexts: string[] = [];
    const bookerById = new Map<number, Booker>();
    // A client reads the menu before pressing; in "instant" pace it presses at once.
    const thinkOf = random(7);
    const act = (booker: Booker, action: () => void, thinkMs = thinkTime(thinkOf)) => {
      if (booker.thinking) clearTimeout(booker.thinking);
      const press = () => {
        booker.thinking = undefined;
        booker.acted = Date.now();
        action();
      };
      if (thinkMs <= 0) return press();
      booker.thinking = setTimeout(press, thinkMs);
    };
    const choicesOf = (message: Seen) =>
      message.buttons.filter((b) => !/back|cancel|next|previous|«|»|‹|›|←|→/i.test(b.text));
    const pressIndex = (booker: Booker, message: Seen, index: number) => {
      const choices = choicesOf(message);
      const button = choices[index % Math.max(1, choices.length)];
      if (!button) return;
      act(booker, () => telegram.userPresses(booker.chatId, message.messageId, button.data));
    };
    const onBookerMessage = (booker: Booker, message: Seen) => {
      if (booker.acted > 0) {
        stepLatencies.push(Date.now() - booker.acted);
        stepKinds.push({
          kind: message.text.split(/\s+/).slice(0, 2).join(' '),
          ms: Date.now() - booker.acted,
          chatId: booker.chatId,
          from: booker.acted,
          to: Date.now(),
        });
        booker.steps.push(Date.now() - booker.acted);
        booker.acted = 0;
      }
      const text = message.text;
      booker.last = text.slice(0, 80);
      if (/went wrong|try again later/i.test(text)) errorTexts.push(text);
      if (text.startsWith('You are booked')) {
        booker.done = true;
      } else if (text.startsWith('Please check')) {
        const confirm = message.buttons.find((b) => b.text === '✔ Confirm');
        if (confirm) act(booker, () => telegram.userPresses(booker.chatId, message.messageId, confirm.data));
      } else if (message.asksContact) {
        act(booker, () =>
          telegram.userSharesContact(booker.chatId, `+7917${String(booker.index).padStart(7, '0')}`),
        );
      } else if (message.buttons[0]?.text === "Doesn't matter") {
        // Different masters and times for different clients: each books its own free slot.
        booker.masters = Math.max(1, choicesOf(message).length - 1);
        pressIndex(booker, message, 1 + (booker.index % booker.masters));
      } else if (/no free time left/.test(text)) {
        booker.day += 1;
        const back = message.buttons.find((b) => /back/i.test(b.text));
        if (back) act(booker, () => telegram.userPresses(booker.chatId, message.messageId, back.data));
      } else if (text.startsWith('Choose a day')) {
        pressIndex(booker, message, booker.day);
      } else if (/free time/.test(text)) {
        // Every third time: an hour's visit starting at the next half hour would overlap.
        pressIndex(booker, message, 3 * Math.floor(booker.index / booker.masters));
      } else if (message.buttons.length > 0) {
        pressIndex(booker, message, 0);
      }
    };

    let cursor = 0;
    /** Messages sent so far, and by the time the latest reminder went: all share the 30/s. */
    let messagesOut = 0;
    let messagesByLastReminder = 0;
    const watch = () => {
      const calls = telegram.sent;
      for (; cursor < calls.length; cursor += 1) {
        const call = calls[cursor];
        if (call?.method !== 'sendMessage' || !call.response.ok) continue;
        messagesOut += 1;
        const chatId = Number(call.chatId);
        const booker = bookerById.get(chatId);
        if (booker) {
          onBookerMessage(booker, seen(call));
          continue;
        }
        const message = seen(call);
        if (message.text.startsWith('Reminder:')) {
          messagesByLastReminder = messagesOut;
          const times = reminderAt.get(chatId) ?? [];
          times.push(Date.now());
          reminderAt.set(chatId, times);
          if (confirmers.has(chatId) && times.length === 1) {
            const confirm = message.buttons.find((b) => /Confirm/.test(b.text));
            const timer = setTimeout(
              () => {
                pressTimers.delete(timer);
                if (!confirm) return;
                pressAt.set(chatId, Date.now());
                telegram.userPresses(chatId, message.messageId, confirm.data);
              },
              Math.floor(pick() * MINUTE),
            );
            pressTimers.add(timer);
          }
        } else if (/is confirmed/.test(message.text)) {
          const list = acks.get(chatId) ?? [];
          list.push(Date.now());
          acks.set(chatId, list);
        }
      }
    };
    const watcher = setInterval(watch, 20);
    stops.unshift(() => {
      clearInterval(watcher);
      for (const timer of pressTimers) clearTimeout(timer);
      for (const booker of booking) if (booker.thinking) clearTimeout(booker.thinking);
    });

    // The bookers start when the reminders fall due.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now())));
    const callsBefore = altegio.calls.length;
    for (const priority of PRIORITIES) budget.waits[priority].length = 0;
    loopDelay.enable();
    for (let index = 0; index < bookers; index += 1) {
      const booker: Booker = {
        chatId: FIRST_BOOKER + index,
        index,
        acted: 0,
        steps: [],
        done: false,
        last: '',
        masters: 1,
        day: 0,
        thinking: undefined,
      };
      booking.push(booker);
      bookerById.set(booker.chatId, booker);
      const arrival = instant ? 0 : Math.floor(thinkOf() * MINUTE);
      act(booker, () => telegram.userSends(booker.chatId, '/start'), arrival);
    }

    // Looked up only for presses not yet seen written, so checking costs the engine little.
    const writtenChats = new Set<number>();
    const written = (): number => {
      for (const chatId of pressAt.keys()) {
        if (writtenChats.has(chatId)) continue;
        const recordId = recordOfChat.get(chatId) ?? 0;
        if (sandbox.control.getRecord(BRANCH, recordId)?.attendance === 2) writtenChats.add(chatId);
      }
      return writtenChats.size;
    };
    let confirmed = 0;
    let lastProgress = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      confirmed = written();
      const allReminded = reminderAt.size >= reminders;
      const allBooked = booking.every((b) => b.done);
      if (allReminded && confirmed >= confirmers.size && allBooked) break;
      if (Date.now() - dueAt > capMs) {
        console.log('burst: time cap reached, reporting what was done');
        break;
      }
      if (Date.now() - lastProgress > 30_000) {
        lastProgress = Date.now();
        console.log(
          `burst: +${((Date.now() - dueAt) / 1000).toFixed(0)} s: ${reminderAt.size} reminded, ${pressAt.size} pressed, ${confirmed} written, ${booking.filter((b) => b.done).length}/${bookers} booked`,
        );
      }
    }
    watch();
    loopDelay.disable();

    // === Figures.
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    const lastReminder = Math.max(dueAt, ...[...reminderAt.values()].map((times) => times[0] ?? 0));
    const ackLatencies = [...pressAt.entries()]
      .map(([chatId, pressed]) => (acks.get(chatId)?.[0] ?? Number.NaN) - pressed)
      .filter((ms) => Number.isFinite(ms));
    const writes = altegio.calls.filter(
      (call) => call.method === 'PUT' && call.status < 300 && /\/(record|visits)\//.test(call.path),
    );
    const lastWrite = Math.max(dueAt, ...writes.map((call) => call.at));
    const burstCalls = altegio.calls.length - callsBefore;
    const writesByPath = new Map<string, number>();
    for (const call of writes) writesByPath.set(call.path, (writesByPath.get(call.path) ?? 0) + 1);
    const lostReminders = reminders - reminderAt.size;
    const lostConfirmations = [...pressAt.keys()].filter((chatId) => {
      const recordId = recordOfChat.get(chatId) ?? 0;
      return sandbox.control.getRecord(BRANCH, recordId)?.attendance !== 2;
    }).length;
    const duplicatedReminders = [...reminderAt.values()].filter((times) => times.length > 1).length;
    const duplicatedAcks = [...acks.values()].filter((times) => times.length > 1).length;
    const duplicatedWrites = [...writesByPath.values()].filter((n) => n > 1).length;
    const lost = lostReminders + lostConfirmations + booking.filter((b) => !b.done).length;
    const duplicated = duplicatedReminders + duplicatedAcks + duplicatedWrites;
    const refused = (telegram.limiter?.refused ?? 0) + altegio.refused;
    const bookingP99 = percentile(stepLatencies, 99);
    const ackP99 = percentile(ackLatencies, 99);

    console.log(
      `burst: last reminder out at +${seconds(lastReminder - dueAt)} s (limit ${reminders} / 30 per s = ${seconds((reminders / 30) * 1000)} s; with the replies sent first, ${messagesByLastReminder} messages by then need ${seconds((messagesByLastReminder / 30) * 1000)} s)`,
    );
    console.log(
      `burst: ${pressAt.size} pressed Confirm; acknowledgement p50 ${percentile(ackLatencies, 50)} ms, p99 ${ackP99} ms`,
    );
    console.log(
      `burst: last confirmation reached Altegio at +${seconds(lastWrite - dueAt)} s; ${burstCalls} Altegio calls since the burst began (${writes.length} writes) need ${seconds((burstCalls / 200) * MINUTE)} s at 200/min`,
    );
    console.log(
      `burst: 429s: telegram ${telegram.limiter?.refused ?? 0}, altegio ${altegio.refused}; lost: ${lostReminders} reminders, ${lostConfirmations} confirmations; duplicated: ${duplicatedReminders} reminders, ${duplicatedAcks} acknowledgements, ${duplicatedWrites} writes`,
    );
    console.log(
      `burst: ${booking.filter((b) => b.done).length}/${bookers} booked during the burst; step p50 ${percentile(stepLatencies, 50)} ms, p99 ${bookingP99} ms; error texts: ${errorTexts.length === 0 ? 'none' : JSON.stringify([...new Set(errorTexts)])}`,
    );
    // Where the time goes: waits for the Altegio budget per priority, and the engine's event loop.
    const waitsLine = PRIORITIES.map((priority) => {
      const list = budget.waits[priority];
      return `${priority} ${list.length} calls p50 ${percentile(list, 50)} p99 ${percentile(list, 99)} max ${Math.max(0, ...list)} ms`;
    }).join('; ');
    console.log(`burst: Altegio budget waits: ${waitsLine}`);
    const ms = (ns: number) => Math.round(ns / 1e6);
    console.log(
      `burst: event loop delay p50 ${ms(loopDelay.percentile(50))} ms, p99 ${ms(loopDelay.percentile(99))} ms, max ${ms(loopDelay.max)} ms`,
    );
    const stepsByKind = new Map<string, number[]>();
    for (const step of stepKinds) {
      const list = stepsByKind.get(step.kind) ?? [];
      list.push(step.ms);
      stepsByKind.set(step.kind, list);
    }
    console.log(
      `burst: booking steps by reply: ${[...stepsByKind.entries()].map(([kind, list]) => `${kind} n=${list.length} p50 ${percentile(list, 50)} p99 ${percentile(list, 99)}`).join('; ')}`,
    );
    // The slowest steps, taken apart: budget waits and Altegio time of the chat's own calls.
    const slowest = [...stepKinds].sort((a, b) => b.ms - a.ms).slice(0, 8);
    for (const step of slowest) {
      const own = budget.calls.filter(
        (c) => c.chatId === String(step.chatId) && c.asked >= step.from && c.asked <= step.to,
      );
      const parts = own.map(
        (c) =>
          `${c.priority} +${c.asked - step.from} wait ${c.granted - c.asked} altegio ${(c.released || step.to) - c.granted} (used ${c.used.join('/')})`,
      );
      console.log(
        `burst: slow step ${step.kind} ${step.ms} ms at +${seconds(step.from - dueAt)} s: ${parts.join('; ') || 'no Altegio calls'}`,
      );
    }
    // The floor no scheduling can beat: booking calls asked within one second go at 5/s.
    const asked = budget.calls.filter((c) => c.priority === 'booking').map((c) => c.asked);
    asked.sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < asked.length; i += 1) {
      while ((asked[i] ?? 0) - (asked[j] ?? 0) >= 1_000) j += 1;
      busiest = Math.max(busiest, i - j + 1);
    }
    console.log(
      `burst: busiest second: ${busiest} booking calls asked (at 5/s the last of them waits >= ${seconds(((busiest - 1) / 5) * 1000)} s)`,
    );
    const byEndpoint = new Map<string, number>();
    for (const call of altegio.calls.slice(callsBefore)) {
      const key = `${call.method} ${call.path.replace(/\d+/g, ':id')}`;
      byEndpoint.set(key, (byEndpoint.get(key) ?? 0) + 1);
    }
    console.log(`burst: Altegio calls during the burst: ${JSON.stringify(Object.fromEntries(byEndpoint))}`);
    const unfinished = booking.filter((b) => !b.done);
    if (unfinished.length > 0) {
      console.log(
        `burst: unfinished bookings, last message seen: ${JSON.stringify(unfinished.map((b) => b.last))}`,
      );
    }
    return `bench burst: ${reminderAt.size} reminders, ${confirmed} confirmations written, ack p99 ${ackP99} ms, booking p99 ${bookingP99} ms, ${refused} x 429, lost ${lost}, duplicated ${duplicated}`;
  } finally {
    for (const stop of stops) await stop();
  }
}
