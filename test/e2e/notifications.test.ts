import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { bookVisit, createWorld, E2E_DIALECTS, type World } from './harness.js';

const CLIENT = '+79160005566';
const CHAT = '79160005566@c.us';
const ADMIN = '79990000001';

/** Templates that make reminders due a few seconds after a record is created an hour ahead. */
function settings(overrides: Record<string, unknown> = {}) {
  const { records, general, booking, branches, ...rest } = overrides as Record<
    string,
    Record<string, unknown>
  >;
  return {
    general: { adminPhone: ADMIN, ...general },
    booking: { ...booking },
    records: { cancelNotLaterThan: '30m', groupingWindow: '1s', ...records },
    branches: branches ?? [{ id: 101, address: 'Tverskaya st. 12' }],
    variables: { language: 'en' },
    templates: [
      { kind: 'new-record', text: 'New visit: {{services}} at {{time}}' },
      { kind: 'reminder', text: 'Reminder: {{services}} at {{time}}', offset: '60m' },
      { kind: 'record-changed', text: 'Moved to {{time}}' },
      { kind: 'record-cancelled', text: 'Cancelled: {{services}}' },
    ],
    ...rest,
  };
}

/** A visit that starts an hour and `leadSeconds` from now, so its 60-minute reminder is due soon. */
function createVisit(
  world: World,
  options: { leadSeconds?: number; staffId?: number; phone?: string; serviceId?: number } = {},
) {
  const start = new Date(Date.now() + 3_600_000 + (options.leadSeconds ?? 2) * 1000);
  start.setUTCMilliseconds(0);
  return bookVisit(world, start, { phone: options.phone ?? CLIENT, name: 'Vera' }, options);
}

function sentTo(world: World, chatId: string): string[] {
  return world.whatsapp.sent.filter((message) => message.chatId === chatId).map((message) => message.text);
}

async function waitForText(
  world: World,
  chatId: string,
  pattern: RegExp,
  timeoutMs = 8_000,
): Promise<string> {
  return eventually(() => {
    const found = sentTo(world, chatId).find((text) => pattern.test(text));
    if (!found)
      throw new Error(`no message matching ${pattern} in: ${JSON.stringify(sentTo(world, chatId))}`);
    return found;
  }, timeoutMs);
}

