/**
 * A client's Confirm in flight when the engine is killed: Telegram counts the update delivered,
 * the step never committed. The next process hands the kept update over again, and the booking
 * is made once, whether or not the first send reached Altegio.
 */
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import type { ProxyMode } from './altegio-proxy.js';
import { ONE_BRANCH, recordsOf } from './harness.js';
import { kill, processesPerTest } from './process.js';

describe('a booking survives a crash', () => {
  const bot = processesPerTest();

  /** Books up to the summary, kills the engine during Confirm's `book_record`, starts another. */
  async function crashDuringConfirm(mode: ProxyMode, chatId: number, phone: string) {
    const w = await bot.world(ONE_BRANCH);
    const { proxy, env } = await bot.proxy(w);
    const start = () => bot.start(w, { env });

    const first = start();
    await first.ready;
    const client = new TelegramUser(w.telegram, chatId);
    client.send('/start');
    await client.next();
    client.press(/^Women's haircut/);
    await client.next();
    client.pressFirstChoice();
    await client.next();
    client.pressFirstChoice();
    await client.next();
    client.pressFirstChoice();
    await client.next();
    client.send(phone);
    await client.nextMatching((message) => message.text.startsWith('Please check'));

    proxy.mode = mode;
    const held = proxy.nextHeld();
    client.press('✔ Confirm');
    await held;
    // Telegram has been told the press arrived (the next poll confirmed its offset): it will not
    // send it again. Only the engine's own copy can bring it back.
    await eventually(() => w.telegram.pendingUpdates === 0);
    await kill(first.child);

    proxy.mode = 'pass';
    const second = start();
    await second.ready;
    // Nothing more from the client: the kept press is handled by the new process.
    const answer = await client.nextMatching((message) => /booked|taken|wrong/.test(message.text), 30_000);
    const told = w.telegram.sent
      .filter((call) => call.method === 'sendMessage' && call.chatId === String(chatId))
      .map((call) => String(call.params.text))
      .filter((text) => /booked|taken|wrong/.test(text));
    return { answer, told, records: recordsOf(w, phone), writes: proxy.applied };
  }

  it('the first send never reached Altegio: the next process books it', async () => {
    const { answer, told, records, writes } = await crashDuringConfirm('hold', 8101, '+79160004455');
    expect(answer.text).toMatch(/^You are booked/);
    expect(told).toHaveLength(1);
    expect(records).toHaveLength(1);
    expect(writes.map((write) => `${write.method} ${write.status}`)).toEqual(['POST 201']);
  }, 120_000);

  it('Altegio booked it and the engine died before hearing so: the next process finds it, not "taken"', async () => {
    const { answer, told, records, writes } = await crashDuringConfirm(
      'apply-then-hold',
      8102,
      '+79160004466',
    );
    expect(answer.text).toMatch(/^You are booked/);
    expect(told).toHaveLength(1);
    expect(records).toHaveLength(1);
    // The repeated send was refused (the time is the client's own now), and that refusal was checked.
    expect(writes.map((write) => `${write.method} ${write.status}`)).toEqual(['POST 201', 'POST 422']);
  }, 120_000);
});
