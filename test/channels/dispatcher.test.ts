import { describe, expect, it } from 'vitest';
import { type ChannelAdapter, ChannelSendError, type OutboundMessage } from '../../src/channels/channel.js';
import { createDispatcher, type DispatcherTimers, type DispatchItem } from '../../src/channels/dispatcher.js';
import type { ChatChannel } from '../../src/domain/channels.js';

/** Simulated time: timers fire only when the test moves the clock. */
class SimulatedTimers implements DispatcherTimers {
  private time = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  get timerCount(): number {
    return this.pending.size;
  }

  /** Lets promises (channel sends) settle, then jumps to the next timer, until `done()` or no timers. */
  async run(done: () => boolean, limitMs = 600_000): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done()) return;
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending) if (!next || entry[1].at < next[1].at) next = entry;
      if (!next) return;
      if (next[1].at > limitMs) throw new Error('simulation ran past its limit');
      this.pending.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].fn();
    }
  }
}

interface Sent {
  chatId: string;
  text: string;
  at: number;
}

/** A channel that records sends at simulated time and fails on demand. */
function fakeChannel(name: ChatChannel, clock: SimulatedTimers) {
  const sent: Sent[] = [];
  const attempts: Sent[] = [];
  const failures = new Map<string, Error[]>();
  const channel: ChannelAdapter = {
    name,
    async start() {},
    async stop() {},
    isRunning: () => true,
    async send(chatId: string, message: OutboundMessage) {
      attempts.push({ chatId, text: message.text, at: clock.now() });
      const failure = failures.get(message.text)?.shift();
      if (failure) throw failure;
      sent.push({ chatId, text: message.text, at: clock.now() });
    },
  };
  return { channel, sent, attempts, failures };
}

interface Item extends DispatchItem {
  id: number;
}

function item(id: number, chatId: string, channel: ChatChannel = 'telegram'): Item {
  return { id, channel, chatId, message: { text: `m${id}` } };
}

function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe('dispatcher pacing', () => {
  it('sends 100 messages to 50 chats within 30/s overall and 1/s per chat, in order per chat', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    const sentItems: Item[] = [];
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: telegram.channel },
      timers: clock,
      onSent: (done) => sentItems.push(done),
    });
    let id = 0;
    for (let round = 0; round < 2; round++) {
      for (let chat = 0; chat < 50; chat++) dispatcher.enqueue(item(id++, `chat${chat}`));
    }
    await clock.run(() => dispatcher.size === 0);

    expect(telegram.sent).toHaveLength(100);
    expect(sentItems).toHaveLength(100);
    expect(
      maxInWindow(
        telegram.sent.map((s) => s.at),
        1000,
      ),
    ).toBeLessThanOrEqual(30);
    for (let chat = 0; chat < 50; chat++) {
      const mine = telegram.sent.filter((s) => s.chatId === `chat${chat}`);
      expect(mine.map((s) => s.text)).toEqual([`m${chat}`, `m${chat + 50}`]);
      expect((mine[1]?.at ?? 0) - (mine[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    }
    // 100 messages at 30/s: the fourth second begins the last batch; nothing idles needlessly.
    expect(Math.max(...telegram.sent.map((s) => s.at))).toBeLessThan(4000);
    await dispatcher.stop();
  });

  it('keeps one busy chat from holding up the others', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    const dispatcher = createDispatcher<Item>({ channels: { telegram: telegram.channel }, timers: clock });
    for (let i = 0; i < 10; i++) dispatcher.enqueue(item(i, 'busy'));
    for (let i = 10; i < 20; i++) dispatcher.enqueue(item(i, `quiet${i}`));
    await clock.run(() => dispatcher.size === 0);

    const busy = telegram.sent.filter((s) => s.chatId === 'busy');
    expect(busy.map((s) => s.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    for (let i = 1; i < busy.length; i++) {
      expect((busy[i]?.at ?? 0) - (busy[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    }
    for (const quiet of telegram.sent.filter((s) => s.chatId.startsWith('quiet'))) expect(quiet.at).toBe(0);
    await dispatcher.stop();
  });

  it('paces a message queued right after the previous one went out', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    const dispatcher = createDispatcher<Item>({ channels: { telegram: telegram.channel }, timers: clock });
    dispatcher.enqueue(item(1, 'a'));
    await clock.run(() => dispatcher.size === 0);
    dispatcher.enqueue(item(2, 'a'));
    await clock.run(() => dispatcher.size === 0);
    expect(telegram.sent.map((s) => s.at)).toEqual([0, 1000]);
    await dispatcher.stop();
  });

  it('applies each channel its own limits', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    const whatsapp = fakeChannel('whatsapp', clock);
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: telegram.channel, whatsapp: whatsapp.channel },
      limits: { whatsapp: { perChatIntervalMs: 5000, globalLimit: 2, globalWindowMs: 10_000 } },
      timers: clock,
    });
    for (let i = 0; i < 4; i++) dispatcher.enqueue(item(i, `w${i}`, 'whatsapp'));
    for (let i = 4; i < 8; i++) dispatcher.enqueue(item(i, `t${i}`, 'telegram'));
    await clock.run(() => dispatcher.size === 0);
    expect(whatsapp.sent.map((s) => s.at)).toEqual([0, 0, 10_000, 10_000]);
    expect(telegram.sent.map((s) => s.at)).toEqual([0, 0, 0, 0]);
    await dispatcher.stop();
  });
});

