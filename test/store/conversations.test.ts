import { describe, expect, it } from 'vitest';
import { storeDialects, useDialectStores } from './harness.js';
import { testClock } from './helpers.js';

describe.each(storeDialects)('conversations on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('keeps one conversation per (channel, chat) and refreshes it on every message', async () => {
    const clock = testClock();
    const { conversations } = await open(clock);
    const first = await conversations.upsert('telegram', '100', { language: 'ru' });
    clock.advance(1000);
    const again = await conversations.upsert('telegram', '100');
    expect(again.id).toBe(first.id);
    expect(again.language).toBe('ru');
    expect(again.updatedAt).toBe(first.createdAt + 1000);
    expect(again.createdAt).toBe(first.createdAt);

    const otherChannel = await conversations.upsert('whatsapp', '100');
    expect(otherChannel.id).not.toBe(first.id);
    expect((await conversations.byChat('telegram', '100'))?.id).toBe(first.id);
    expect(await conversations.byChat('console', '100')).toBeUndefined();
  });

  it('links a chat to a phone and finds every chat of that phone, latest first', async () => {
    const clock = testClock();
    const { conversations } = await open(clock);
    const telegram = await conversations.upsert('telegram', '100');
    clock.advance(10);
    const whatsapp = await conversations.upsert('whatsapp', '79161234567@c.us', { phone: '79161234567' });
    clock.advance(10);
    // A contact shared in the chat: the step that handled it keeps the phone.
    await conversations.touch(telegram.id, { phone: '79161234567' });

    expect((await conversations.findByPhone('79161234567')).map((c) => c.id)).toEqual([
      telegram.id,
      whatsapp.id,
    ]);
    // A later message without a contact does not unlink the phone.
    expect((await conversations.upsert('telegram', '100')).phone).toBe('79161234567');
    expect(await conversations.findByPhone('70000000000')).toEqual([]);
  });

  it('records a handled message: highest update id, a revealed phone or language, nothing lost', async () => {
    const { conversations } = await open(testClock());
    const chat = await conversations.upsert('telegram', '100', { language: 'uk' });
    await conversations.touch(chat.id, { lastUpdateId: 7 });
    await conversations.touch(chat.id, { lastUpdateId: 5, phone: '79161234567' });
    expect(await conversations.get(chat.id)).toMatchObject({
      lastUpdateId: 7,
      phone: '79161234567',
      language: 'uk',
    });
    // Messages without a contact or a language keep what is stored.
    await conversations.touch(chat.id, { lastUpdateId: 8, phone: null, language: null });
    expect(await conversations.get(chat.id)).toMatchObject({
      lastUpdateId: 8,
      phone: '79161234567',
      language: 'uk',
    });
    await conversations.touch(chat.id, { phone: '79990000000', language: 'en' });
    expect(await conversations.get(chat.id)).toMatchObject({
      lastUpdateId: 8,
      phone: '79990000000',
      language: 'en',
    });
    expect((await conversations.findByPhone('79990000000')).map((c) => c.id)).toEqual([chat.id]);
    expect(await conversations.findByPhone('79161234567')).toEqual([]);
  });

  it('marks a chat unreachable with the reason, also one never seen, and clears it once', async () => {
    const clock = testClock();
    const { conversations } = await open(clock);
    const chat = await conversations.upsert('telegram', '100', { phone: '79161234567' });
    await conversations.markUnreachable(
      'telegram',
      '100',
      'telegram 403: Forbidden: bot was blocked by the user',
    );
    await conversations.markUnreachable('whatsapp', '79160000000@c.us', 'not on WhatsApp', 5);
    expect(await conversations.get(chat.id)).toMatchObject({
      phone: '79161234567',
      unreachableAt: clock.now(),
      unreachableReason: 'telegram 403: Forbidden: bot was blocked by the user',
    });
    expect(await conversations.listUnreachable()).toEqual([
      { channel: 'telegram', chatId: '100' },
      { channel: 'whatsapp', chatId: '79160000000@c.us' },
    ]);
    expect(await conversations.markReachable('telegram', '100')).toBe(true);
    expect(await conversations.markReachable('telegram', '100')).toBe(false);
    expect(await conversations.get(chat.id)).toMatchObject({ unreachableAt: null, unreachableReason: null });
    expect(await conversations.listUnreachable()).toEqual([
      { channel: 'whatsapp', chatId: '79160000000@c.us' },
    ]);
  });
});
