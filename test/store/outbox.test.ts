import { describe, expect, it } from 'vitest';
import { storeDialects, useDialectStores } from './harness.js';
import { testClock } from './helpers.js';

const message = (key: string, text = 'hi') => ({
  channel: 'telegram' as const,
  recipient: '100',
  payload: { text },
  idempotencyKey: key,
});

describe.each(storeDialects)('outbox on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('enqueues an idempotency key once', async () => {
    const { outbox } = await open();
    expect(await outbox.enqueue(message('k1'))).toBe(true);
    expect(await outbox.enqueue(message('k1', 'other text'))).toBe(false);
    expect((await outbox.list()).map((m) => m.payload)).toEqual([{ text: 'hi' }]);
  });

  it('claims due messages oldest first and hides them for the lease', async () => {
    const clock = testClock(1000);
    const { outbox } = await open(clock);
    await outbox.enqueue(message('a'));
    await outbox.enqueue(message('b'));
    await outbox.enqueue({ ...message('later'), notBefore: 5000 });

    const claimed = await outbox.claimDue(1000, { leaseMs: 30_000 });
    expect(claimed.map((m) => [m.idempotencyKey, m.attempts])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(await outbox.claimDue(1000)).toEqual([]);
    expect((await outbox.claimDue(5000)).map((m) => m.idempotencyKey)).toEqual(['later']);

    // Never marked sent (the process died): the lease runs out and it is tried again.
    expect((await outbox.claimDue(31_000)).map((m) => [m.idempotencyKey, m.attempts])).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
  });

  it('claims interactive replies before bulk notifications, whatever was queued first', async () => {
    const clock = testClock(1000);
    const { outbox } = await open(clock);
    for (let i = 0; i < 5; i += 1) await outbox.enqueue({ ...message(`reminder-${i}`), priority: 'bulk' });
    clock.advance(10);
    await outbox.enqueue(message('reply'));
    expect((await outbox.byIdempotencyKey('reminder-0'))?.priority).toBe('bulk');
    expect((await outbox.byIdempotencyKey('reply'))?.priority).toBe('interactive');

    // A claim of two takes the reply, though five reminders waited longer.
    const first = await outbox.claimDue(2000, { limit: 2 });
    expect(first.map((m) => m.idempotencyKey)).toEqual(['reminder-0', 'reply']);
    expect((await outbox.claimDue(2000, { limit: 10 })).map((m) => m.idempotencyKey)).toEqual([
      'reminder-1',
      'reminder-2',
      'reminder-3',
      'reminder-4',
    ]);
  });

  it('marks sent once, and retries or fails a failed send', async () => {
    const clock = testClock(0);
    const { outbox } = await open(clock);
    await outbox.enqueue(message('a'));
    await outbox.enqueue(message('b'));
    const [a, b] = await outbox.claimDue(0);
    if (!a || !b) throw new Error('not claimed');

    expect(await outbox.markSent(a.id, 123)).toBe(true);
    expect(await outbox.markSent(a.id)).toBe(false);
    expect(await outbox.get(a.id)).toMatchObject({ state: 'sent', sentAt: 123 });

    expect(await outbox.fail(b.id, '429: retry after 3', { retryAt: 3000 })).toBe('pending');
    expect(await outbox.nextAttemptAt()).toBe(3000);
    expect(await outbox.claimDue(2999)).toEqual([]);
    const [retried] = await outbox.claimDue(3000);
    expect(retried?.id).toBe(b.id);
    expect(await outbox.fail(b.id, '403: bot was blocked by the user')).toBe('failed');
    expect(await outbox.get(b.id)).toMatchObject({
      state: 'failed',
      lastError: '403: bot was blocked by the user',
    });
    expect(await outbox.fail(a.id, 'already sent')).toBeNull();
    expect(await outbox.list({ state: 'pending' })).toEqual([]);
  });

  it('fails after max attempts even when a retry is asked', async () => {
    const { outbox } = await open();
    await outbox.enqueue(message('a'));
    const [a] = await outbox.claimDue(Date.now());
    if (!a) throw new Error('not claimed');
    expect(await outbox.fail(a.id, 'boom', { retryAt: 0, maxAttempts: 1 })).toBe('failed');
  });
});
