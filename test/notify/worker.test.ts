import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import { reminderActors, reminderMachine } from '../../machines/reminder/index.js';
import type { ReplyMessage, UserEvent } from '../../machines/shared/events.js';
import { createDialogueRuntime, type DialogueRuntime } from '../../src/dialogues/runtime.js';
import { createLogger } from '../../src/log.js';
import { renderTemplate } from '../../src/notify/render.js';
import { createNotificationWorker, type StartReminder } from '../../src/notify/worker.js';
import { createSqliteDialogueStore } from '../../src/store/dialogue-store.js';
import { renderReply } from '../../src/templates/render-reply.js';
import { eventually } from '../helpers/eventually.js';
import { openSalon, type Salon } from './salon.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const PHONE = '+79160001212';
const CHAT = '9100';

/** A booking that lasts until the client says "done": all a reminder needs to find the chat busy. */
const booking = setup({
  types: { events: {} as UserEvent, emitted: {} as { type: 'reply'; message: ReplyMessage } },
}).createMachine({
  id: 'booking',
  initial: 'choosing',
  states: {
    choosing: {
      entry: emit({ type: 'reply', message: { text: { key: 'booking.pleaseWait' } } }),
      on: { 'user.text': 'done' },
    },
    done: { type: 'final' },
  },
});

const noWrites = {
  confirmVisit: async () => {},
  cancelVisit: async () => {},
  checkCancellation: async () => ({
    now: 0,
    record: { datetime: '', prepaid: false, deleted: false },
  }),
};

