import { describe, expect, it } from 'vitest';
import { TelegramUser } from '../helpers/telegram-user.js';
import { ONE_BRANCH, recordsOf } from './harness.js';
import { kill, outboxSettled, processesPerTest } from './process.js';

describe('dialogues survive the process being killed', () => {
  const bot = processesPerTest();

  it('continues a booking after a kill between two steps', async () => {
    const world = await bot.world(ONE_BRANCH);
    const first = bot.start(world);
    await first.ready;
    const client = new TelegramUser(world.telegram, 8001);
    client.send('/start');
    await client.next();
    client.press(/^Women's haircut/);
    const staff = await client.next();
    expect(staff.text).toBe('Choose a specialist:');
    await outboxSettled(world);
    await kill(first.child);

    const second = bot.start(world);
    await second.ready;
    client.press(/^Anna/, staff);
    const dates = await client.next();
    expect(dates.text).toBe('Choose a day:');
    await client.bookFirstSlot('+79160003344');
    const booked = recordsOf(world, '+79160003344');
    expect(booked).toHaveLength(1);
    expect(booked[0]?.staff_id).toBe(1001);
  });

  it('sends a timeout that fell due while the process was down as soon as it starts again', async () => {
    // The menu waits ten minutes; the second process runs with its clock eleven minutes ahead, so
    // the message can only come from the overdue deadline read at start-up, not from waiting.
    const world = await bot.world({ ...ONE_BRANCH, booking: { replyTimeout: '10m' } });
    const first = bot.start(world);
    await first.ready;
    const client = new TelegramUser(world.telegram, 8002);
    client.send('/start');
    await client.next();
    await outboxSettled(world);
    await kill(first.child);

    const second = bot.start(world, { clockOffsetMs: 11 * 60_000 });
    await second.ready;
    const timedOut = await client.next().catch((error: unknown) => {
      throw new Error(`${String(error)}\n${second.output()}`);
    });
    expect(timedOut.text).toContain('was not made');
  });
});
