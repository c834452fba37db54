/**
 * The playground's sandbox controls: what a salon administrator (and the passing of time) would
 * do, so that a visitor sees a reminder, a feedback request and a birthday greeting without
 * waiting a day. Each control changes the sandbox salon through its own control calls, so the
 * change reaches the engine as an Altegio webhook and takes the same path as in production
 * (planner → jobs → notification worker → outbox → channel). Only where the real wait is hours
 * long (feedback comes `feedback.delayAfterVisit` after the visit) is the planned job brought
 * forward, and that is said here and in the README.
 */
import { randomUUID } from 'node:crypto';
import { formatInTimeZone } from 'date-fns-tz';
import type { CachedAltegioApi } from '../../altegio/cache.js';
import type { SandboxControl } from '../../altegio/sandbox/index.js';
import { type AltegioRecord, RecordSchema } from '../../altegio/schemas.js';
import type { Clock } from '../../domain/clock.js';
import { reminderOffsetMs, type Settings } from '../../domain/settings.js';
import type { Logger } from '../../log.js';
import { type BirthdayScanJob, JOB_KIND } from '../../notify/jobs.js';
import type { Store } from '../../store/index.js';

/** A control's answer: a phrase of `console.json` and its parameters. */
export interface ControlResult {
  ok: boolean;
  key: string;
  params?: Record<string, string>;
  /** Offer the "send the greeting now" button. */
  offerNow?: boolean;
}

/** Who presses the buttons: the session's client. */
export interface PlaygroundClient {
  phone: string;
  name: string;
}

/** The parts of the app the playground drives: the sandbox, the API, the store and the notification worker. */
export interface PlaygroundServices {
  control: SandboxControl;
  altegio: CachedAltegioApi;
  /** The branches served (in sandbox mode, every branch of the salon). */
  branchIds(): Promise<number[]>;
  settings(): Settings;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** A job became due sooner: the notification worker should look now. */
  wakeNotifications(): void;
}

export interface PlaygroundControlsOptions extends PlaygroundServices {
  /** How soon the made-up visit's reminder is due. */
  reminderLeadMs: number;
  /** How soon the feedback request comes after "came". */
  feedbackLeadMs: number;
}

export interface PlaygroundControls {
  remindSoon(client: PlaygroundClient): Promise<ControlResult>;
  markCame(client: PlaygroundClient): Promise<ControlResult>;
  birthdayToday(client: PlaygroundClient, options: { now: boolean }): Promise<ControlResult>;
  /** Webhooks were ingested and jobs may be planned: feedback asked for soon is brought forward. */
  onPlanned(): void;
}

/** How long a "came" waits for its webhook to plan the feedback request. */
const FEEDBACK_WAIT_MS = 5 * 60_000;

