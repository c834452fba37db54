import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import type { CachedAltegioApi } from '../altegio/cache.js';
import { RecordSchema } from '../altegio/schemas.js';
import { normalizePhone } from '../domain/phone.js';
import type { Settings } from '../domain/settings.js';
import type { Store } from '../store/index.js';

/**
 * When the next birthday scan runs: `birthdays.sendAt` on the local calendar day in
 * `general.timezone`. Today's, if that moment has not passed (or passed today without a scan:
 * the dedupe key by day lets it run once, late rather than never); otherwise tomorrow's.
 * Local days are counted on the calendar, not as 24 h, so DST changes do not shift the hour.
 */
export function nextBirthdayScan(
  settings: Settings,
  now: number,
  after?: string,
): { day: string; dueAt: number } {
  const zone = settings.general.timezone;
  let day = after ? addDays(after, 1) : formatInTimeZone(now, zone, 'yyyy-MM-dd');
  for (;;) {
    const dueAt = fromZonedTime(`${day}T${settings.birthdays.sendAt}:00`, zone).getTime();
    if (after || dueAt > now - 12 * 3_600_000) return { day, dueAt };
    day = addDays(day, 1);
  }
}

function addDays(day: string, days: number): string {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export interface BirthdayClient {
  companyId: number;
  name: string;
  phone: string;
  categoryIds: number[];
}

/**
 * Clients whose birthday (day and month) is `day`, from Altegio's client search in each branch
 * and from the clients of mirrored records (webhooks). Altegio's `birthday` filter may or may
 * not ignore the year, so the day and month are compared here as well.
 */
export async function birthdayClients(
  store: Store,
  altegio: CachedAltegioApi,
  companyIds: readonly number[],
  day: string,
): Promise<BirthdayClient[]> {
  const monthDay = day.slice(5);
  const found = new Map<string, BirthdayClient>();
  for (const companyId of companyIds) {
    for await (const client of altegio.iterateClients(companyId, { birthday: { from: day, to: day } })) {
      const phone = normalizePhone(client.phone);
      if (!phone || (client.birthDate && client.birthDate.slice(5) !== monthDay)) continue;
      if (!found.has(phone))
        found.set(phone, { companyId, name: client.name, phone, categoryIds: client.categoryIds });
    }
  }
  for (const row of store.records.withClientBirthday(monthDay)) {
    if (!row.clientPhone || found.has(row.clientPhone) || !companyIds.includes(row.companyId)) continue;
    const parsed = RecordSchema.safeParse({ company_id: row.companyId, ...row.data });
    const client = parsed.success ? parsed.data.client : null;
    found.set(row.clientPhone, {
      companyId: row.companyId,
      name: client?.name ?? '',
      phone: row.clientPhone,
      categoryIds: client?.categoryIds ?? [],
    });
  }
  return [...found.values()];
}
