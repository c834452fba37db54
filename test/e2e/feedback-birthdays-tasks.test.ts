import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { bookVisit, createWorld, WEBHOOK_SECRET, type World } from './harness.js';

const CLIENT = '+79160007788';
const CHAT = '79160007788@c.us';
const ADMIN = '79990000002';
const REVIEW = 'https://reviews.example/beauty-lab';

function settings(overrides: Record<string, Record<string, unknown>> = {}) {
  const { feedback, tasks, general, birthdays } = overrides;
  return {
    general: { adminPhone: ADMIN, ...general },
    feedback: { delayAfterVisit: '1s', ...feedback },
    birthdays: { ...birthdays },
    tasks: { ...tasks },
    variables: { language: 'en' },
    branches: [{ id: 101, address: 'Tverskaya st. 12', reviewLink: REVIEW }],
    templates: [
      { kind: 'feedback', text: 'How was your {{services}}?' },
      { kind: 'birthday', text: 'Happy birthday, {{client_name}}!' },
    ],
  };
}

/** A visit that ended an hour ago. */
function pastVisit(world: World) {
  const start = new Date(Date.now() - 2 * 3_600_000);
  start.setUTCMilliseconds(0);
  return bookVisit(world, start, { phone: CLIENT, name: 'Nina' });
}

const sentTo = (world: World, chatId: string) =>
  world.whatsapp.sent.filter((message) => message.chatId === chatId).map((message) => message.text);

function waitForText(world: World, chatId: string, pattern: RegExp, timeoutMs = 8_000): Promise<string> {
  return eventually(() => {
    const found = sentTo(world, chatId).find((text) => pattern.test(text));
    if (!found) throw new Error(`no message matching ${pattern} in ${JSON.stringify(sentTo(world, chatId))}`);
    return found;
  }, timeoutMs);
}

async function api<T>(world: World, path: string): Promise<T> {
  const response = await fetch(`${world.info?.url}${path}`, {
    headers: { authorization: 'Bearer admin-token' },
  });
  return (await response.json()) as T;
}

interface TaskView {
  kind: string;
  title: string;
  recordId: number;
  rating?: number;
  comment?: string;
}

