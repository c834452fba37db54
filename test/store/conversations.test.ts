import { describe, expect, it } from 'vitest';
import { testClock, useTempDatabases } from './helpers.js';

describe('conversations', () => {
  const temp = useTempDatabases();

  it('keeps one conversation per (channel, chat) and refreshes it on every message', () => {
    const clock = testClock();
    const { conversations } = temp.open(undefined, clock).sync;
    const first = conversations.upsert('telegram', '100', { language: 'ru' });
    clock.advance(1000);
    const again = conversations.upsert('telegram', '100');
    expect(again.id).toBe(first.id);
    expect(again.language).toBe('ru');
    expect(again.updatedAt).toBe(first.createdAt + 1000);
    expect(again.createdAt).toBe(first.createdAt);

    const otherChannel = conversations.upsert('whatsapp', '100');
    expect(otherChannel.id).not.toBe(first.id);
    expect(conversations.byChat('telegram', '100')?.id).toBe(first.id);
    expect(conversations.byChat('console', '100')).toBeUndefined();
  });

  it('links a chat to a phone and finds every chat of that phone, latest first', () => {
    const clock = testClock();
    const { conversations } = temp.open(undefined, clock).sync;
    const telegram = conversations.upsert('telegram', '100');
    clock.advance(10);
    const whatsapp = conversations.upsert('whatsapp', '79161234567@c.us', { phone: '79161234567' });
    clock.advance(10);
    // A contact shared in the chat: the step that handled it keeps the phone.
    conversations.touch(telegram.id, { phone: '79161234567' });

    expect(conversations.findByPhone('79161234567').map((c) => c.id)).toEqual([telegram.id, whatsapp.id]);
    // A later message without a contact does not unlink the phone.
    expect(conversations.upsert('telegram', '100').phone).toBe('79161234567');
    expect(conversations.findByPhone('70000000000')).toEqual([]);
  });

  it('records a handled message: highest update id, a revealed phone or language, nothing lost', () => {
    const { conversations } = temp.open(undefined, testClock()).sync;
    const chat = conversations.upsert('telegram', '100', { language: 'uk' });
    conversations.touch(chat.id, { lastUpdateId: 7 });
    conversations.touch(chat.id, { lastUpdateId: 5, phone: '79161234567' });
    expect(conversations.get(chat.id)).toMatchObject({
      lastUpdateId: 7,
      phone: '79161234567',
      language: 'uk',
    });
    // Messages without a contact or a language keep what is stored.
    conversations.touch(chat.id, { lastUpdateId: 8, phone: null, language: null });
    expect(conversations.get(chat.id)).toMatchObject({
      lastUpdateId: 8,
      phone: '79161234567',
      language: 'uk',
    });
    conversations.touch(chat.id, { phone: '79990000000', language: 'en' });
    expect(conversations.get(chat.id)).toMatchObject({
      lastUpdateId: 8,
      phone: '79990000000',
      language: 'en',
    });
    expect(conversations.findByPhone('79990000000').map((c) => c.id)).toEqual([chat.id]);
    expect(conversations.findByPhone('79161234567')).toEqual([]);
  });

  it('marks a chat unreachable with the reason, also one never seen, and clears it once', () => {
    const clock = testClock();
    const { conversations } = temp.open(undefined, clock).sync;
    const chat = conversations.upsert('telegram', '100', { phone: '79161234567' });
    conversations.markUnreachable('telegram', '100', 'telegram 403: Forbidden: bot was blocked by the user');
    conversations.markUnreachable('whatsapp', '79160000000@c.us', 'not on WhatsApp', 5);
    expect(conversations.get(chat.id)).toMatchObject({
      phone: '79161234567',
      unreachableAt: clock.now(),
      unreachableReason: 'telegram 403: Forbidden: bot was blocked by the user',
    });
    expect(conversations.listUnreachable()).toEqual([
      { channel: 'telegram', chatId: '100' },
      { channel: 'whatsapp', chatId: '79160000000@c.us' },
    ]);
    expect(conversations.markReachable('telegram', '100')).toBe(true);
    expect(conversations.markReachable('telegram', '100')).toBe(false);
    expect(conversations.get(chat.id)).toMatchObject({ unreachableAt: null, unreachableReason: null });
    expect(conversations.listUnreachable()).toEqual([{ channel: 'whatsapp', chatId: '79160000000@c.us' }]);
  });
});