describe.each(E2E_DIALECTS)('reminders and notifications over WhatsApp, end to end, on %s', (dialect) => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function start(overrides: Record<string, unknown> = {}): Promise<World> {
    world = await createWorld(settings(overrides), { dialect });
    await world.startEngine();
    return world;
  }

  it('confirms the visit in Altegio when the client answers 1 to the reminder', async () => {
    const w = await start();
    const visit = createVisit(w);
    const reminder = await waitForText(w, CHAT, /Reminder/);
    // The template's variables are filled in the branch's zone (Moscow, UTC+3), with the menu below.
    const local = new Date(Date.parse(String(visit.datetime)) + 3 * 3_600_000).toISOString().slice(11, 16);
    expect(reminder).toContain(`Reminder: Women's haircut at ${local}`);
    expect(reminder).toMatch(/1\. .*Confirm\n2\. .*Cancel/);
    w.whatsapp.receive(CHAT, '1');
    await waitForText(w, CHAT, /is confirmed/);
    // Acknowledged at once; the write follows from the durable queue.
    await eventually(() => expect(w.sandbox.control.getRecord(101, Number(visit.id))?.attendance).toBe(2));
  });

  it('confirms by colour when the salon chose colour confirmation', async () => {
    const w = await start({ records: { confirmation: 'color', confirmedColor: '#2ecc71' } });
    const visit = createVisit(w);
    await waitForText(w, CHAT, /Reminder/);
    w.whatsapp.receive(CHAT, '1');
    await waitForText(w, CHAT, /is confirmed/);
    await eventually(() =>
      expect(w.sandbox.control.getRecord(101, Number(visit.id))?.custom_color).toBe('2ecc71'),
    );
    expect(w.sandbox.control.getRecord(101, Number(visit.id))?.attendance).toBe(0);
  });

  it('marks a no-show when the client answers 2 and the salon cancels by status', async () => {
    const w = await start({ records: { cancelNotLaterThan: '10m' } });
    const visit = createVisit(w);
    await waitForText(w, CHAT, /Reminder/);
    w.whatsapp.receive(CHAT, '2');
    await waitForText(w, CHAT, /is cancelled/);
    await eventually(() => expect(w.sandbox.control.getRecord(101, Number(visit.id))?.attendance).toBe(-1));
  });

  it('deletes the record when the client answers 2 and the salon cancels by deleting', async () => {
    const w = await start({ records: { cancelNotLaterThan: '10m', cancellation: 'delete' } });
    const visit = createVisit(w);
    await waitForText(w, CHAT, /Reminder/);
    w.whatsapp.receive(CHAT, '2');
    await waitForText(w, CHAT, /is cancelled/);
    await eventually(() =>
      expect(w.sandbox.control.listRecords(101).map((record) => record.id)).not.toContain(visit.id),
    );
  });

  it('refuses a cancellation too close to the visit and writes nothing', async () => {
    const w = await start({ records: { cancelNotLaterThan: '9h', cancellation: 'delete' } });
    const visit = createVisit(w);
    await waitForText(w, CHAT, /Reminder/);
    w.whatsapp.receive(CHAT, '2');
    await waitForText(w, CHAT, /can no longer be cancelled/);
    const record = w.sandbox.control.getRecord(101, Number(visit.id));
    expect(record?.deleted).toBe(false);
    expect(record?.attendance).toBe(0);
  });

  it('protects a prepaid record from deletion and tells the admin', async () => {
    const w = await start({
      records: { cancelNotLaterThan: '10m', cancellation: 'delete', protectPrepaid: true },
    });
    const visit = createVisit(w);
    w.sandbox.control.markPaid(101, Number(visit.id));
    await waitForText(w, CHAT, /Reminder/);
    w.whatsapp.receive(CHAT, '2');
    await waitForText(w, CHAT, /prepaid/);
    await waitForText(w, `${ADMIN}@c.us`, /prepaid visit/);
    expect(w.sandbox.control.getRecord(101, Number(visit.id))?.deleted).toBe(false);
  });

  it('closes the menu after records.confirmMenuTtl: a late answer changes nothing', async () => {
    const w = await start({ records: { confirmMenuTtl: '2s' } });
    const visit = createVisit(w);
    await waitForText(w, CHAT, /Reminder/);
    await waitForText(w, CHAT, /has expired/, 6_000);
    w.whatsapp.receive(CHAT, '1');
    await waitForText(w, CHAT, /menu has expired|Nothing is in progress/);
    expect(w.sandbox.control.getRecord(101, Number(visit.id))?.attendance).toBe(0);
  });

  it('groups two records created together into one new-record message', async () => {
    const w = await start({ records: { groupingWindow: '2s' } });
    createVisit(w, { leadSeconds: 3_600 });
    createVisit(w, { leadSeconds: 7_200, serviceId: 304 });
    const notice = await waitForText(w, CHAT, /New visit/);
    expect(notice).toContain("Women's haircut");
    expect(notice).toContain('Gel manicure');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sentTo(w, CHAT).filter((text) => text.startsWith('New visit'))).toHaveLength(1);
  });

  it('in test mode sends everything to the admin phone and nothing to the client', async () => {
    const w = await start({ general: { testMode: true } });
    createVisit(w, { leadSeconds: 3_600 });
    await waitForText(w, `${ADMIN}@c.us`, /New visit/);
    expect(sentTo(w, CHAT)).toEqual([]);
  });

  it('sends nothing for a record whose only staff member is on the block list, and says why', async () => {
    const w = await start({ booking: { notifyBlockedStaffIds: [1001] }, adminToken: undefined });
    const visit = createVisit(w, { leadSeconds: 3_600 });
    const response = await eventually(async () => {
      const deliveries = (await (
        await fetch(`${w.info?.url}/api/deliveries?record=${visit.id}`, {
          headers: { authorization: 'Bearer admin-token' },
        })
      ).json()) as Array<{ decision: string; reason: string }>;
      if (!deliveries.some((entry) => entry.decision === 'suppressed')) throw new Error('no decision yet');
      return deliveries;
    });
    expect(response.find((entry) => entry.decision === 'suppressed')?.reason).toContain('block list');
    expect(sentTo(w, CHAT).filter((text) => text.startsWith('New visit'))).toEqual([]);
  });

  it('still notifies records created together when one of two staff members is not blocked', async () => {
    const w = await start({ booking: { notifyBlockedStaffIds: [1001] }, records: { groupingWindow: '2s' } });
    createVisit(w, { leadSeconds: 3_600, staffId: 1001 });
    createVisit(w, { leadSeconds: 7_200, staffId: 1002, serviceId: 302 });
    const notice = await waitForText(w, CHAT, /New visit/);
    expect(notice).not.toContain("Women's haircut");
    expect(notice).toContain('Colouring');
  });

  it('sends nothing to a client in a category the branch excludes', async () => {
    const w = await start({ branches: [{ id: 101, excludedClientCategoryIds: [401] }] });
    // Elena (+7 916 123-45-67) is in the sandbox's VIP category 401.
    const visit = createVisit(w, { leadSeconds: 3_600, phone: '+79161234567' });
    const deliveries = await eventually(async () => {
      const list = (await (
        await fetch(`${w.info?.url}/api/deliveries?phone=79161234567`, {
          headers: { authorization: 'Bearer admin-token' },
        })
      ).json()) as Array<{ recordId: number; decision: string; reason: string }>;
      const about = list.filter((entry) => entry.recordId === Number(visit.id));
      if (about.length === 0) throw new Error('no decision yet');
      return about;
    });
    expect(deliveries[0]).toMatchObject({
      decision: 'suppressed',
      reason: expect.stringContaining('category 401'),
    });
    expect(sentTo(w, '79161234567@c.us')).toEqual([]);
  });

  it("fills {{weekday}} in each template's own language, in the branch's time zone", async () => {
    world = await createWorld(
      {
        ...settings(),
        templates: [
          { kind: 'new-record', text: 'RU {{weekday}} {{date}}', language: 'ru' },
          { kind: 'new-record', text: 'UK {{weekday}} {{date}}', language: 'uk' },
        ],
      },
      { dialect },
    );
    await world.startEngine();
    const visit = createVisit(world, { leadSeconds: 3 * 86_400 });
    const weekday = (locale: string) =>
      new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: 'Europe/Moscow' }).format(
        new Date(String(visit.datetime)),
      );
    const ru = await waitForText(world, CHAT, /^RU /);
    const uk = await waitForText(world, CHAT, /^UK /);
    expect(ru).toContain(weekday('ru'));
    expect(uk).toContain(weekday('uk'));
    expect(weekday('ru')).not.toBe(weekday('uk'));
  });
});