describe('dispatcher retries', () => {
  it('waits retry_after on a 429, then sends, keeping the chat in order', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    telegram.failures.set('m1', [new ChannelSendError('429', true, 3000)]);
    const retries: number[] = [];
    const sentIds: number[] = [];
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: telegram.channel },
      timers: clock,
      onRetry: (_item, _error, _attempt, delayMs) => retries.push(delayMs),
      onSent: (done) => sentIds.push(done.id),
    });
    dispatcher.enqueue(item(1, 'a'));
    dispatcher.enqueue(item(2, 'a'));
    dispatcher.enqueue(item(3, 'b'));
    await clock.run(() => dispatcher.size === 0);

    expect(retries).toEqual([3000]);
    expect(telegram.attempts.filter((s) => s.text === 'm1').map((s) => s.at)).toEqual([0, 3000]);
    expect(telegram.sent.find((s) => s.text === 'm2')?.at).toBe(4000);
    expect(telegram.sent.find((s) => s.text === 'm3')?.at).toBe(0);
    expect(sentIds).toEqual([3, 1, 2]);
    await dispatcher.stop();
  });

  it('backs off exponentially and reports the failure after N attempts', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    telegram.failures.set(
      'm1',
      Array.from({ length: 10 }, () => new ChannelSendError('502 Bad Gateway', true)),
    );
    const failed: Array<{ id: number; error: ChannelSendError }> = [];
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: telegram.channel },
      timers: clock,
      maxAttempts: 4,
      backoff: { baseMs: 1000, maxMs: 3000 },
      onFailed: (done, error) => failed.push({ id: done.id, error }),
    });
    dispatcher.enqueue(item(1, 'a'));
    dispatcher.enqueue(item(2, 'a'));
    await clock.run(() => dispatcher.size === 0);

    expect(telegram.attempts.filter((s) => s.text === 'm1').map((s) => s.at)).toEqual([0, 1000, 3000, 6000]);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.id).toBe(1);
    expect(failed[0]?.error.message).toContain('502');
    // The next message of the chat goes on after the failed one.
    expect(telegram.sent.map((s) => s.text)).toEqual(['m2']);
    await dispatcher.stop();
  });

  it('gives up at once on a permanent error, and retries unexpected errors', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    telegram.failures.set('m1', [new ChannelSendError('403 blocked', false)]);
    telegram.failures.set('m2', [new Error('socket hang up')]);
    const failed: number[] = [];
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: telegram.channel },
      timers: clock,
      onFailed: (done) => failed.push(done.id),
    });
    dispatcher.enqueue(item(1, 'a'));
    dispatcher.enqueue(item(2, 'b'));
    await clock.run(() => dispatcher.size === 0);
    expect(failed).toEqual([1]);
    expect(telegram.attempts.filter((s) => s.text === 'm1')).toHaveLength(1);
    expect(telegram.sent.map((s) => s.text)).toEqual(['m2']);
    expect(telegram.sent[0]?.at).toBe(1000);
    await dispatcher.stop();
  });

  it('fails items for a channel that is not configured', async () => {
    const clock = new SimulatedTimers();
    const failed: string[] = [];
    const dispatcher = createDispatcher<Item>({
      channels: {},
      timers: clock,
      onFailed: (_done, error) => failed.push(error.message),
    });
    dispatcher.enqueue(item(1, 'a', 'whatsapp'));
    await clock.run(() => dispatcher.size === 0);
    expect(failed).toEqual(['channel whatsapp is not configured']);
    await dispatcher.stop();
  });
});

