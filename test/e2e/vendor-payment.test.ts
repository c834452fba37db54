/**
 * Altegio's payment fields (get_appointment_list): `prepaid` = online payment is available,
 * `prepaid_confirmed` = it went through, `paid_full` 1 = paid in full. Only the last two protect a
 * record from deletion under `records.protectPrepaid`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { bookVisit, createWorld, type World } from './harness.js';

const CLIENT = '+79160006677';
const CHAT = '79160006677@c.us';
const ADMIN = '79990000001';

const SETTINGS = {
  general: { adminPhone: ADMIN },
  records: { cancelNotLaterThan: '10m', cancellation: 'delete', protectPrepaid: true },
  branches: [{ id: 101, address: 'Tverskaya st. 12' }],
  variables: { language: 'en' },
  templates: [{ kind: 'reminder', text: 'Reminder: {{services}} at {{time}}', offset: '60m' }],
};

function sentTo(world: World, chatId: string): string[] {
  return world.whatsapp.sent.filter((message) => message.chatId === chatId).map((message) => message.text);
}

async function waitForText(world: World, chatId: string, pattern: RegExp): Promise<string> {
  return eventually(() => {
    const found = sentTo(world, chatId).find((text) => pattern.test(text));
    if (!found)
      throw new Error(`no message matching ${pattern} in: ${JSON.stringify(sentTo(world, chatId))}`);
    return found;
  }, 8_000);
}

describe('payment fields as Altegio documents them', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('an unpaid record with prepaid: true (payment only offered) can be cancelled by deletion', async () => {
    world = await createWorld(SETTINGS);
    await world.startEngine();
    const start = new Date(Date.now() + 3_600_000 + 2_000);
    start.setUTCMilliseconds(0);
    const visit = bookVisit(world, start, { phone: CLIENT, name: 'Vera' });
    const offered = world.sandbox.control.offerOnlinePayment(101, Number(visit.id));
    expect(offered).toMatchObject({ prepaid: true, prepaid_confirmed: false, paid_full: 0 });

    await waitForText(world, CHAT, /Reminder/);
    world.whatsapp.receive(CHAT, '2');
    await waitForText(world, CHAT, /is cancelled/);
    // The deletion is written by a durable job after the client's answer is acknowledged.
    const w = world;
    await eventually(() => {
      if (w.sandbox.control.getRecord(101, Number(visit.id))?.deleted !== true)
        throw new Error('not deleted yet');
    });
    expect(sentTo(world, `${ADMIN}@c.us`).some((text) => /prepaid visit/.test(text))).toBe(false);
  });
});
