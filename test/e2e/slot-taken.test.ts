/**
 * Altegio answers a taken time with HTTP 422 and the code in `meta.errors[]` (validate booking
 * parameters / create online booking). The sandbox answers in that layout; the client must see
 * the free times again, fresh, after the engine checked that the slot was not its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAltegioClient } from '../../src/altegio/client.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, ONE_BRANCH, type World } from './harness.js';

describe('a time taken meanwhile', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a 433 from book_record shows the free times again, without the taken one', async () => {
    world = await createWorld(ONE_BRANCH);
    await world.startEngine();
    const sandbox = world.sandbox;
    const client = new TelegramUser(world.telegram, 7101);

    client.send('/start');
    await client.next();
    client.press(/^Women's haircut/);
    await client.next();
    client.press(/^Anna/);
    await client.next();
    client.pressFirstChoice();
    await client.next();
    const time = client.pressFirstChoice();
    await client.next();
    client.shareContact('+7 916 000-77-88');
    await client.nextMatching((message) => message.text.startsWith('Please check'));

    // Someone else books the same time through the widget before the client confirms.
    const other = createAltegioClient({ baseUrl: sandbox.url, partnerToken: 'sandbox-partner' });
    const { bookingDates } = await other.bookDates(101, { serviceIds: [301], staffId: 1001 });
    const day = bookingDates[0] ?? '';
    const slot = (await other.bookTimes(101, 1001, day, { serviceIds: [301] })).find((t) => t.time === time);
    expect(slot).toBeDefined();
    await other.bookRecord(101, {
      phone: '+79160009999',
      fullname: 'Someone Else',
      appointments: [{ id: 1, services: [301], staffId: 1001, datetime: slot?.datetime ?? '' }],
    });
    // Its record webhook has reached the engine: nothing drops the times asked after the refusal.
    await sandbox.webhooksIdle();

    const before = sandbox.requests.length;
    client.press('✔ Confirm');
    const taken = await client.nextMatching((message) => message.text.includes('just been taken'));
    const times = taken.buttons.length > 0 ? taken : await client.next();
    const offered = times.buttons.map((button) => button.text);
    expect(offered.length).toBeGreaterThan(0);
    expect(offered).not.toContain(time);

    const calls = sandbox.requests
      .slice(before)
      .map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`);
    const refused = calls.findIndex((c) => c.startsWith('POST /book_record/101 422'));
    expect(refused).toBeGreaterThanOrEqual(0);
    // A first send's refusal is someone else's booking: no records are read to look for our own.
    expect(calls.slice(refused + 1).filter((c) => c.startsWith('GET /records/'))).toEqual([]);
    // The times shown are fresh: book_times was asked again after the refusal, once, and the times
    // step was handed that answer.
    expect(calls.slice(refused + 1).filter((c) => c.startsWith('GET /book_times/101/'))).toHaveLength(1);
  });
});
