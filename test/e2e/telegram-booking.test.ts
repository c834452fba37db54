import { afterEach, describe, expect, it } from 'vitest';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, E2E_DIALECTS, ONE_BRANCH, recordsOf, type World } from './harness.js';

/** Altegio calls the engine made so far, from its Prometheus metrics. */
async function altegioCalls(world: World): Promise<number> {
  const text = await (await fetch(`${world.info?.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('altegio_bot_altegio_calls_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe.each(E2E_DIALECTS)('booking in Telegram, end to end, on %s', (dialect) => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('books a chosen service with a chosen specialist, and the record lands in Altegio', async () => {
    world = await createWorld(ONE_BRANCH, { dialect });
    await world.startEngine();
    const client = new TelegramUser(world.telegram, 7001);
    const callsBefore = await altegioCalls(world);

    client.send('/start');
    const services = await client.next();
    expect(services.text).toBe('Choose a service:');
    client.press(/^Women's haircut/);
    const staff = await client.next();
    expect(staff.buttons[0]?.text).toBe("Doesn't matter");
    client.press(/^Anna/);
    await client.next();
    client.pressFirstChoice();
    const times = await client.next();
    expect(times.text).toContain('free time');
    const time = client.pressFirstChoice();
    const phone = await client.next();
    expect(phone.asksContact).toBe(true);
    client.shareContact('+7 916 000-11-22');
    const summary = await client.nextMatching((message) => message.text.startsWith('Please check'));
    expect(summary.text).toContain(`Time: ${time}`);
    client.press('✔ Confirm');
    const done = await client.nextMatching((message) => message.text.startsWith('You are booked'));
    expect(done.text).toContain('Specialist: Anna');
    expect(done.text).toContain('Address: Tverskaya st. 12');
    // Reference data is cached: a whole booking costs a handful of Altegio calls.
    const calls = (await altegioCalls(world)) - callsBefore;
    expect(calls).toBeLessThanOrEqual(10);

    const [booked] = recordsOf(world, '+79160001122');
    expect(booked).toMatchObject({ staff_id: 1001, services: [expect.objectContaining({ id: 301 })] });
    expect(String(booked?.datetime)).toContain(`T${time}:00`);
    expect((booked?.client as { name?: string } | undefined)?.name).toBe('Client7001');
  });

  it('with the staff step off, books "any specialist" and Altegio assigns one', async () => {
    world = await createWorld({ ...ONE_BRANCH, booking: { chooseStaff: false } }, { dialect });
    await world.startEngine();
    const client = new TelegramUser(world.telegram, 7002);

    client.send('/book');
    await client.next();
    client.press(/^Men's haircut/);
    const dates = await client.next();
    expect(dates.text).toBe('Choose a day:');
    const { summary } = await client.bookFirstSlot('+79160002233');
    expect(summary.text).toContain('Specialist: any available');

    const [booked] = recordsOf(world, '+79160002233');
    expect(booked?.master_request).toBe(0);
    expect(booked?.staff_id).toBeGreaterThan(0);
  });

  it('tells the client the booking timed out without any message from them', async () => {
    world = await createWorld({ ...ONE_BRANCH, booking: { replyTimeout: '2s' } }, { dialect });
    await world.startEngine();
    const client = new TelegramUser(world.telegram, 7003);
    client.send('/start');
    await client.next();
    const started = Date.now();
    const timedOut = await client.next(6_000);
    expect(timedOut.text).toContain('was not made');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  });

  it('answers a forged button politely and changes nothing', async () => {
    world = await createWorld(ONE_BRANCH, { dialect });
    await world.startEngine();
    const client = new TelegramUser(world.telegram, 7004);
    client.send('/start');
    const services = await client.next();
    const genuine = services.buttons[0]?.data ?? '';
    const forged = `${genuine.slice(0, -1)}${genuine.endsWith('A') ? 'B' : 'A'}`;
    world.telegram.userPresses(7004, services.messageId, forged);
    const answer = await world.telegram.waitFor(
      (call) => call.method === 'answerCallbackQuery' && typeof call.params.text === 'string',
    );
    expect(answer.params.text).toContain("don't recognise this button");
    // The real menu still works: the dialogue was not moved by the forged press.
    client.press(/^Women's haircut/);
    const next = await client.next();
    expect(next.text).toBe('Choose a specialist:');
  });
});
