import { describe, expect, it } from 'vitest';
import { storeDialects, useDialectStores } from './harness.js';
import { testClock } from './helpers.js';

describe.each(storeDialects)('deliveries on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('logs every decision and answers by phone or record, newest first', async () => {
    const clock = testClock(1000);
    const { deliveries } = await open(clock);
    await deliveries.add({
      companyId: 1,
      recordId: 42,
      clientPhone: '79161234567',
      kind: 'new-record',
      decision: 'suppressed',
      reason: 'staff 12 is on the block list',
    });
    clock.advance(1);
    await deliveries.add({
      companyId: 1,
      recordId: 42,
      clientPhone: '79161234567',
      kind: 'reminder',
      decision: 'sent',
      reason: 'whatsapp',
      channel: 'whatsapp',
    });
    clock.advance(1);
    await deliveries.add({
      companyId: 1,
      clientPhone: '79161234567',
      kind: 'birthday',
      decision: 'queued',
      reason: '',
    });

    expect((await deliveries.byPhone('79161234567')).map((d) => d.kind)).toEqual([
      'birthday',
      'reminder',
      'new-record',
    ]);
    expect((await deliveries.byRecord(42)).map((d) => [d.kind, d.decision, d.channel])).toEqual([
      ['reminder', 'sent', 'whatsapp'],
      ['new-record', 'suppressed', null],
    ]);
    expect(await deliveries.byRecord(42, 1)).toHaveLength(1);
    expect(await deliveries.byPhone('70000000000')).toEqual([]);
    expect((await deliveries.recent(2)).map((d) => d.createdAt)).toEqual([1002, 1001]);
  });
});

describe.each(storeDialects)('tasks on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('creates, lists and marks tasks done once', async () => {
    const clock = testClock(5000);
    const { tasks } = await open(clock);
    const poor = await tasks.create({
      kind: 'poor-rating',
      title: 'Rating 2',
      recordId: 42,
      companyId: 1,
      clientPhone: '79161234567',
      rating: 2,
    });
    clock.advance(10);
    const status = await tasks.create({
      kind: 'status-change',
      title: 'Client did not come',
      recordId: 43,
      companyId: 1,
    });
    expect(poor).toMatchObject({ done: false, doneAt: null, rating: 2, comment: null, createdAt: 5000 });
    expect(await tasks.setComment(poor.id, 'The coffee was cold')).toBe(true);

    expect((await tasks.list()).map((t) => t.id)).toEqual([status.id, poor.id]);
    expect(await tasks.markDone(poor.id, 6000)).toMatchObject({ done: true, doneAt: 6000 });
    expect((await tasks.markDone(poor.id, 7000))?.doneAt).toBe(6000);
    expect(await tasks.markDone(9999)).toBeUndefined();
    expect((await tasks.list({ done: false })).map((t) => t.id)).toEqual([status.id]);
    expect((await tasks.list({ done: true }))[0]).toMatchObject({
      id: poor.id,
      comment: 'The coffee was cold',
    });
    expect((await tasks.get(status.id))?.title).toBe('Client did not come');
  });
});
