import { describe, expect, it } from 'vitest';
import { testClock, useTempDatabases } from './helpers.js';

describe('deliveries', () => {
  const temp = useTempDatabases();

  it('logs every decision and answers by phone or record, newest first', () => {
    const clock = testClock(1000);
    const { deliveries } = temp.open(undefined, clock).sync;
    deliveries.add({
      companyId: 1,
      recordId: 42,
      clientPhone: '79161234567',
      kind: 'new-record',
      decision: 'suppressed',
      reason: 'staff 12 is on the block list',
    });
    clock.advance(1);
    deliveries.add({
      companyId: 1,
      recordId: 42,
      clientPhone: '79161234567',
      kind: 'reminder',
      decision: 'sent',
      reason: 'whatsapp',
      channel: 'whatsapp',
    });
    clock.advance(1);
    deliveries.add({
      companyId: 1,
      clientPhone: '79161234567',
      kind: 'birthday',
      decision: 'queued',
      reason: '',
    });

    expect(deliveries.byPhone('79161234567').map((d) => d.kind)).toEqual([
      'birthday',
      'reminder',
      'new-record',
    ]);
    expect(deliveries.byRecord(42).map((d) => [d.kind, d.decision, d.channel])).toEqual([
      ['reminder', 'sent', 'whatsapp'],
      ['new-record', 'suppressed', null],
    ]);
    expect(deliveries.byRecord(42, 1)).toHaveLength(1);
    expect(deliveries.byPhone('70000000000')).toEqual([]);
    expect(deliveries.recent(2).map((d) => d.createdAt)).toEqual([1002, 1001]);
  });
});

describe('tasks', () => {
  const temp = useTempDatabases();

  it('creates, lists and marks tasks done once', () => {
    const clock = testClock(5000);
    const { tasks } = temp.open(undefined, clock).sync;
    const poor = tasks.create({
      kind: 'poor-rating',
      title: 'Rating 2',
      recordId: 42,
      companyId: 1,
      clientPhone: '79161234567',
      rating: 2,
    });
    clock.advance(10);
    const status = tasks.create({
      kind: 'status-change',
      title: 'Client did not come',
      recordId: 43,
      companyId: 1,
    });
    expect(poor).toMatchObject({ done: false, doneAt: null, rating: 2, comment: null, createdAt: 5000 });
    expect(tasks.setComment(poor.id, 'The coffee was cold')).toBe(true);

    expect(tasks.list().map((t) => t.id)).toEqual([status.id, poor.id]);
    expect(tasks.markDone(poor.id, 6000)).toMatchObject({ done: true, doneAt: 6000 });
    expect(tasks.markDone(poor.id, 7000)?.doneAt).toBe(6000);
    expect(tasks.markDone(9999)).toBeUndefined();
    expect(tasks.list({ done: false }).map((t) => t.id)).toEqual([status.id]);
    expect(tasks.list({ done: true })[0]).toMatchObject({ id: poor.id, comment: 'The coffee was cold' });
    expect(tasks.get(status.id)?.title).toBe('Client did not come');
  });
});
