/**
 * Altegio's client search (get_client_list) cannot return birth date or categories; the client
 * card (`GET /client/{company_id}/{id}`) has them. The sandbox search refuses those fields, so a
 * greeting decision can only rest on the card.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../../src/altegio/sandbox/index.js';
import { eventually } from '../helpers/eventually.js';
import { createWorld, type World } from './harness.js';

const ELENA_CHAT = '79161234567@c.us'; // seed client of branch 101, VIP, birthday today in Moscow
const VIP = SEED_IDS.labels.vip;

function moscowNow(): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Moscow',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date());
}

function settings(excluded: number[]) {
  return {
    general: { adminPhone: '79990000003', timezone: 'Europe/Moscow' },
    birthdays: { sendAt: moscowNow() },
    variables: { language: 'en' },
    branches: [{ id: 101, address: 'Tverskaya st. 12', excludedClientCategoryIds: excluded }],
    templates: [{ kind: 'birthday', text: 'Happy birthday, {{client_name}}!' }],
  };
}

interface DeliveryView {
  decision: string;
  reason: string;
  phone?: string | null;
}

async function deliveries(world: World): Promise<DeliveryView[]> {
  const response = await fetch(`${world.info?.url}/api/deliveries`, {
    headers: { authorization: 'Bearer admin-token' },
  });
  return (await response.json()) as DeliveryView[];
}

const sentTo = (world: World, chatId: string) =>
  world.whatsapp.sent.filter((message) => message.chatId === chatId).map((message) => message.text);

describe('birthday greetings and client categories', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a client in an excluded category gets no greeting, though the search returns no categories', async () => {
    world = await createWorld(settings([VIP]));
    const w = world;
    await w.startEngine();
    const suppressed = await eventually(async () => {
      const found = (await deliveries(w)).find((d) => /excluded category/.test(d.reason));
      if (!found) throw new Error('no suppressed greeting yet');
      return found;
    }, 8_000);
    expect(suppressed).toMatchObject({
      decision: 'suppressed',
      reason: `the client is in excluded category ${VIP}`,
    });
    expect(sentTo(w, ELENA_CHAT)).toEqual([]);
    // The categories came from Elena's card: the search cannot return them.
    const paths = w.sandbox.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain(`GET /client/101/${SEED_IDS.clients.elena}`);
  });

  it('the same client is greeted when her category is not excluded', async () => {
    world = await createWorld(settings([]));
    const w = world;
    await w.startEngine();
    await eventually(() => {
      if (!sentTo(w, ELENA_CHAT).includes('Happy birthday, Elena!')) throw new Error('not greeted yet');
    }, 8_000);
  });
});
