/**
 * Telegram faults seen from outside the engine: a second instance polling with the same token
 * (409 → /health degraded, then recovery), and a client who blocked the bot (403 → the next
 * channel of `general.channelPriority`, with the reason in the delivery log).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { bookVisit, createWorld, type World } from './harness.js';

const PHONE = '79160007788';
const TG_CHAT = 7788;
const WA_CHAT = `${PHONE}@c.us`;

const settings = {
  general: { adminPhone: '79990000001', channelPriority: ['telegram', 'whatsapp'] },
  records: { groupingWindow: '1s' },
  branches: [{ id: 101, address: 'Tverskaya st. 12' }],
  variables: { language: 'en' },
  templates: [{ kind: 'new-record', text: 'New visit: {{services}} at {{time}}' }],
};

interface Health {
  status: string;
  version: string;
  mode: string;
  uptimeSeconds: number;
  channels: Record<string, { status: string; reason?: string }>;
}

describe('Telegram faults, end to end', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  const health = async (w: World): Promise<Health> =>
    (await (await fetch(`${w.info?.url}/health`)).json()) as Health;

  it('a 409 from getUpdates: polling goes on with backoff, /health says degraded, then recovers', async () => {
    const w = await createWorld(settings);
    world = w;
    w.telegram.setConflict(true);
    await w.startEngine();
    await eventually(() => w.telegram.sent.some((call) => call.response.error_code === 409));
    const degraded = await health(w);
    expect(degraded).toMatchObject({ status: 'degraded', mode: 'live', version: expect.any(String) });
    expect(degraded.channels.telegram).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('409'),
    });

    w.telegram.setConflict(false);
    await eventually(async () => expect((await health(w)).status).toBe('ok'), 15_000);
    expect((await health(w)).channels.telegram).toEqual({ status: 'ok' });
    // Updates flow again: a client's /start is answered.
    w.telegram.userSends(TG_CHAT, '/start', { languageCode: 'en' });
    await w.telegram.waitFor(
      (call) => call.method === 'sendMessage' && call.chatId === String(TG_CHAT),
      8_000,
    );
  });

  it('a 403 marks the Telegram chat unreachable; the refused notice and the next ones go by WhatsApp (the log says why) until the client writes again', async () => {
    const w = await createWorld(settings);
    world = w;
    await w.startEngine();
    // The client links their Telegram chat to their phone, then blocks the bot.
    w.telegram.userSharesContact(TG_CHAT, `+${PHONE}`, { languageCode: 'en' });
    await w.telegram.waitFor(
      (call) => call.method === 'sendMessage' && call.chatId === String(TG_CHAT),
      8_000,
    );
    w.telegram.setBlocked(TG_CHAT, true);

    const visit = (leadHours: number) => {
      const start = new Date(Date.now() + leadHours * 3_600_000);
      start.setUTCMinutes(0, 0, 0);
      return bookVisit(w, start, { phone: `+${PHONE}`, name: 'Vera' });
    };
    const deliveriesOf = async (recordId: number) =>
      (await (
        await fetch(`${w.info?.url}/api/deliveries?record=${recordId}`, {
          headers: { authorization: 'Bearer admin-token' },
        })
      ).json()) as Array<{ decision: string; reason: string; channel: string }>;
    const onWhatsApp = () =>
      w.whatsapp.sent.filter((m) => m.chatId === WA_CHAT && m.text.startsWith('New visit'));
    const unreachableSince = new RegExp(`telegram chat ${TG_CHAT} is unreachable since .*blocked`);

    // The very notice Telegram refuses reaches the client by WhatsApp, and the log says why.
    const first = visit(30);
    await w.telegram.waitFor(
      (call) => call.method === 'sendMessage' && call.response.error_code === 403,
      10_000,
    );
    await eventually(() => expect(onWhatsApp()).toHaveLength(1), 10_000);
    await eventually(async () => {
      const log = await deliveriesOf(Number(first.id));
      expect(log.find((entry) => entry.decision === 'failed')).toMatchObject({
        channel: 'telegram',
        reason: expect.stringMatching(
          /^refused: unreachable by telegram \(telegram 403: .*blocked.*\); trying the next channel$/,
        ),
      });
      expect(log.find((entry) => entry.decision === 'sent' && entry.channel === 'whatsapp')).toMatchObject({
        reason: expect.stringMatching(unreachableSince),
      });
    }, 10_000);

    // Later notices go straight to WhatsApp, without another try on Telegram.
    const second = visit(54);
    await eventually(() => expect(onWhatsApp()).toHaveLength(2), 10_000);
    expect(w.telegram.sent.filter((call) => call.response.error_code === 403)).toHaveLength(1);
    const deliveries = await deliveriesOf(Number(second.id));
    expect(deliveries.filter((entry) => entry.decision === 'failed')).toEqual([]);
    expect(deliveries.find((entry) => entry.decision === 'sent')).toMatchObject({
      channel: 'whatsapp',
      reason: expect.stringMatching(unreachableSince),
    });

    // The client unblocks the bot and writes: the reply reaches them, so Telegram is theirs again.
    w.telegram.setBlocked(TG_CHAT, false);
    const mark = w.telegram.sent.length;
    w.telegram.userSends(TG_CHAT, '/start', { languageCode: 'en' });
    await w.telegram.waitFor((call) => call.method === 'sendMessage' && call.response.ok, 8_000, mark);
    visit(78);
    await w.telegram.waitFor(
      (call) =>
        call.method === 'sendMessage' && String(call.params.text).startsWith('New visit') && call.response.ok,
      10_000,
      mark,
    );
    // Nothing was sent twice by WhatsApp meanwhile.
    expect(onWhatsApp()).toHaveLength(2);
  });
});
