/**
 * A salon for the notify tests: an in-memory store, the Altegio sandbox over HTTP (branch 101,
 * masters 1001…, services 301…), the real ingest and planner, and record webhooks shaped as
 * Altegio sends them, on a manual clock.
 */
import { createCachedAltegio } from '../../src/altegio/cache.js';
import { createAltegioClient } from '../../src/altegio/client.js';
import {
  DEFAULT_PARTNER_TOKEN,
  DEFAULT_USER_TOKEN,
  type Sandbox,
  startSandbox,
} from '../../src/altegio/sandbox/index.js';
import type { AltegioRecord } from '../../src/altegio/schemas.js';
import { parseWebhook } from '../../src/altegio/webhooks.js';
import { normalizePhone } from '../../src/domain/phone.js';
import { defaultSettings, parseSettings, type Settings } from '../../src/domain/settings.js';
import { createLogger } from '../../src/log.js';
import { createIngest } from '../../src/notify/ingest.js';
import { createPlanner } from '../../src/notify/planner.js';
import { createStore, type SqliteStore as Store } from '../../src/store/index.js';
import { ManualClock } from '../helpers/manual-clock.js';

export const BRANCH = 101;
const HOUR = 3_600_000;
/** Europe/Moscow, the sandbox's zone: a fixed +03:00. */
const OFFSET_MS = 3 * HOUR;

export interface Salon {
  clock: ManualClock;
  store: Store;
  sandbox: Sandbox;
  altegio: ReturnType<typeof createCachedAltegio>;
  settings: () => Settings;
  /** Replaces the settings (parsed like a settings file, defaults filled). */
  configure(input: Record<string, unknown>): void;
  /** Feeds one record webhook through the real ingest and planner. */
  webhook(record: RecordSpec, status?: 'create' | 'update' | 'delete'): Promise<void>;
  /** A Telegram chat that shared this phone, so notifications can reach it. */
  telegramChat(chatId: string, phone: string): void;
  close(): Promise<void>;
}

export interface RecordSpec {
  id: number;
  phone: string;
  /** Visit start, epoch ms. */
  startsAt: number;
  attendance?: number;
  deleted?: boolean;
  staffId?: number;
  serviceId?: number;
  /** `last_change_date`, epoch ms; default: the clock's now. */
  changedAt?: number;
  comment?: string;
  /** The client's categories. */
  categoryIds?: number[];
}

const wallClock = (ms: number) => new Date(ms + OFFSET_MS).toISOString().slice(0, 19);

export function recordWebhook(spec: RecordSpec, status: 'create' | 'update' | 'delete', now: number) {
  const local = wallClock(spec.startsAt);
  const stamp = `${wallClock(spec.changedAt ?? now)}+0300`;
  const staffId = spec.staffId ?? 1001;
  const serviceId = spec.serviceId ?? 301;
  return {
    company_id: BRANCH,
    resource: 'record',
    resource_id: spec.id,
    status,
    data: {
      id: spec.id,
      company_id: BRANCH,
      staff_id: staffId,
      staff: { id: staffId, name: 'Anna', specialization: 'Stylist' },
      services: [
        { id: serviceId, title: "Women's haircut", cost: 2500, first_cost: 2500, discount: 0, amount: 1 },
      ],
      client: {
        id: 700_000 + spec.id,
        name: 'Rita',
        display_name: 'Rita',
        phone: spec.phone,
        email: '',
        categories: (spec.categoryIds ?? []).map((id) => ({ id, title: `Category ${id}` })),
      },
      clients_count: 1,
      date: local.replace('T', ' '),
      datetime: `${local}+03:00`,
      create_date: stamp,
      last_change_date: stamp,
      comment: spec.comment ?? '',
      online: true,
      visit_attendance: spec.attendance ?? 0,
      attendance: spec.attendance ?? 0,
      confirmed: 1,
      seance_length: 3600,
      length: 3600,
      api_id: null,
      visit_id: spec.id,
      deleted: spec.deleted ?? false,
      paid_full: 0,
      prepaid: false,
      prepaid_confirmed: false,
      custom_color: '',
      record_labels: [],
    },
  };
}

/** The record as the notify layer reads it (`RecordSchema`), for the pure functions. */
export function parsedRecord(spec: RecordSpec, now = Date.UTC(2030, 0, 7, 6, 0)): AltegioRecord {
  const event = parseWebhook(recordWebhook(spec, 'create', now));
  if (!event.ok || event.event.kind !== 'record') throw new Error('not a record webhook');
  return event.event.record;
}

export async function openSalon(settings: Record<string, unknown> = {}): Promise<Salon> {
  const clock = new ManualClock();
  const logger = createLogger({ level: 'silent' });
  const store = createStore(':memory:', { clock });
  const sandbox = await startSandbox({ logger, now: () => new Date(clock.now()) });
  const altegio = createCachedAltegio(
    createAltegioClient({
      baseUrl: sandbox.url,
      partnerToken: DEFAULT_PARTNER_TOKEN,
      userToken: DEFAULT_USER_TOKEN,
      maxRetries: 0,
    }),
    // Reference data stays cached for the whole test, whatever the manual clock does.
    { clock, ttlMs: 365 * 24 * HOUR },
  );
  await altegio.getCompany(BRANCH);
  await altegio.services(BRANCH, { includeOffline: true });
  let current = defaultSettings();
  const configure = (input: Record<string, unknown>) => {
    const parsed = parseSettings(input);
    if (!parsed.ok) throw new Error(`bad test settings: ${JSON.stringify(parsed)}`);
    current = parsed.settings;
  };
  configure(settings);
  const ingest = createIngest({
    store,
    altegio,
    logger,
    plan: createPlanner({ store, settings: () => current, clock, logger }),
  });
  let eventId = 0;
  return {
    clock,
    store,
    sandbox,
    altegio,
    settings: () => current,
    configure,
    async webhook(spec, status = 'create') {
      const body = recordWebhook(spec, status, clock.now());
      const parsed = parseWebhook(body);
      if (!parsed.ok) throw new Error(parsed.reason);
      eventId += 1;
      await ingest(parsed.event, `test:${eventId}`, body);
    },
    telegramChat(chatId, phone) {
      store.sync.conversations.upsert('telegram', chatId, { phone: normalizePhone(phone) });
    },
    async close() {
      await sandbox.stop();
      await store.close();
    },
  };
}
