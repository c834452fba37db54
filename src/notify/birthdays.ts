import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import type { CachedAltegioApi } from '../altegio/cache.js';
import { RecordSchema } from '../altegio/schemas.js';
import { normalizePhone } from '../domain/phone.js';
import type { Settings } from '../domain/settings.js';
import type { Store } from '../store/index.js';
import type { ClientCards } from './client-cards.js';

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
 * and from the clients of mirrored records (webhooks). The search filters by birthday but cannot
 * return birth date or categories (get_client_list), so every hit's card is read (`cards`, cached):
 * its birth date is checked (the filter's year handling is undocumented) and its categories are
 * what excluded categories are held against.
 */
export async function birthdayClients(
  store: Store,
  altegio: CachedAltegioApi,
  cards: ClientCards,
  companyIds: readonly number[],
  day: string,
): Promise<BirthdayClient[]> {
  const monthDay = day.slice(5);
  const found = new Map<string, BirthdayClient>();
  for (const companyId of companyIds) {
    for await (const hit of altegio.iterateClients(companyId, { birthday: { from: day, to: day } })) {
      const phone = normalizePhone(hit.phone);
      if (!phone || found.has(phone)) continue;
      const card = await cards.card(companyId, hit.id);
      // No birth date on the card: the filter's word is all there is. A different one: not today.
      if (card.birthDate && card.birthDate.slice(5) !== monthDay) continue;
      found.set(phone, {
        companyId,
        name: hit.name || card.name,
        phone,
        categoryIds: card.categories.map((category) => category.id),
      });
    }
  }
  for (const row of await store.records.withClientBirthday(monthDay)) {
    if (!row.clientPhone || found.has(row.clientPhone) || !companyIds.includes(row.companyId)) continue;
    const parsed = RecordSchema.safeParse({ company_id: row.companyId, ...row.data });
    const client = parsed.success ? parsed.data.client : null;
    found.set(row.clientPhone, {
      companyId: row.companyId,
      name: client?.name ?? '',
      phone: row.clientPhone,
      categoryIds: await cards.categoryIds(row.companyId, client?.id, client?.categoryIds),
    });
  }
  return [...found.values()];
}
