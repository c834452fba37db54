import { describe, expect, it } from 'vitest';
import type { RecordInput } from '../../src/store/index.js';
import { storeDialects, useDialectStores } from './harness.js';

const version = (
  lastChangeDate: string,
  attendance: number,
  extra: Partial<RecordInput> = {},
): RecordInput => ({
  companyId: 1,
  recordId: 42,
  clientPhone: '79161234567',
  clientId: 7,
  staffIds: [3],
  datetime: '2026-03-20T15:00:00+03:00',
  seanceLength: 3600,
  attendance,
  deleted: false,
  lastChangeDate,
  data: { id: 42, attendance, last_change_date: lastChangeDate },
  ...extra,
});

describe.each(storeDialects)('records mirror on $name', (dialect) => {
  const open = useDialectStores(dialect);

  it('inserts a new record and applies a newer version, returning the previous one', async () => {
    const { records } = await open();
    const created = await records.upsert(version('2026-03-14T10:00:00+0300', 0));
    expect(created.changed).toBe(true);
    expect(created.previous).toBeUndefined();
    expect(created.current).toMatchObject({ attendance: 0, staffIds: [3], deleted: false });

    const confirmed = await records.upsert(version('2026-03-14T10:05:00+0300', 2));
    expect(confirmed.changed).toBe(true);
    expect(confirmed.previous?.attendance).toBe(0);
    expect((await records.get(1, 42))?.attendance).toBe(2);
  });

  it('ignores an out-of-order (older) version and a replay of the same one', async () => {
    const { records } = await open();
    await records.upsert(version('2026-03-14T10:05:00+0300', 2));
    const late = await records.upsert(version('2026-03-14T10:00:00+0300', 0));
    expect(late.changed).toBe(false);
    expect(late.current.attendance).toBe(2);
    expect((await records.get(1, 42))?.attendance).toBe(2);

    expect((await records.upsert(version('2026-03-14T10:05:00+0300', 2))).changed).toBe(false);
  });

  it('orders by the instant, not by the text of dates with different offsets', async () => {
    const { records } = await open();
    await records.upsert(version('2026-03-14T10:00:00+0300', 2)); // 07:00Z
    // Sorts after as text, but is 06:00Z: older.
    expect((await records.upsert(version('2026-03-14T09:00:00+0300', 0))).changed).toBe(false);
    expect((await records.upsert(version('2026-03-14T08:00:00+0000', 1))).changed).toBe(true); // 08:00Z
    expect((await records.get(1, 42))?.attendance).toBe(1);
  });

  it('accepts a different change within the same second', async () => {
    const { records } = await open();
    await records.upsert(version('2026-03-14T10:00:00+0300', 0));
    const deleted = await records.upsert(
      version('2026-03-14T10:00:00+0300', 0, { deleted: true, data: { id: 42, deleted: true } }),
    );
    expect(deleted.changed).toBe(true);
    expect((await records.get(1, 42))?.deleted).toBe(true);
  });

  it('refuses a version whose last_change_date is not a date', async () => {
    const { records } = await open();
    await expect(records.upsert(version('yesterday', 0))).rejects.toThrow(RangeError);
  });

  it("finds a client's records by phone", async () => {
    const { records } = await open();
    await records.upsert(version('2026-03-14T10:00:00+0300', 0));
    await records.upsert(
      version('2026-03-14T10:00:00+0300', 0, { recordId: 41, datetime: '2026-03-18T12:00:00+03:00' }),
    );
    await records.upsert(
      version('2026-03-14T10:00:00+0300', 0, { recordId: 50, clientPhone: '70000000000' }),
    );
    expect((await records.byClientPhone('79161234567')).map((r) => r.recordId)).toEqual([41, 42]);
  });
});
