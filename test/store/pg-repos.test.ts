import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ActiveDialogueExistsError } from '../../src/store/dialogues.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/pg/index.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { type TestClock, testClock } from './helpers.js';

describe('Postgres repositories', () => {
  let server: TestPostgres;
  const opened: Array<{ store: PostgresStore; database: TestDatabase }> = [];
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const { store, database } of opened.splice(0)) {
      await store.close();
      await database.drop();
    }
  });
  const open = async (clock: TestClock = testClock()): Promise<PostgresStore> => {
    const database = await server.createDatabase();
    const store = await openPostgresStore(database.url, { clock });
    opened.push({ store, database });
    return store;
  };

  it('conversations: upsert keeps a phone, touch keeps the highest update id, reachability', async () => {
    const clock = testClock(1000);
    const { conversations } = await open(clock);
    const first = await conversations.upsert('telegram', '100', { phone: '79161234567', language: 'ru' });
    expect(first).toMatchObject({ id: 1, phone: '79161234567', language: 'ru', createdAt: 1000 });
    clock.advance(5);
    const again = await conversations.upsert('telegram', '100');
    expect(again).toMatchObject({ id: first.id, phone: '79161234567', language: 'ru', updatedAt: 1005 });
    await conversations.touch(first.id, { lastUpdateId: 10 });
    await conversations.touch(first.id, { lastUpdateId: 7, phone: '79990000000' });
    await conversations.touch(first.id, {});
    expect(await conversations.get(first.id)).toMatchObject({ lastUpdateId: 10, phone: '79990000000' });
    expect((await conversations.findByPhone('79990000000')).map((c) => c.id)).toEqual([first.id]);
    expect(await conversations.byChat('telegram', '100')).toMatchObject({ id: first.id });
    expect(await conversations.byChat('telegram', '101')).toBeUndefined();

    await conversations.markUnreachable('whatsapp', '7999@c.us', '403', 2000);
    expect(await conversations.listUnreachable()).toEqual([{ channel: 'whatsapp', chatId: '7999@c.us' }]);
    expect(await conversations.markReachable('whatsapp', '7999@c.us')).toBe(true);
    expect(await conversations.markReachable('whatsapp', '7999@c.us')).toBe(false);
  });

  it('dialogues: one active per conversation, without breaking the surrounding transaction', async () => {
    const store = await open();
    const conversation = await store.conversations.upsert('telegram', '100');
    const input = {
      conversationId: conversation.id,
      machineId: 'booking',
      machineVersion: 1,
      snapshot: { v: 1 },
    };
    const first = await store.dialogues.create(input);
    await store.transaction(async () => {
      await expect(store.dialogues.create(input)).rejects.toBeInstanceOf(ActiveDialogueExistsError);
      // The transaction goes on after the refusal.
      expect(await store.dialogues.save(first.id, { v: 2 }, 'done')).toBe(true);
      await store.dialogues.create({ ...input, snapshot: { v: 3 }, recordId: 42 });
    });
    expect((await store.dialogues.get(first.id))?.snapshot).toEqual({ v: 2 });
    expect(await store.dialogues.getActive(conversation.id)).toMatchObject({
      recordId: 42,
      snapshot: { v: 3 },
    });
    expect((await store.dialogues.findByRecord(42)).length).toBe(1);
    expect((await store.dialogues.list({ status: 'done' })).map((d) => d.id)).toEqual([first.id]);
    expect(await store.dialogues.setStatus(999, 'ended')).toBe(false);
  });

  it('timers: reschedule the same send id, due soonest first, fired once', async () => {
    const store = await open();
    const conversation = await store.conversations.upsert('telegram', '100');
    const dialogue = await store.dialogues.create({
      conversationId: conversation.id,
      machineId: 'booking',
      machineVersion: 1,
      snapshot: {},
    });
    await store.timers.schedule(dialogue.id, { sendId: 'a', event: { type: 'A' }, dueAt: 300 });
    await store.timers.schedule(dialogue.id, { sendId: 'b', event: { type: 'B' }, dueAt: 200 });
    expect((await store.timers.due(1000)).map((t) => t.sendId)).toEqual(['b', 'a']);
    expect(await store.timers.nextDueAt()).toBe(200);
    const [b] = await store.timers.due(1000);
    if (!b) throw new Error('no timer');
    expect(await store.timers.markFired(b.id, 250)).toBe(true);
    expect(await store.timers.markFired(b.id, 260)).toBe(false);
    await store.timers.schedule(dialogue.id, { sendId: 'b', event: { type: 'B2' }, dueAt: 400 });
    expect((await store.timers.pendingForDialogue(dialogue.id)).map((t) => [t.sendId, t.event.type])).toEqual(
      [
        ['a', 'A'],
        ['b', 'B2'],
      ],
    );
    expect(await store.timers.cancel(dialogue.id, 'a')).toBe(true);
    expect(await store.timers.deleteForDialogue(dialogue.id)).toBe(1);
    expect(await store.timers.nextDueAt()).toBeUndefined();
  });

  it('jobs: dedupe, claim, fail and retry, postpone, cancel and revive, prefix, recover', async () => {
    const { jobs } = await open();
    const record = { companyId: 1, recordId: 42 };
    expect(
      await jobs.enqueue({ kind: 'reminder', dueAt: 2000, dedupeKey: 'r:1:42', payload: { n: 1 }, record }),
    ).toBe(true);
    expect(
      await jobs.enqueue({ kind: 'reminder', dueAt: 9, dedupeKey: 'r:1:42', payload: { n: 2 }, record }),
    ).toBe(false);
    await jobs.enqueue({ kind: 'feedback', dueAt: 1000, dedupeKey: 'f:1:42', payload: null, record });
    await jobs.enqueue({ kind: 'group', dueAt: 5000, dedupeKey: 'group:7999:a', payload: [1] });
    await jobs.enqueue({ kind: 'group', dueAt: 4000, dedupeKey: 'group:7999:b', payload: [2] });
    expect((await jobs.pendingWithKeyPrefix('group', 'group:7999:')).map((j) => j.dedupeKey)).toEqual([
      'group:7999:b',
      'group:7999:a',
    ]);
    const claimed = await jobs.claimDue(3000);
    expect(claimed.map((j) => [j.dedupeKey, j.state, j.attempts])).toEqual([
      ['f:1:42', 'running', 1],
      ['r:1:42', 'running', 1],
    ]);
    const [feedback, reminder] = claimed;
    if (!feedback || !reminder) throw new Error('not claimed');
    expect(await jobs.fail(feedback.id, '502', { retryAt: 3500, maxAttempts: 2 })).toBe('pending');
    expect(await jobs.get(feedback.id)).toMatchObject({ state: 'pending', dueAt: 3500, lastError: '502' });
    expect(await jobs.postpone(reminder.id, 6000, 'booking')).toBe(true);
    expect(await jobs.get(reminder.id)).toMatchObject({ attempts: 0, dueAt: 6000 });
    expect((await jobs.claimDue(3500)).map((j) => j.id)).toEqual([feedback.id]);
    expect(await jobs.fail(feedback.id, '502 again', { retryAt: 4000, maxAttempts: 2 })).toBe('failed');
    expect(await jobs.fail(feedback.id, 'not running')).toBeNull();
    expect(await jobs.cancelForRecord(record, ['reminder'])).toBe(1);
    expect(await jobs.cancelForRecord(record, [])).toBe(0);
    expect(
      await jobs.enqueue({ kind: 'reminder', dueAt: 7000, dedupeKey: 'r:1:42', payload: { n: 3 }, record }),
    ).toBe(true);
    expect(await jobs.byDedupeKey('r:1:42')).toMatchObject({
      state: 'pending',
      dueAt: 7000,
      payload: { n: 3 },
    });
    expect((await jobs.forRecord(record)).map((j) => j.kind)).toEqual(['feedback', 'reminder']);
    const group = await jobs.byDedupeKey('group:7999:a');
    if (!group) throw new Error('no group');
    expect(await jobs.updatePayload(group.id, [1, 3])).toBe(true);
    expect(await jobs.bringForward(group.id, 100)).toBe(true);
    expect(await jobs.bringForward(group.id, 900)).toBe(true);
    expect(await jobs.get(group.id)).toMatchObject({ payload: [1, 3], dueAt: 100 });
    expect(await jobs.nextDueAt()).toBe(100);
    expect(await jobs.claimDue(10_000)).toHaveLength(3);
    expect(await jobs.recoverInterrupted()).toBe(3);
    expect((await jobs.list({ state: 'pending' })).length).toBe(3);
    const [done] = await jobs.claimDue(10_000, 1);
    if (!done) throw new Error('not claimed');
    expect(await jobs.complete(done.id)).toBe(true);
    expect(await jobs.complete(done.id)).toBe(false);
  });

  it('outbox: idempotent, interactive before bulk, leases, fail and retry, release', async () => {
    const clock = testClock(1000);
    const { outbox } = await open(clock);
    const message = (key: string) => ({
      channel: 'telegram' as const,
      recipient: '100',
      payload: { key },
      idempotencyKey: key,
    });
    for (let i = 0; i < 3; i += 1) await outbox.enqueue({ ...message(`bulk-${i}`), priority: 'bulk' });
    clock.advance(10);
    expect(await outbox.enqueue(message('reply'))).toBe(true);
    expect(await outbox.enqueue(message('reply'))).toBe(false);
    const first = await outbox.claimDue(2000, { limit: 2, leaseMs: 30_000 });
    expect(first.map((m) => [m.idempotencyKey, m.attempts])).toEqual([
      ['bulk-0', 1],
      ['reply', 1],
    ]);
    expect((await outbox.claimDue(2000)).map((m) => m.idempotencyKey)).toEqual(['bulk-1', 'bulk-2']);
    expect(await outbox.claimDue(2000)).toEqual([]);
    const [bulk0, reply] = first;
    if (!bulk0 || !reply) throw new Error('not claimed');
    expect(await outbox.markSent(reply.id, 2001)).toBe(true);
    expect(await outbox.markSent(reply.id)).toBe(false);
    expect(await outbox.fail(bulk0.id, '429', { retryAt: 5000 })).toBe('pending');
    expect(await outbox.nextAttemptAt()).toBe(5000);
    expect(await outbox.releaseLeases(3000)).toBe(3);
    expect((await outbox.claimDue(3000)).map((m) => m.idempotencyKey)).toEqual([
      'bulk-0',
      'bulk-1',
      'bulk-2',
    ]);
    expect(await outbox.fail(bulk0.id, '403')).toBe('failed');
    expect(await outbox.fail(reply.id, 'sent already')).toBeNull();
    expect(await outbox.byIdempotencyKey('bulk-0')).toMatchObject({ state: 'failed', lastError: '403' });
    expect((await outbox.list({ state: 'sent', recipient: '100' })).map((m) => m.id)).toEqual([reply.id]);
  });

  it('outbox leases carry their owner; a release frees only the owners named', async () => {
    const { outbox } = await open(testClock(1000));
    for (const key of ['a', 'b', 'c', 'd'])
      await outbox.enqueue({ channel: 'telegram', recipient: '100', payload: {}, idempotencyKey: key });
    const [a] = await outbox.claimDue(1000, { limit: 1, owner: 7 });
    const [b] = await outbox.claimDue(1000, { limit: 1, owner: 8 });
    const [c] = await outbox.claimDue(1000, { limit: 1 });
    if (!a || !b || !c) throw new Error('not claimed');
    expect([a.leaseOwner, b.leaseOwner, c.leaseOwner]).toEqual([7, 8, null]);
    expect((await outbox.leaseOwners(1000)).sort()).toEqual([7, 8]);
    // Owner 7 is gone, 8 lives: only 7's lease is freed, not the ownerless one either.
    expect(await outbox.releaseLeases(1000, { owners: [7] })).toBe(1);
    expect(await outbox.get(a.id)).toMatchObject({ nextAttemptAt: 1000, leaseOwner: null });
    expect(await outbox.get(b.id)).toMatchObject({ leaseOwner: 8 });
    expect(await outbox.releaseLeases(1000, { owners: [] })).toBe(0);
    expect(await outbox.releaseLeases(1000, { owners: [], ownerless: true })).toBe(1);
    // A failed send waiting for its retry is nobody's.
    expect(await outbox.fail(b.id, '429', { retryAt: 5000 })).toBe('pending');
    expect(await outbox.get(b.id)).toMatchObject({ leaseOwner: null, nextAttemptAt: 5000 });
    expect(await outbox.leaseOwners(1000)).toEqual([]);
  });

  it('inbound: new once, processed once, pruned in batches', async () => {
    const { inbound } = await open();
    expect(await inbound.recordIfNew('altegio', '1', { a: 1 }, 100)).toBe(true);
    expect(await inbound.recordIfNew('altegio', '1', { a: 2 }, 101)).toBe(false);
    expect(await inbound.recordIfNew('telegram', '1', undefined, 102)).toBe(true);
    expect(await inbound.get('telegram', '1')).toMatchObject({ payload: null, processedAt: null });
    expect((await inbound.unprocessed()).map((e) => e.source)).toEqual(['altegio', 'telegram']);
    expect((await inbound.unprocessed(100, 'telegram')).map((e) => e.source)).toEqual(['telegram']);
    expect(await inbound.markProcessed('altegio', '1', 200)).toBe(true);
    expect(await inbound.markProcessed('altegio', '1', 201)).toBe(false);
    for (let i = 0; i < 5; i += 1) {
      await inbound.recordIfNew('altegio', `old-${i}`, null, i);
      await inbound.markProcessed('altegio', `old-${i}`, 300);
    }
    expect(await inbound.pruneProcessed(150, 2)).toBe(2);
    expect(await inbound.pruneProcessed(150)).toBe(4);
    expect(await inbound.get('altegio', 'old-4')).toBeUndefined();
    expect(await inbound.get('telegram', '1')).toBeDefined();
  });

  it('records: newer wins, same second with other data wins, previous is what was replaced', async () => {
    const { records } = await open();
    const base = {
      companyId: 1,
      recordId: 42,
      clientPhone: '79161234567',
      clientId: 5,
      staffIds: [3],
      datetime: '2026-03-20T10:00:00+03:00',
      seanceLength: 3600,
      attendance: 0,
      deleted: false,
      lastChangeDate: '2026-03-14T15:00:00+0300',
      data: { id: 42, client: { birthday: '1990-03-14' } },
    };
    const created = await records.upsert(base);
    expect(created).toMatchObject({
      changed: true,
      previous: undefined,
      current: { attendance: 0, deleted: false },
    });
    expect((await records.upsert(base)).changed).toBe(false);
    const sameSecond = await records.upsert({
      ...base,
      attendance: 1,
      data: { ...base.data, attendance: 1 },
    });
    expect(sameSecond).toMatchObject({
      changed: true,
      previous: { attendance: 0 },
      current: { attendance: 1 },
    });
    const older = await records.upsert({
      ...base,
      attendance: -1,
      lastChangeDate: '2026-03-14T14:00:00+0300',
    });
    expect(older).toMatchObject({ changed: false, current: { attendance: 1 } });
    await expect(records.upsert({ ...base, lastChangeDate: 'never' })).rejects.toBeInstanceOf(RangeError);
    await records.upsert({ ...base, recordId: 41, datetime: '2026-03-19T10:00:00+03:00', data: {} });
    expect((await records.byClientPhone('79161234567')).map((r) => r.recordId)).toEqual([41, 42]);
    expect((await records.withClientBirthday('03-14')).map((r) => r.recordId)).toEqual([42]);
    expect(await records.get(1, 42)).toMatchObject({
      staffIds: [3],
      lastChangeAt: Date.parse(base.lastChangeDate),
    });
  });

  it('deliveries, tasks, ratings and syncs', async () => {
    const store = await open(testClock(500));
    const sent = await store.deliveries.add({
      companyId: 1,
      recordId: 42,
      clientPhone: '7916',
      kind: 'reminder',
      decision: 'sent',
      reason: 'ok',
      channel: 'telegram',
    });
    await store.deliveries.add({
      companyId: 1,
      recordId: 43,
      clientPhone: '7916',
      kind: 'reminder',
      decision: 'suppressed',
      reason: 'quiet',
      at: 600,
    });
    expect(sent).toMatchObject({ createdAt: 500, channel: 'telegram' });
    expect((await store.deliveries.byPhone('7916')).map((d) => d.recordId)).toEqual([43, 42]);
    expect((await store.deliveries.byRecord(42)).map((d) => d.id)).toEqual([sent.id]);
    expect(await store.deliveries.recent(1)).toHaveLength(1);

    const task = await store.tasks.create({
      kind: 'poor-rating',
      title: 'low',
      recordId: 42,
      companyId: 1,
      rating: 2,
    });
    expect(task).toMatchObject({ done: false, doneAt: null, rating: 2 });
    expect(await store.tasks.setComment(task.id, 'cold')).toBe(true);
    expect(await store.tasks.markDone(task.id, 700)).toMatchObject({
      done: true,
      doneAt: 700,
      comment: 'cold',
    });
    expect(await store.tasks.markDone(task.id, 800)).toMatchObject({ doneAt: 700 });
    expect(await store.tasks.markDone(999)).toBeUndefined();
    expect((await store.tasks.list({ done: true })).map((t) => t.id)).toEqual([task.id]);
    expect(await store.tasks.latestForRecord(1, 42, 'poor-rating')).toMatchObject({ id: task.id });

    await store.ratings.rate(1, 42, 2);
    await store.ratings.rate(1, 42, 3);
    expect(await store.ratings.comment(1, 42, 'fine')).toBe(true);
    expect(await store.ratings.comment(1, 43, 'none')).toBe(false);
    expect(await store.ratings.get(1, 42)).toMatchObject({ rating: 3, comment: 'fine' });

    await store.syncs.failed(2, 'x'.repeat(600));
    await store.syncs.succeeded(1, 400, 12, true);
    await store.syncs.succeeded(1, 450, 3, false);
    expect(await store.syncs.get(1)).toMatchObject({
      lastSyncAt: 450,
      lastFullSyncAt: 400,
      lastCount: 3,
      lastError: null,
    });
    expect((await store.syncs.all()).map((s) => [s.companyId, s.lastError?.length ?? 0])).toEqual([
      [1, 0],
      [2, 500],
    ]);
  });

  it('transaction: all or nothing, nested joins, unseen outside until commit', async () => {
    const store = await open();
    const key = (k: string) => ({
      channel: 'telegram' as const,
      recipient: '1',
      payload: {},
      idempotencyKey: k,
    });
    await expect(
      store.transaction(async () => {
        await store.outbox.enqueue(key('a'));
        await store.transaction(() => store.outbox.enqueue(key('b')));
        throw new Error('stumbled');
      }),
    ).rejects.toThrow('stumbled');
    expect(await store.outbox.list()).toEqual([]);

    // A reader started outside the transaction (its own async chain) runs on another connection
    // and sees only committed rows; inside, the transaction sees its own write.
    let enqueued!: () => void;
    const written = new Promise<void>((resolve) => {
      enqueued = resolve;
    });
    const outside = written.then(() => store.outbox.list());
    await store.transaction(async () => {
      await store.outbox.enqueue(key('c'));
      enqueued();
      expect(await outside).toEqual([]);
      expect((await store.outbox.list()).map((m) => m.idempotencyKey)).toEqual(['c']);
    });
    expect((await store.outbox.list()).map((m) => m.idempotencyKey)).toEqual(['c']);
  });
});