describe('dispatcher lifecycle', () => {
  it('leaves no timer behind after stop() and refuses new items', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    const dispatcher = createDispatcher<Item>({ channels: { telegram: telegram.channel }, timers: clock });
    for (let i = 0; i < 5; i++) dispatcher.enqueue(item(i, 'a'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(telegram.sent).toHaveLength(1);
    expect(clock.timerCount).toBe(1);
    await dispatcher.stop();
    expect(clock.timerCount).toBe(0);
    expect(dispatcher.size).toBe(0);
    expect(dispatcher.enqueue(item(9, 'a'))).toBe(false);
    await dispatcher.idle();
  });

  it('does not report a retryable failure that was in flight at stop() as failed', async () => {
    const clock = new SimulatedTimers();
    let release: (() => void) | undefined;
    const failed: number[] = [];
    const channel: ChannelAdapter = {
      name: 'telegram',
      async start() {},
      async stop() {},
      isRunning: () => true,
      send: () =>
        new Promise((_resolve, reject) => {
          release = () => reject(new ChannelSendError('network', true));
        }),
    };
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: channel },
      timers: clock,
      onFailed: (done) => failed.push(done.id),
    });
    dispatcher.enqueue(item(1, 'a'));
    await new Promise((resolve) => setImmediate(resolve));
    const stopping = dispatcher.stop();
    release?.();
    await stopping;
    expect(failed).toEqual([]);
  });

  it('resolves idle() once everything is sent, with real timers', async () => {
    const sent: string[] = [];
    const channel: ChannelAdapter = {
      name: 'console',
      async start() {},
      async stop() {},
      isRunning: () => true,
      async send(_chatId, message) {
        sent.push(message.text);
      },
    };
    const dispatcher = createDispatcher<Item>({ channels: { console: channel } });
    for (let i = 0; i < 20; i++) dispatcher.enqueue(item(i, `c${i % 3}`, 'console'));
    await dispatcher.idle();
    expect(sent).toHaveLength(20);
    await dispatcher.stop();
  });
});

/** A channel whose platform answers `latencyMs` after each send starts, in simulated time. */
function slowChannel(clock: SimulatedTimers, latencyMs: (chatId: string) => number) {
  const starts: Sent[] = [];
  const answers: Sent[] = [];
  const channel: ChannelAdapter = {
    name: 'telegram',
    async start() {},
    async stop() {},
    isRunning: () => true,
    async send(chatId: string, message: OutboundMessage) {
      starts.push({ chatId, text: message.text, at: clock.now() });
      await new Promise<void>((resolve) => clock.setTimeout(resolve, latencyMs(chatId)));
      answers.push({ chatId, text: message.text, at: clock.now() });
    },
  };
  return { channel, starts, answers };
}

describe('dispatcher window counted from the platform’s answer', () => {
  it('keeps a place taken until a second after the answer, however slow the answer', async () => {
    const clock = new SimulatedTimers();
    const telegram = slowChannel(clock, () => 400);
    const dispatcher = createDispatcher<Item>({ channels: { telegram: telegram.channel }, timers: clock });
    for (let i = 0; i < 45; i++) dispatcher.enqueue(item(i, `chat${i}`));
    await clock.run(() => dispatcher.size === 0);

    const starts = telegram.starts.map((s) => s.at);
    expect(starts.filter((at) => at === 0)).toHaveLength(30);
    // The 31st starts when the first answer (at 400) is a full second old, not 1 s after the start.
    expect(Math.min(...starts.filter((at) => at > 0))).toBe(1400);
    // Arrivals anywhere between start and answer: even counting every send over its whole
    // flight, no second holds more than 30.
    const flights = telegram.starts.map((s, i) => [s.at, telegram.answers[i]?.at ?? 0] as const);
    for (let t = 0; t <= 3000; t += 50) {
      const touching = flights.filter(([from, to]) => from < t + 1000 && to >= t).length;
      expect(touching).toBeLessThanOrEqual(30);
    }
    await dispatcher.stop();
  });

  it('paces a chat from the answer to its previous message', async () => {
    const clock = new SimulatedTimers();
    const telegram = slowChannel(clock, () => 300);
    const dispatcher = createDispatcher<Item>({ channels: { telegram: telegram.channel }, timers: clock });
    for (let i = 0; i < 3; i++) dispatcher.enqueue(item(i, 'a'));
    await clock.run(() => dispatcher.size === 0);
    expect(telegram.starts.map((s) => s.at)).toEqual([0, 1300, 2600]);
    await dispatcher.stop();
  });
});