describe('notification worker', () => {
  let salon: Salon | undefined;
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await salon?.close();
    salon = undefined;
  });

  function runtimeFor(s: Salon): DialogueRuntime {
    return createDialogueRuntime({
      store: createSqliteDialogueStore(s.store, { clock: s.clock }),
      kinds: {
        booking: {
          id: 'booking',
          version: 1,
          machine: booking,
          startCommands: ['start'],
          interruptible: false,
          input: () => ({}),
        },
        reminder: {
          id: 'reminder',
          version: 1,
          machine: reminderMachine.provide({ actors: reminderActors(noWrites) }),
          startCommands: [],
          interruptible: true,
          // The test hands the machine's whole input as the start's data.
          input: ({ data }) => data,
        },
      },
      clock: s.clock,
      logger: createLogger({ level: 'silent' }),
      render: (message, language) => renderReply(message, language),
      defaultLanguage: () => 'en',
    });
  }

  function startWorker(
    s: Salon,
    startReminder: StartReminder,
    extra: {
      concurrency?: number;
      isRunning?: (channel: string) => boolean;
      tellAdmin?: (
        key: string,
        params: Record<string, string | number>,
        idempotencyKey: string,
      ) => Promise<void>;
    } = {},
  ) {
    const worker = createNotificationWorker({
      store: s.store,
      settings: s.settings,
      altegio: s.altegio,
      clock: s.clock,
      sleepTimers: s.clock,
      logger: createLogger({ level: 'silent' }),
      isRunning: (channel) => channel === 'telegram',
      render: renderTemplate,
      startReminder,
      startFeedback: async () => {},
      branchIds: async () => [101],
      onOutbox: () => {},
      ...extra,
    });
    worker.start();
    stops.push(() => worker.stop());
    return worker;
  }

  const reminderSettings = {
    general: { channelPriority: ['telegram'] },
    variables: { language: 'en' },
    branches: [{ id: 101 }],
    templates: [{ kind: 'reminder', text: 'Reminder for {{services}}', offset: '60m' }],
  };

  function reminderInput(
    s: Salon,
    text: string,
    record: { companyId: number; id: number; datetime: string },
  ) {
    return {
      dialogueId: randomUUID(),
      text,
      record: { companyId: record.companyId, recordId: record.id, datetime: record.datetime, prepaid: false },
      confirmMenuTtlMs: HOUR,
      cancelNotLaterThanMs: HOUR,
      confirmation: 'status',
      confirmedColor: '#00ff00',
      cancellation: 'delete',
      protectPrepaid: true,
      issuedAt: s.clock.now(),
    };
  }

  const sentTexts = (s: Salon) =>
    s.store.sync.outbox
      .list({ recipient: CHAT })
      .reverse()
      .map((row) => String((row.payload as { text: string }).text));

  it('holds a reminder due during the client’s booking and sends it after the booking, losing no attempt', async () => {
    salon = await openSalon(reminderSettings);
    const s = salon;
    s.telegramChat(CHAT, PHONE);
    const runtime = runtimeFor(s);
    startWorker(s, ({ channel, chatId, text, record, idempotencyKey }) =>
      runtime.startDialogue(channel, chatId, 'reminder', reminderInput(s, text, record), {
        recordId: record.id,
        idempotencyKey,
      }),
    );
    // A visit in 61 minutes: its reminder (60 m before) falls due in one minute.
    await s.webhook({ id: 5001, phone: PHONE, startsAt: s.clock.now() + HOUR + MINUTE });
    const [job] = s.store.sync.jobs.list({ state: 'pending' }).filter((row) => row.kind === 'reminder');
    expect(job?.dueAt).toBe(s.clock.now() + MINUTE);

    // The client starts booking just before the reminder is due, and takes ten minutes over it.
    await runtime.handleInbound({
      channel: 'telegram',
      chatId: CHAT,
      event: { type: 'user.command', name: 'start' },
    });
    for (let minute = 0; minute < 10; minute += 1) await s.clock.advance(MINUTE);
    expect(sentTexts(s).some((text) => text.startsWith('Reminder for'))).toBe(false);
    const waiting = s.store.sync.jobs.get(job?.id ?? 0);
    // Dozens of looks while the client was busy, yet no attempt used up and nothing failed.
    expect(waiting).toMatchObject({ state: 'pending', attempts: 0 });
    expect(s.store.sync.deliveries.recent(1000).filter((row) => row.decision === 'failed')).toEqual([]);

    await runtime.handleInbound({
      channel: 'telegram',
      chatId: CHAT,
      event: { type: 'user.text', text: 'done' },
    });
    await s.clock.advance(MINUTE);
    await runtime.drain();
    const reminders = sentTexts(s).filter((text) => text.startsWith('Reminder for'));
    expect(reminders).toEqual(["Reminder for Women's haircut"]);
    expect(s.store.sync.jobs.get(job?.id ?? 0)).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('runs due jobs of different clients side by side, up to its bound, one at a time per client', async () => {
    salon = await openSalon(reminderSettings);
    const s = salon;
    const visit = s.clock.now() + HOUR + MINUTE;
    for (let i = 0; i < 20; i += 1) {
      const phone = `+7916000${String(i).padStart(4, '0')}`;
      s.telegramChat(String(9000 + i), phone);
      await s.webhook({ id: 6000 + i, phone, startsAt: visit });
    }
    // One client has two visits, hence two reminders due together.
    await s.webhook({ id: 6100, phone: '+79160000000', startsAt: visit, staffId: 1002 });

    let active = 0;
    let most = 0;
    const activeChats = new Set<string>();
    let overlapped = false;
    const releases: Array<() => void> = [];
    const started: string[] = [];
    startWorker(
      s,
      async ({ chatId }) => {
        if (activeChats.has(chatId)) overlapped = true;
        activeChats.add(chatId);
        active += 1;
        most = Math.max(most, active);
        started.push(chatId);
        await new Promise<void>((resolve) => releases.push(resolve));
        active -= 1;
        activeChats.delete(chatId);
      },
      { concurrency: 8 },
    );
    await s.clock.advance(MINUTE);
    await eventually(() => active === 8);
    while (started.length < 21 || active > 0) {
      const release = releases.shift();
      if (!release) throw new Error(`stuck with ${started.length} started and ${active} active`);
      release();
      await s.clock.flush();
      await eventually(() => releases.length > 0 || (started.length === 21 && active === 0));
    }
    expect(most).toBe(8);
    expect(overlapped).toBe(false);
    expect(started.filter((chat) => chat === '9000')).toHaveLength(2);
    expect(s.store.sync.jobs.list({ state: 'done' }).filter((row) => row.kind === 'reminder')).toHaveLength(
      21,
    );
  });

  it('retries a failing job with backoff and gives up after five attempts, saying so in the delivery log', async () => {
    salon = await openSalon(reminderSettings);
    const s = salon;
    s.telegramChat(CHAT, PHONE);
    await s.webhook({ id: 7001, phone: PHONE, startsAt: s.clock.now() + HOUR + MINUTE });
    let calls = 0;
    startWorker(s, async () => {
      calls += 1;
      throw new Error('database is locked');
    });
    await s.clock.advance(MINUTE);
    await eventually(() => calls === 1);
    // Backoff: 60 s, 120 s, 240 s, 480 s after the attempts that failed.
    await s.clock.advance(59_000);
    expect(calls).toBe(1);
    await s.clock.advance(1_000);
    await eventually(() => calls === 2);
    for (let minute = 0; minute < 60 && calls < 5; minute += 1) await s.clock.advance(MINUTE);
    await eventually(() => s.store.sync.jobs.list({ state: 'failed' }).length === 1);
    expect(calls).toBe(5);
    const failed = s.store.sync.deliveries.recent(1000).filter((row) => row.decision === 'failed');
    expect(failed.map((row) => row.reason)).toEqual(['gave up after 5 attempts: database is locked']);
  });
  it('a reminder refused as unreachable starts its dialogue on the next channel, once; with none left the log says so', async () => {
    salon = await openSalon({ ...reminderSettings, general: { channelPriority: ['telegram', 'whatsapp'] } });
    const s = salon;
    s.telegramChat(CHAT, PHONE);
    const runtime = runtimeFor(s);
    const admin: Array<{ key: string; params: Record<string, string | number>; idempotencyKey: string }> = [];
    const worker = startWorker(
      s,
      ({ channel, chatId, text, record, idempotencyKey }) =>
        runtime.startDialogue(channel, chatId, 'reminder', reminderInput(s, text, record), {
          recordId: record.id,
          idempotencyKey,
        }),
      {
        isRunning: () => true,
        tellAdmin: async (key, params, idempotencyKey) => {
          admin.push({ key, params, idempotencyKey });
        },
      },
    );
    await s.webhook({ id: 8001, phone: PHONE, startsAt: s.clock.now() + HOUR + MINUTE });
    await s.clock.advance(MINUTE);
    await eventually(() => s.store.sync.outbox.list({ recipient: CHAT }).length === 1);
    await runtime.drain();
    const [menu] = s.store.sync.outbox.list({ recipient: CHAT });
    // What the outbox worker does on a 403: mark the chat, then hand the row over.
    const refusal = (channel: 'telegram' | 'whatsapp', chatId: string, key: string) => {
      s.store.sync.conversations.markUnreachable(channel, chatId, `${channel} refused`, s.clock.now());
      return worker.refused({ idempotencyKey: key, channel, reason: `${channel} refused` });
    };
    expect(await refusal('telegram', CHAT, menu?.idempotencyKey ?? '')).toBe(true);
    // A second report of the same refusal plans nothing more.
    expect(
      await worker.refused({
        idempotencyKey: menu?.idempotencyKey ?? '',
        channel: 'telegram',
        reason: 'again',
      }),
    ).toBe(false);
    const waChat = `${PHONE.slice(1)}@c.us`;
    await s.clock.flush();
    await eventually(() => s.store.sync.outbox.list({ recipient: waChat }).length === 1);
    await runtime.drain();
    const [onWhatsApp] = s.store.sync.outbox.list({ recipient: waChat });
    // The reminder dialogue itself starts there: its first message is the menu with Confirm / Cancel.
    expect(onWhatsApp).toMatchObject({
      channel: 'whatsapp',
      payload: {
        text: "Reminder for Women's haircut",
        options: [
          expect.objectContaining({ value: 'confirm' }),
          expect.objectContaining({ value: 'cancel' }),
        ],
      },
    });
    const log = () => s.store.sync.deliveries.byRecord(8001).reverse();
    expect(log().map((row) => [row.decision, row.channel])).toEqual([
      ['sent', 'telegram'],
      ['failed', 'telegram'],
      ['sent', 'whatsapp'],
    ]);
    expect(log()[1]?.reason).toBe(
      'refused: unreachable by telegram (telegram refused); trying the next channel',
    );
    expect(log()[2]?.reason).toMatch(new RegExp(`telegram chat ${CHAT} is unreachable since`));

    // WhatsApp refuses too: nothing is left; the log says so and the admin is told, once.
    expect(await refusal('whatsapp', waChat, onWhatsApp?.idempotencyKey ?? '')).toBe(false);
    await s.clock.flush();
    expect(log()).toHaveLength(4);
    expect(log()[3]).toMatchObject({ decision: 'failed', channel: 'whatsapp' });
    expect(log()[3]?.reason).toMatch(
      /^refused: unreachable by whatsapp \(whatsapp refused\); no channel reaches the client: telegram chat .* is unreachable since .*; the whatsapp chat of this phone is unreachable since/,
    );
    expect(admin).toEqual([
      expect.objectContaining({
        key: 'admin.unreachable',
        params: expect.objectContaining({ phone: '+7***1212', kind: 'reminder', recordId: '8001' }),
      }),
    ]);
    expect(s.store.sync.jobs.list({}).filter((job) => job.kind === 'reminder')).toHaveLength(2);
    // A dialogue's later messages are not notifications: a refused one plans nothing.
    expect(await worker.refused({ idempotencyKey: `timer:1:0`, channel: 'telegram', reason: 'x' })).toBe(
      false,
    );
  });
});
