import { afterEach, describe, expect, it } from 'vitest';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, ONE_BRANCH, type World } from './harness.js';

/**
 * Opens the times of Anna's `day` (default: her second free day, which is a whole working day
 * whatever the time of the test) for a women's haircut; answers the day and that menu.
 */
async function openAnnasDay(client: TelegramUser, day?: string) {
  client.send('/start');
  await client.next();
  client.press(/^Women's haircut/);
  await client.next();
  client.press(/^Anna/);
  const days = await client.next();
  const chosen = day ?? days.buttons[1]?.text ?? '';
  client.press(chosen);
  return { day: chosen, times: await client.next() };
}

describe('availability cache in the engine', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it("a booking's webhook drops that master's day: the next client does not see the taken time", async () => {
    world = await createWorld(ONE_BRANCH);
    await world.startEngine();
    const timesAsked = () =>
      world?.sandbox.requests.filter((r) => r.path.startsWith('/book_times/')).length ?? 0;

    const first = new TelegramUser(world.telegram, 7201);
    const seenByFirst = await openAnnasDay(first);
    const taken = first.pressFirstChoice();
    await first.next(); // the phone question
    first.send('+79160007201');
    await first.nextMatching((message) => message.text.startsWith('Please check'));
    first.press('✔ Confirm');
    await first.nextMatching((message) => message.text.startsWith('You are booked'));
    // The sandbox posts the record's webhook; the engine processes it right after answering.
    await world.sandbox.webhooksIdle();
    await new Promise((resolve) => setImmediate(resolve));
    const askedBefore = timesAsked();

    const second = new TelegramUser(world.telegram, 7202);
    const seenBySecond = await openAnnasDay(second, seenByFirst.day);
    expect(seenByFirst.times.buttons.map((b) => b.text)).toContain(taken);
    expect(seenBySecond.times.buttons.map((b) => b.text)).not.toContain(taken);
    expect(timesAsked()).toBe(askedBefore + 1); // asked Altegio again, well within the 30 s
  });

  it('another client on an untouched day is answered from the cache', async () => {
    world = await createWorld(ONE_BRANCH);
    await world.startEngine();
    const timesAsked = () =>
      world?.sandbox.requests.filter((r) => r.path.startsWith('/book_times/')).length ?? 0;
    const { day } = await openAnnasDay(new TelegramUser(world.telegram, 7203));
    const asked = timesAsked();
    const again = await openAnnasDay(new TelegramUser(world.telegram, 7204), day);
    expect(again.times.text).toContain('free time');
    expect(timesAsked()).toBe(asked);
  });
});
