import { describe, expect, it } from 'vitest';
import { testClock, useTempDatabases } from './helpers.js';

const message = (key: string, text = 'hi') => ({
  channel: 'telegram' as const,
  recipient: '100',
  payload: { text },
  idempotencyKey: key,
});

describe('outbox', () => {
  const temp = useTempDatabases();

  it('enqueues an idempotency key once', () => {
    const { outbox } = temp.open().sync;
    expect(outbox.enqueue(message('k1'))).toBe(true);
    expect(outbox.enqueue(message('k1', 'other text'))).toBe(false);
    expect(outbox.list().map((m) => m.payload)).toEqual([{ text: 'hi' }]);
  });

  it('claims due messages oldest first and hides them for the lease', () => {
    const clock = testClock(1000);
    const { outbox } = temp.open(undefined, clock).sync;
    outbox.enqueue(message('a'));
    outbox.enqueue(message('b'));
    outbox.enqueue({ ...message('later'), notBefore: 5000 });

    const claimed = outbox.claimDue(1000, { leaseMs: 30_000 });
    expect(claimed.map((m) => [m.idempotencyKey, m.attempts])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(outbox.claimDue(1000)).toEqual([]);
    expect(outbox.claimDue(5000).map((m) => m.idempotencyKey)).toEqual(['later']);

    // Never marked sent (the process died): the lease runs out and it is tried again.
    expect(outbox.claimDue(31_000).map((m) => [m.idempotencyKey, m.attempts])).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
  });

  it('claims interactive replies before bulk notifications, whatever was queued first', () => {
    const clock = testClock(1000);
    const { outbox } = temp.open(undefined, clock).sync;
    for (let i = 0; i < 5; i += 1) outbox.enqueue({ ...message(`reminder-${i}`), priority: 'bulk' });
    clock.advance(10);
    outbox.enqueue(message('reply'));
    expect(outbox.byIdempotencyKey('reminder-0')?.priority).toBe('bulk');
    expect(outbox.byIdempotencyKey('reply')?.priority).toBe('interactive');

    // A claim of two takes the reply, though five reminders waited longer.
    const first = outbox.claimDue(2000, { limit: 2 });
    expect(first.map((m) => m.idempotencyKey)).toEqual(['reminder-0', 'reply']);
    expect(outbox.claimDue(2000, { limit: 10 }).map((m) => m.idempotencyKey)).toEqual([
      'reminder-1',
      'reminder-2',
      'reminder-3',
      'reminder-4',
    ]);
  });

  it('marks sent once, and retries or fails a failed send', () => {
    const clock = testClock(0);
    const { outbox } = temp.open(undefined, clock).sync;
    outbox.enqueue(message('a'));
    outbox.enqueue(message('b'));
    const [a, b] = outbox.claimDue(0);
    if (!a || !b) throw new Error('not claimed');

    expect(outbox.markSent(a.id, 123)).toBe(true);
    expect(outbox.markSent(a.id)).toBe(false);
    expect(outbox.get(a.id)).toMatchObject({ state: 'sent', sentAt: 123 });

    expect(outbox.fail(b.id, '429: retry after 3', { retryAt: 3000 })).toBe('pending');
    expect(outbox.nextAttemptAt()).toBe(3000);
    expect(outbox.claimDue(2999)).toEqual([]);
    const [retried] = outbox.claimDue(3000);
    expect(retried?.id).toBe(b.id);
    expect(outbox.fail(b.id, '403: bot was blocked by the user')).toBe('failed');
    expect(outbox.get(b.id)).toMatchObject({
      state: 'failed',
      lastError: '403: bot was blocked by the user',
    });
    expect(outbox.fail(a.id, 'already sent')).toBeNull();
    expect(outbox.list({ state: 'pending' })).toEqual([]);
  });

  it('fails after max attempts even when a retry is asked', () => {
    const { outbox } = temp.open().sync;
    outbox.enqueue(message('a'));
    const [a] = outbox.claimDue(Date.now());
    if (!a) throw new Error('not claimed');
    expect(outbox.fail(a.id, 'boom', { retryAt: 0, maxAttempts: 1 })).toBe('failed');
  });
});
