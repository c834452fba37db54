import { describe, expect, it } from 'vitest';
import { createWaitFeedback, inChat, type WaitTimers } from '../../src/dialogues/waiting.js';

/** Timers the test moves by hand. */
function manualTimers() {
  let now = 0;
  let nextId = 1;
  const pending = new Map<number, { at: number; every?: number; fn: () => void }>();
  const timers: WaitTimers = {
    now: () => now,
    setInterval: (fn, ms) => {
      pending.set(nextId, { at: now + ms, every: ms, fn });
      return nextId++;
    },
    clearInterval: (id) => pending.delete(id as number),
    setTimeout: (fn, ms) => {
      pending.set(nextId, { at: now + ms, fn });
      return nextId++;
    },
    clearTimeout: (id) => pending.delete(id as number),
  };
  return {
    timers,
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...pending.entries()]
          .filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        const [id, timer] = due;
        now = timer.at;
        if (timer.every) timer.at += timer.every;
        else pending.delete(id);
        timer.fn();
      }
      now = until;
    },
  };
}

const chat = { channel: 'telegram' as const, chatId: '42' };
const queued = (estimateMs: number) => ({ priority: 'booking' as const, estimateMs, ahead: 0 });

function setup() {
  const clock = manualTimers();
  const typing: number[] = [];
  const told: number[] = [];
  const feedback = createWaitFeedback({
    timers: clock.timers,
    typing: () => typing.push(clock.timers.now()),
    tellBusy: () => {
      told.push(clock.timers.now());
    },
  });
  return { clock, typing, told, feedback };
}

describe('wait feedback', () => {
  it('shows typing at once and every 4 s while the wait lasts, and stops with it', () => {
    const { clock, typing, told, feedback } = setup();
    const done = inChat(chat, () => feedback.onQueued(queued(2_000)));
    clock.advance(7_000);
    expect(typing).toEqual([0, 4_000]);
    done?.();
    clock.advance(20_000);
    expect(typing).toEqual([0, 4_000]);
    expect(told).toEqual([]);
    expect(feedback.waiting).toBe(0);
  });

  it('tells a long wait in words: at once when estimated long, else once 8 s have passed', () => {
    const { clock, told, feedback } = setup();
    const long = inChat(chat, () => feedback.onQueued(queued(30_000)));
    expect(told).toEqual([0]);
    clock.advance(20_000);
    expect(told).toEqual([0]); // once per wait
    long?.();
    const other = { channel: 'telegram' as const, chatId: '43' };
    inChat(other, () => feedback.onQueued(queued(1_000)));
    clock.advance(7_999);
    expect(told).toEqual([0]);
    clock.advance(1);
    expect(told).toEqual([0, 28_000]);
  });

  it('does not repeat the message to a chat that waits again soon after', () => {
    const { clock, told, feedback } = setup();
    inChat(chat, () => feedback.onQueued(queued(30_000)))?.();
    clock.advance(10_000);
    inChat(chat, () => feedback.onQueued(queued(30_000)))?.();
    expect(told).toEqual([0]);
  });

  it('a call outside any chat (a notification, sync) shows nothing', () => {
    const { typing, feedback } = setup();
    expect(feedback.onQueued(queued(30_000))).toBeUndefined();
    expect(typing).toEqual([]);
  });

  it('two calls of one step waiting together are one wait', () => {
    const { clock, typing, feedback } = setup();
    const first = inChat(chat, () => feedback.onQueued(queued(1_000)));
    const second = inChat(chat, () => feedback.onQueued(queued(2_000)));
    expect(typing).toEqual([0]);
    first?.();
    clock.advance(4_000);
    expect(typing).toEqual([0, 4_000]); // still waiting on the second
    second?.();
    clock.advance(8_000);
    expect(typing).toEqual([0, 4_000]);
  });
});
