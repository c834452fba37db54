import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter, type Release } from '../../src/altegio/rate-limiter.js';
import { eventually } from '../helpers/eventually.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, ONE_BRANCH, type World } from './harness.js';

describe('waiting for the Altegio budget, as the client sees it', () => {
  let world: World | undefined;
  let held: Release[] = [];
  afterEach(async () => {
    for (const release of held.splice(0)) release();
    await world?.close();
    world = undefined;
  });

  it('shows "typing" while the step waits, says once that the request is in line, then answers — no error', async () => {
    // A budget of two calls, both taken by someone else's slow calls: the client's step must wait.
    const limiter = createRateLimiter({ limits: [{ max: 2, windowMs: 100 }] });
    world = await createWorld(ONE_BRANCH);
    await world.startEngine({
      altegioLimiter: limiter,
      waitFeedback: { typingEveryMs: 100, longWaitMs: 300 },
    });
    held = [await limiter.acquire({ priority: 'booking' }), await limiter.acquire({ priority: 'booking' })];
    const telegram = world.telegram;
    const typingTo = (chat: string) =>
      telegram.sent.filter((call) => call.method === 'sendChatAction' && call.chatId === chat);
    const client = new TelegramUser(telegram, 7101);

    client.send('/start');
    // "typing…" is repeated while the wait lasts (Telegram shows one for 5 s at most).
    await eventually(() => typingTo('7101').length >= 3);
    expect(typingTo('7101').every((call) => call.params.action === 'typing')).toBe(true);
    const inLine = await client.next();
    expect(inLine.text).toMatch(/busy.*in line/i);
    expect(limiter.stats().pending.booking).toBeGreaterThan(0);
    // Operators see the queue too.
    const metrics = await (await fetch(`${world.info?.url}/metrics`)).text();
    expect(metrics).toMatch(/altegio_bot_altegio_budget_waiting\{priority="booking"\} [1-9]/);

    for (const release of held.splice(0)) release();
    const services = await client.next();
    expect(services.text).toBe('Choose a service:');
    const texts = telegram.sent
      .filter((call) => call.method === 'sendMessage' && call.chatId === '7101')
      .map((call) => String(call.params.text));
    expect(texts.filter((text) => /went wrong|try again later/i.test(text))).toEqual([]);
    // Said once for the whole wait, not once per queued call.
    expect(texts.filter((text) => /in line/i.test(text))).toHaveLength(1);
  });

  it('a short wait shows only "typing", no message', async () => {
    const limiter = createRateLimiter({ limits: [{ max: 1, windowMs: 100 }] });
    world = await createWorld(ONE_BRANCH);
    await world.startEngine({
      altegioLimiter: limiter,
      waitFeedback: { typingEveryMs: 50, longWaitMs: 60_000 },
    });
    held = [await limiter.acquire({ priority: 'booking' })];
    const client = new TelegramUser(world.telegram, 7102);

    client.send('/start');
    await eventually(() =>
      world?.telegram.sent.some((call) => call.method === 'sendChatAction' && call.chatId === '7102'),
    );
    for (const release of held.splice(0)) release();
    const first = await client.next();
    expect(first.text).toBe('Choose a service:');
  });
});
