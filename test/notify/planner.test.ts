import { afterEach, describe, expect, it } from 'vitest';
import { BOT_BOOKING_COMMENT } from '../../src/altegio/ops-booking.js';
import { openSalon, type Salon } from './salon.js';

const HOUR = 3_600_000;
const PHONE = '+79160001212';

describe('planner', () => {
  let salon: Salon | undefined;
  afterEach(async () => {
    await salon?.close();
    salon = undefined;
  });

  const templates = [
    { kind: 'new-record', text: 'Booked: {{services}}' },
    { kind: 'reminder', text: 'Tomorrow: {{services}}', offset: '24h' },
    { kind: 'reminder', text: 'Soon: {{services}}', offset: '2h' },
    { kind: 'record-changed', text: 'Moved: {{time}}' },
    { kind: 'record-cancelled', text: 'Cancelled: {{services}}' },
  ];
  const pending = (s: Salon) =>
    s.store.sync.jobs
      .list({ state: 'pending' })
      .filter((job) => job.kind !== 'birthday-scan')
      .map((job) => ({ kind: job.kind, dueAt: job.dueAt, type: (job.payload as { kind?: string }).kind }))
      .sort((a, b) => a.dueAt - b.dueAt || a.kind.localeCompare(b.kind));

  it('plans a notice now and each reminder at its offset before the visit, once per webhook replay', async () => {
    salon = await openSalon({ records: { groupingWindow: '0s' }, templates });
    const s = salon;
    const now = s.clock.now();
    const visit = now + 30 * HOUR;
    await s.webhook({ id: 1, phone: PHONE, startsAt: visit });
    await s.webhook({ id: 1, phone: PHONE, startsAt: visit });
    expect(pending(s)).toEqual([
      { kind: 'notice', dueAt: now, type: 'new-record' },
      { kind: 'reminder', dueAt: visit - 24 * HOUR, type: undefined },
      { kind: 'reminder', dueAt: visit - 2 * HOUR, type: undefined },
    ]);
  });

  it('plans no reminder whose time has passed', async () => {
    salon = await openSalon({ templates });
    const s = salon;
    const visit = s.clock.now() + 3 * HOUR;
    await s.webhook({ id: 2, phone: PHONE, startsAt: visit });
    expect(
      pending(s)
        .filter((job) => job.kind === 'reminder')
        .map((job) => job.dueAt),
    ).toEqual([visit - 2 * HOUR]);
  });

  it('moves the reminders of a moved visit and tells the client; cancels them when the visit is deleted', async () => {
    salon = await openSalon({ records: { groupingWindow: '0s' }, templates });
    const s = salon;
    const now = s.clock.now();
    await s.webhook({ id: 3, phone: PHONE, startsAt: now + 30 * HOUR });
    await s.clock.advance(1_000);
    const moved = now + 50 * HOUR;
    await s.webhook({ id: 3, phone: PHONE, startsAt: moved, changedAt: now + 1_000 }, 'update');
    const reminders = () =>
      s.store.sync.jobs
        .list({ state: 'pending' })
        .filter((job) => job.kind === 'reminder')
        .map((job) => job.dueAt)
        .sort();
    expect(reminders()).toEqual([moved - 24 * HOUR, moved - 2 * HOUR]);
    expect(pending(s).filter((job) => job.type === 'record-changed')).toHaveLength(1);

    await s.webhook(
      { id: 3, phone: PHONE, startsAt: moved, deleted: true, changedAt: now + 2_000 },
      'delete',
    );
    expect(reminders()).toEqual([]);
    expect(pending(s).filter((job) => job.type === 'record-cancelled')).toHaveLength(1);
  });

  it('sends no new-record notice for a visit booked in the chat, and says why in the delivery log', async () => {
    salon = await openSalon({ templates });
    const s = salon;
    await s.webhook({
      id: 4,
      phone: PHONE,
      startsAt: s.clock.now() + 30 * HOUR,
      comment: `${BOT_BOOKING_COMMENT} (Telegram)`,
    });
    expect(pending(s).filter((job) => job.kind === 'notice')).toEqual([]);
    expect(pending(s).filter((job) => job.kind === 'reminder')).toHaveLength(2);
    expect(s.store.sync.deliveries.byRecord(4).map((row) => [row.kind, row.decision, row.reason])).toEqual([
      ['new-record', 'suppressed', 'booked in the chat: the client already has the confirmation'],
    ]);
  });
});
