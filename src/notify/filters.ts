import type { AltegioRecord } from '../altegio/schemas.js';
import type { Settings, TemplateKind } from '../domain/settings.js';

/** Why a notification is not sent, in words an admin reads in the delivery log. */
export type Suppression = { sent: true; records: AltegioRecord[] } | { sent: false; reason: string };

/**
 * The salon's rules for who gets no notification, applied when a notice or reminder is due.
 * `records` are the records of one notice (several when grouped); those that may not be notified
 * are dropped, and the notice goes out when at least one is left.
 *
 * @param offlineServiceIds services of the branch that are not bookable online (`active` 0)
 * @param kind the template kind: the staff block list applies to new-record notices only
 */
export function applyFilters(
  records: readonly AltegioRecord[],
  settings: Settings,
  offlineServiceIds: ReadonlySet<number>,
  kind: TemplateKind,
): Suppression {
  const live = records.filter((record) => !record.deleted);
  if (live.length === 0) return { sent: false, reason: 'the record was deleted' };

  // The block list is about booking notices ("when an appointment is booked"), not reminders.
  const blocked = new Set(kind === 'new-record' ? settings.booking.notifyBlockedStaffIds : []);
  // One unblocked staff member among the records created together is enough to notify.
  const unblocked = live.filter((record) => !blocked.has(record.staffId));
  if (unblocked.length === 0)
    return { sent: false, reason: 'every staff member of the record is on the block list' };

  const first = unblocked[0] as AltegioRecord;
  const branch = settings.branches.find((candidate) => candidate.id === first.companyId);
  const excluded = new Set(branch?.excludedClientCategoryIds ?? []);
  const category = first.client?.categoryIds.find((id) => excluded.has(id));
  if (category !== undefined)
    return { sent: false, reason: `the client is in excluded category ${category}` };

  if (!settings.records.loadOfflineServices) {
    const online = unblocked.filter(
      (record) =>
        record.services.length === 0 || record.services.some((service) => !offlineServiceIds.has(service.id)),
    );
    if (online.length === 0) {
      return { sent: false, reason: 'offline services are not loaded (records.loadOfflineServices is off)' };
    }
    return { sent: true, records: online };
  }
  return { sent: true, records: unblocked };
}
