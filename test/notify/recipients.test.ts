import { afterEach, describe, expect, it } from 'vitest';
import type { ChatChannel } from '../../src/domain/channels.js';
import { parseSettings, type Settings } from '../../src/domain/settings.js';
import { resolveRecipient } from '../../src/notify/recipients.js';
import { createStore, type SqliteStore as Store } from '../../src/store/index.js';

const PHONE = '79160001212';

function settings(input: Record<string, unknown>): Settings {
  const parsed = parseSettings(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.settings;
}

describe('resolveRecipient', () => {
  let store: Store | undefined;
  afterEach(() => {
    store?.close();
    store = undefined;
  });
  const open = () => {
    store = createStore(':memory:');
    return store;
  };
  const running =
    (...names: ChatChannel[]) =>
    (channel: ChatChannel) =>
      names.includes(channel);

  it('takes the first channel of the priority that runs and knows the phone, and says what it skipped', async () => {
    const s = open();
    s.conversations.upsert('telegram', '9100', { phone: PHONE });
    const both = settings({ general: { channelPriority: ['whatsapp', 'telegram'] } });
    expect(await resolveRecipient(PHONE, both, s.conversations, running('telegram', 'whatsapp'))).toEqual({
      found: true,
      channel: 'whatsapp',
      chatId: `${PHONE}@c.us`,
      phone: PHONE,
      note: '',
    });
    expect(await resolveRecipient(PHONE, both, s.conversations, running('telegram'))).toEqual({
      found: true,
      channel: 'telegram',
      chatId: '9100',
      phone: PHONE,
      note: 'whatsapp is not running',
    });
  });

  it('finds no Telegram chat for a phone nobody shared there, and says so', async () => {
    const s = open();
    s.conversations.upsert('telegram', '9100', { phone: '79160009999' });
    const telegram = settings({ general: { channelPriority: ['telegram'] } });
    expect(await resolveRecipient(PHONE, telegram, s.conversations, running('telegram'))).toEqual({
      found: false,
      reason: 'no channel reaches the client: no telegram chat has shared this phone',
    });
  });

  it('sends to the admin phone in test mode, never to the client', async () => {
    const s = open();
    s.conversations.upsert('telegram', '9100', { phone: PHONE });
    s.conversations.upsert('telegram', '9200', { phone: '79160000001' });
    const testMode = settings({
      general: { channelPriority: ['telegram'], testMode: true, adminPhone: '+79160000001' },
    });
    expect(await resolveRecipient(PHONE, testMode, s.conversations, running('telegram'))).toMatchObject({
      found: true,
      chatId: '9200',
      note: 'test mode: sent to the admin phone',
    });
  });
});