export function createPlaygroundControls(options: PlaygroundControlsOptions): PlaygroundControls {
  const { control, altegio, store, clock, logger } = options;
  /** Feedback jobs to bring forward once the webhook of "came" has planned them, by dedupe key. */
  const awaitedFeedback = new Map<string, number>();

  const localDate = (record: AltegioRecord, zone: string) => ({
    date: formatInTimeZone(record.startsAt ?? 0, zone, 'dd.MM.yyyy'),
    time: formatInTimeZone(record.startsAt ?? 0, zone, 'HH:mm'),
  });

  async function branchZone(companyId: number): Promise<string> {
    const company = await altegio.getCompany(companyId);
    return company.timezoneName ?? options.settings().general.timezone;
  }

  /** The client's records in every branch, newest first. */
  async function recordsOf(client: PlaygroundClient): Promise<AltegioRecord[]> {
    const found: AltegioRecord[] = [];
    for (const companyId of await options.branchIds()) {
      for (const raw of control.listRecords(companyId)) {
        const parsed = RecordSchema.safeParse(raw);
        if (parsed.success && parsed.data.client?.phone === client.phone) found.push(parsed.data);
      }
    }
    return found.sort((a, b) => (b.createDate ?? 0) - (a.createDate ?? 0) || b.id - a.id);
  }

  async function bringForward(): Promise<void> {
    const now = clock.now();
    let moved = false;
    for (const [key, since] of awaitedFeedback) {
      const job = await store.jobs.byDedupeKey(key);
      if (job?.state === 'pending') {
        moved = (await store.jobs.bringForward(job.id, now + options.feedbackLeadMs)) || moved;
        awaitedFeedback.delete(key);
      } else if (job || now - since > FEEDBACK_WAIT_MS) {
        awaitedFeedback.delete(key);
      }
    }
    if (moved) options.wakeNotifications();
  }

  return {
    async remindSoon(client) {
      const settings = options.settings();
      const template = settings.templates.find((item) => item.kind === 'reminder' && item.enabled);
      if (!template) return { ok: false, key: 'playground.result.noReminderTemplate' };
      const [companyId] = await options.branchIds();
      if (companyId === undefined) return { ok: false, key: 'playground.result.noBranch' };
      const service = (await altegio.services(companyId)).find((candidate) => candidate.online);
      const staff = service
        ? (await altegio.bookStaff(companyId, { serviceIds: [service.id] }))[0]
        : undefined;
      if (!service || !staff) return { ok: false, key: 'playground.result.noBranch' };
      // The reminder is due `offset` before the visit; whole seconds, as Altegio's datetimes carry.
      const dueAt = Math.ceil((clock.now() + options.reminderLeadMs) / 1000) * 1000;
      const startsAt = dueAt + reminderOffsetMs(template);
      const raw = control.createRecord(companyId, {
        staff_id: staff.id,
        services: [{ id: service.id }],
        client: { phone: client.phone, name: client.name },
        datetime: new Date(startsAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        seance_length: service.duration > 0 ? service.duration : 3600,
        // An administrator may double-book; the made-up visit must not fail on a busy slot.
        save_if_busy: true,
        comment: 'playground',
      });
      const record = RecordSchema.parse(raw);
      const zone = await branchZone(companyId);
      logger.info({ companyId, recordId: record.id }, 'playground: visit made, its reminder is due soon');
      return {
        ok: true,
        key: 'playground.result.reminderPlanned',
        params: {
          ...localDate(record, zone),
          service: service.name,
          due: formatInTimeZone(dueAt, settings.general.timezone, 'HH:mm:ss'),
        },
      };
    },

    async markCame(client) {
      const settings = options.settings();
      if (!settings.templates.some((item) => item.kind === 'feedback' && item.enabled)) {
        return { ok: false, key: 'playground.result.noFeedbackTemplate' };
      }
      const record = (await recordsOf(client)).find((item) => !item.deleted && item.attendance !== 1);
      if (!record) return { ok: false, key: 'playground.result.noVisit' };
      awaitedFeedback.set(`feedback:${record.companyId}:${record.id}`, clock.now());
      control.setAttendance(record.companyId, record.id, 1);
      // The webhook may already have been ingested (it is sent at once, on loopback).
      await bringForward();
      return {
        ok: true,
        key: 'playground.result.cameMarked',
        params: localDate(record, await branchZone(record.companyId)),
      };
    },

    async birthdayToday(client, { now: sendNow }) {
      const settings = options.settings();
      if (!settings.templates.some((item) => item.kind === 'birthday' && item.enabled)) {
        return { ok: false, key: 'playground.result.noBirthdayTemplate' };
      }
      const zone = settings.general.timezone;
      const at = clock.now();
      const today = formatInTimeZone(at, zone, 'yyyy-MM-dd');
      if (await store.jobs.byDedupeKey(`birthday:${today.slice(0, 4)}:${client.phone}`)) {
        return { ok: true, key: 'playground.result.alreadyGreeted' };
      }
      const records = await recordsOf(client);
      const branchIds = await options.branchIds();
      const companyId = records[0]?.companyId ?? branchIds[0];
      if (companyId === undefined) return { ok: false, key: 'playground.result.noBranch' };
      // 1992 is a leap year, so a 29 February birthday can be written too.
      control.setClientBirthDate(companyId, client.phone, client.name, `1992-${today.slice(5)}`);
      const scheduled = await store.jobs.byDedupeKey(`birthday-scan:${today}`);
      if (!sendNow && scheduled?.state === 'pending' && scheduled.dueAt > at) {
        return {
          ok: true,
          key: 'playground.result.birthdayLater',
          params: { time: settings.birthdays.sendAt, timezone: zone },
          offerNow: true,
        };
      }
      // Today's scan has run (or is asked for now): one more scan of today finds the client.
      const payload: BirthdayScanJob = { type: 'birthday-scan', day: today };
      await store.jobs.enqueue({
        kind: JOB_KIND.birthdayScan,
        dueAt: at,
        dedupeKey: `birthday-scan:${today}:playground:${randomUUID()}`,
        payload,
      });
      options.wakeNotifications();
      return { ok: true, key: 'playground.result.birthdayNow' };
    },

    onPlanned() {
      if (awaitedFeedback.size > 0)
        bringForward().catch((error: unknown) =>
          logger.warn({ err: error }, 'playground: bringing the feedback forward failed'),
        );
    },
  };
}