describe('dispatcher priorities', () => {
  const bulk = (id: number, chatId: string): Item => ({ ...item(id, chatId), priority: 'bulk' });

  it('sends replies to waiting clients before a backlog of notifications', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    const dispatcher = createDispatcher<Item>({ channels: { telegram: telegram.channel }, timers: clock });
    for (let i = 0; i < 100; i++) dispatcher.enqueue(bulk(i, `reminded${i}`));
    for (let i = 100; i < 105; i++) dispatcher.enqueue(item(i, `booking${i}`));
    // A reply that arrives while the backlog drains takes the next free place.
    clock.setTimeout(() => dispatcher.enqueue(item(200, 'late')), 1500);
    await clock.run(() => dispatcher.size === 0);

    const at = (text: string) => telegram.sent.find((s) => s.text === text)?.at;
    for (let i = 100; i < 105; i++) expect(at(`m${i}`)).toBe(0);
    expect(telegram.sent.filter((s) => s.at === 0)).toHaveLength(30);
    expect(at('m200')).toBe(2000);
    expect(telegram.sent.filter((s) => s.at === 2000)[0]?.text).toBe('m200');
    expect(
      maxInWindow(
        telegram.sent.map((s) => s.at),
        1000,
      ),
    ).toBeLessThanOrEqual(30);
    expect(telegram.sent).toHaveLength(106);
    await dispatcher.stop();
  });

  it('keeps one chat’s messages in order when a reply follows a notification', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: telegram.channel },
      timers: clock,
      limits: { telegram: { globalLimit: 1 } },
    });
    dispatcher.enqueue(bulk(1, 'other'));
    dispatcher.enqueue(bulk(2, 'a'));
    dispatcher.enqueue(item(3, 'a'));
    await clock.run(() => dispatcher.size === 0);
    // Chat a holds a reply, so the whole chat goes before `other`: its notification, then the reply.
    expect(telegram.sent.map((s) => s.text)).toEqual(['m2', 'm3', 'm1']);
    await dispatcher.stop();
  });
});

describe('dispatcher and 429', () => {
  it('pauses the whole channel for retry_after, without counting it as a failed attempt', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    telegram.failures.set('m1', [
      new ChannelSendError('429', true, 2000),
      new ChannelSendError('429', true, 2000),
    ]);
    const failed: number[] = [];
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: telegram.channel },
      timers: clock,
      maxAttempts: 1,
      onFailed: (done) => failed.push(done.id),
    });
    dispatcher.enqueue(item(1, 'a'));
    clock.setTimeout(() => dispatcher.enqueue(item(2, 'b')), 100);
    await clock.run(() => dispatcher.size === 0);

    expect(failed).toEqual([]);
    expect(telegram.attempts.filter((s) => s.text === 'm1').map((s) => s.at)).toEqual([0, 2000, 4000]);
    // Chat b had nothing to do with it, but Telegram asked the bot to wait.
    expect(telegram.sent.find((s) => s.text === 'm2')?.at).toBe(2000);
    await dispatcher.stop();
  });
});

describe('dispatcher and split messages', () => {
  it('sends each part as a paced message, resumes a failed part, and reports the item once', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    telegram.channel.prepare = (_chatId, message) => message.text.split('|').map((text) => ({ text }));
    telegram.failures.set('p2', [new ChannelSendError('502', true)]);
    const sentIds: number[] = [];
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: telegram.channel },
      timers: clock,
      onSent: (done) => sentIds.push(done.id),
    });
    dispatcher.enqueue({ id: 1, channel: 'telegram', chatId: 'a', message: { text: 'p1|p2|p3' } });
    await clock.run(() => dispatcher.size === 0);
    expect(telegram.attempts.map((s) => [s.text, s.at])).toEqual([
      ['p1', 0],
      ['p2', 1000],
      ['p2', 2000],
      ['p3', 3000],
    ]);
    expect(sentIds).toEqual([1]);
    await dispatcher.stop();
  });

  it('fails a message the channel refuses to send, without calling the platform', async () => {
    const clock = new SimulatedTimers();
    const telegram = fakeChannel('telegram', clock);
    telegram.channel.prepare = (_chatId, message) => {
      if (message.text.startsWith('m')) throw new ChannelSendError('empty text', false);
      return [message];
    };
    const failed: string[] = [];
    const dispatcher = createDispatcher<Item>({
      channels: { telegram: telegram.channel },
      timers: clock,
      onFailed: (_done, error) => failed.push(error.message),
    });
    for (let i = 0; i < 40; i++) dispatcher.enqueue(item(i, `refused${i}`));
    await clock.run(() => dispatcher.size === 0);
    expect(failed).toHaveLength(40);
    expect(failed[0]).toBe('empty text');
    expect(telegram.attempts).toEqual([]);
    // Refused texts took no place in the window: 30 good ones still go at once.
    for (let i = 0; i < 30; i++) dispatcher.enqueue({ ...item(i, `good${i}`), message: { text: `ok${i}` } });
    await clock.run(() => dispatcher.size === 0);
    expect(telegram.sent.filter((s) => s.at === 0)).toHaveLength(30);
    await dispatcher.stop();
  });
});
