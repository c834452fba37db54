import { describe, expect, it } from 'vitest';
import { parseSettings, type Settings } from '../../src/domain/settings.js';
import { applyFilters } from '../../src/notify/filters.js';
import { parsedRecord } from './salon.js';

const HOUR = 3_600_000;
const at = Date.UTC(2030, 0, 8, 9, 0);

function settings(input: Record<string, unknown>): Settings {
  const parsed = parseSettings(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.settings;
}

const record = (id: number, extra: Partial<Parameters<typeof parsedRecord>[0]> = {}) =>
  parsedRecord({ id, phone: '+79160001212', startsAt: at + id * HOUR, ...extra });

describe('applyFilters', () => {
  it('drops deleted records and sends nothing when none is left', () => {
    const result = applyFilters([record(1, { deleted: true })], settings({}), new Set(), 'reminder');
    expect(result).toEqual({ sent: false, reason: 'the record was deleted' });
    const mixed = applyFilters(
      [record(1, { deleted: true }), record(2)],
      settings({}),
      new Set(),
      'reminder',
    );
    expect(mixed.sent && mixed.records.map((r) => r.id)).toEqual([2]);
  });

  it('applies the staff block list to new-record notices only', () => {
    const blocked = settings({ booking: { notifyBlockedStaffIds: [1001] } });
    expect(applyFilters([record(1)], blocked, new Set(), 'new-record')).toEqual({
      sent: false,
      reason: 'every staff member of the record is on the block list',
    });
    expect(applyFilters([record(1)], blocked, new Set(), 'reminder').sent).toBe(true);
    // One unblocked master among records created together is enough.
    const together = applyFilters(
      [record(1), record(2, { staffId: 1002 })],
      blocked,
      new Set(),
      'new-record',
    );
    expect(together.sent && together.records.map((r) => r.id)).toEqual([2]);
  });

  it('sends nothing to a client in a category the branch excludes', () => {
    const excluding = settings({ branches: [{ id: 101, excludedClientCategoryIds: [7] }] });
    expect(applyFilters([record(1, { categoryIds: [3, 7] })], excluding, new Set(), 'reminder')).toEqual({
      sent: false,
      reason: 'the client is in excluded category 7',
    });
    expect(applyFilters([record(1, { categoryIds: [3] })], excluding, new Set(), 'reminder').sent).toBe(true);
  });

  it('leaves out records of offline services when records.loadOfflineServices is off', () => {
    const online = settings({ records: { loadOfflineServices: false } });
    expect(applyFilters([record(1, { serviceId: 305 })], online, new Set([305]), 'reminder')).toEqual({
      sent: false,
      reason: 'offline services are not loaded (records.loadOfflineServices is off)',
    });
    const kept = applyFilters([record(1, { serviceId: 305 }), record(2)], online, new Set([305]), 'reminder');
    expect(kept.sent && kept.records.map((r) => r.id)).toEqual([2]);
    expect(applyFilters([record(1, { serviceId: 305 })], settings({}), new Set([305]), 'reminder').sent).toBe(
      true,
    );
  });
});