describe('feedback, birthdays and tasks, end to end', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function start(
    overrides: Record<string, Record<string, unknown>> = {},
    engine: { waitForSync?: boolean } = {},
  ): Promise<World> {
    world = await createWorld(settings(overrides));
    await world.startEngine(engine);
    return world;
  }

  it('a poor rating gets an apology, a task for the admin, and the comment on that task', async () => {
    const w = await start();
    const visit = pastVisit(w);
    w.sandbox.control.setAttendance(101, Number(visit.id), 1);
    const request = await waitForText(w, CHAT, /How was your/);
    expect(request).toContain("How was your Women's haircut?");
    w.whatsapp.receive(CHAT, '2');
    await waitForText(w, CHAT, /sorry your visit was not perfect/);
    await waitForText(w, `${ADMIN}@c.us`, /New task/);
    w.whatsapp.receive(CHAT, 'The master was 30 minutes late');
    await waitForText(w, CHAT, /Thank you for telling us/);
    const tasks = await eventually(async () => {
      const list = await api<TaskView[]>(w, '/api/tasks');
      if (!list[0]?.comment) throw new Error('no comment yet');
      return list;
    });
    expect(tasks[0]).toMatchObject({
      kind: 'poor-rating',
      recordId: Number(visit.id),
      rating: 2,
      comment: 'The master was 30 minutes late',
    });
  });

  it('a good rating gets thanks and the branch review link, and no task', async () => {
    const w = await start();
    const visit = pastVisit(w);
    w.sandbox.control.setAttendance(101, Number(visit.id), 1);
    await waitForText(w, CHAT, /How was your/);
    w.whatsapp.receive(CHAT, '5');
    const thanks = await waitForText(w, CHAT, /Thank you for your rating/);
    expect(thanks).toContain(REVIEW);
    expect(await api<TaskView[]>(w, '/api/tasks')).toEqual([]);
  });

  it('closes the rating menu after feedback.menuTtl: a late rating changes nothing', async () => {
    const w = await start({ feedback: { menuTtl: '2s' } });
    const visit = pastVisit(w);
    w.sandbox.control.setAttendance(101, Number(visit.id), 1);
    await waitForText(w, CHAT, /How was your/);
    await waitForText(w, CHAT, /rating menu has closed/, 6_000);
    w.whatsapp.receive(CHAT, '1');
    await waitForText(w, CHAT, /menu has expired|Nothing is in progress/);
    expect(await api<TaskView[]>(w, '/api/tasks')).toEqual([]);
  });

  it('asks for feedback once per record however many "came" webhooks arrive', async () => {
    const w = await start();
    const visit = pastVisit(w);
    w.sandbox.control.setAttendance(101, Number(visit.id), 1);
    w.sandbox.control.setAttendance(101, Number(visit.id), 0);
    w.sandbox.control.setAttendance(101, Number(visit.id), 1);
    await waitForText(w, CHAT, /How was your/);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(sentTo(w, CHAT).filter((text) => text.startsWith('How was your'))).toHaveLength(1);
  });

  it('makes a task for each status rule when a record enters that status', async () => {
    const w = await start({
      tasks: {
        onStatusChange: [
          { status: 'confirmed', title: 'Confirmed: prepare the room' },
          { status: 'no-show', title: 'No-show: call the client' },
          { status: 'came', title: 'Came: offer a loyalty card' },
          { status: 'deleted', title: 'Deleted: free the slot' },
        ],
      },
    });
    const visit = pastVisit(w);
    const id = Number(visit.id);
    w.sandbox.control.setAttendance(101, id, 2);
    w.sandbox.control.setAttendance(101, id, -1);
    w.sandbox.control.setAttendance(101, id, 1);
    w.sandbox.control.deleteRecord(101, id);
    const titles = await eventually(async () => {
      const list = (await api<TaskView[]>(w, '/api/tasks')).filter((task) => task.kind === 'status-change');
      if (list.length < 4) throw new Error(`only ${list.length} tasks`);
      return list.map((task) => task.title).sort();
    });
    expect(titles).toEqual([
      'Came: offer a loyalty card',
      'Confirmed: prepare the room',
      'Deleted: free the slot',
      'No-show: call the client',
    ]);
  });

  it('greets a client on their birthday at the local time of another zone, once, even after a restart', async () => {
    const zone = 'Pacific/Auckland';
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(new Date());
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    const localDay = `${part('year')}-${part('month')}-${part('day')}`;
    const sendAt = `${part('hour')}:${part('minute')}`;
    // The webhook must reach the engine before today's scan has read the mirror, so this test
    // does not wait for the start-up reconcile first.
    const w = await start({ general: { timezone: zone }, birthdays: { sendAt } }, { waitForSync: false });
    // A client seen in a record webhook, born on this local day in 1990.
    const webhook = {
      company_id: 101,
      resource: 'record',
      resource_id: 77001,
      status: 'create',
      data: {
        id: 77001,
        staff_id: 1001,
        services: [{ id: 301, title: "Women's haircut" }],
        client: { id: 9001, name: 'Olesya', phone: '+79160009900', birthday: `1990-${localDay.slice(5)}` },
        datetime: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        seance_length: 3600,
        attendance: 0,
        deleted: false,
        last_change_date: new Date().toISOString(),
      },
    };
    const posted = await fetch(`${w.info?.url}/webhooks/altegio/${WEBHOOK_SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(webhook),
    });
    expect(posted.status).toBe(200);
    // The scan for today already ran at start-up (nobody was known then); a restart runs nothing
    // twice, so the greeting comes from the next scan a restart plans for the same local day.
    await w.engine?.stop();
    await w.startEngine();
    await waitForText(w, '79160009900@c.us', /Happy birthday, Olesya!/);
    await w.engine?.stop();
    await w.startEngine();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(sentTo(w, '79160009900@c.us')).toEqual(['Happy birthday, Olesya!']);
  });
});
