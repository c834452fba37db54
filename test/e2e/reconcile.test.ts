/**
 * Altegio retries a webhook only twice, 1.5 s apart (integrations-hub docs/webhooks.md): a change
 * made while the engine is down is lost unless the engine asks for it. These run the whole engine
 * against the sandbox over HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { bookVisit, createWorld, type World } from './harness.js';

const CLIENT = '+79160004455';
const CHAT = '79160004455@c.us';

const SETTINGS = {
  general: { adminPhone: '79990000004' },
  records: { groupingWindow: '1s' },
  branches: [{ id: 101, address: 'Tverskaya st. 12' }],
  variables: { language: 'en' },
  templates: [
    { kind: 'new-record', text: 'New visit: {{services}} at {{time}}' },
    { kind: 'reminder', text: 'Reminder: {{services}} at {{time}}', offset: '60m' },
  ],
};

/** A visit an hour and `leadSeconds` from now: its 60-minute reminder falls due that soon. */
function createVisit(world: World, leadSeconds: number) {
  const start = new Date(Date.now() + 3_600_000 + leadSeconds * 1000);
  start.setUTCMilliseconds(0);
  return bookVisit(world, start, { phone: CLIENT, name: 'Vera' });
}

const sentTo = (world: World) =>
  world.whatsapp.sent.filter((message) => message.chatId === CHAT).map((message) => message.text);

async function health(world: World) {
  const response = await fetch(`${world.info?.url}/health`);
  return (await response.json()) as {
    sync: { initialSyncDone: boolean; branches: Array<{ companyId: number; lastSyncAt: string | null }> };
  };
}

describe('reconcile: records the webhooks never brought', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('pre-existing future records get their reminders after the first start, without a new-record notice', async () => {
    world = await createWorld(SETTINGS);
    const w = world;
    // Made before the engine ever ran: no webhook can have carried it.
    createVisit(w, 3);
    await w.startEngine();
    await eventually(() => {
      if (!sentTo(w).some((text) => text.startsWith('Reminder'))) throw new Error('no reminder yet');
    }, 10_000);
    const synced = (await health(w)).sync.branches.find((b) => b.companyId === 101);
    expect(synced?.lastSyncAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // Known before the engine looked: not news.
    expect(sentTo(w).filter((text) => text.startsWith('New visit'))).toEqual([]);
  });

  it('a webhook lost while the engine was down is caught by the next sync; its reminder goes out once', async () => {
    world = await createWorld(SETTINGS);
    const w = world;
    await w.startEngine({ reconcileIntervalMs: 300 });
    await w.engine?.stop();
    const deliveredBefore = w.sandbox.requests.length;
    // The salon books while the engine is down: the webhook finds nobody and is given up.
    createVisit(w, 10);
    await w.sandbox.webhooksIdle();
    expect(w.sandbox.requests.length).toBe(deliveredBefore);

    await w.startEngine({ reconcileIntervalMs: 300 });
    await eventually(() => {
      if (!sentTo(w).some((text) => text.startsWith('Reminder'))) throw new Error('no reminder yet');
    }, 10_000);
    // Created after the last sync: announced like the lost webhook would have been.
    expect(sentTo(w).filter((text) => text.startsWith('New visit'))).toHaveLength(1);
    // Several periodic syncs later (each reads the record again), still one reminder.
    const syncsBefore = w.sandbox.requests.filter((r) => r.path.startsWith('/records/101')).length;
    await eventually(() => {
      const syncs = w.sandbox.requests.filter((r) => r.path.startsWith('/records/101')).length;
      if (syncs < syncsBefore + 3) throw new Error('waiting for more syncs');
    }, 10_000);
    expect(sentTo(w).filter((text) => text.startsWith('Reminder'))).toHaveLength(1);
  });
});
