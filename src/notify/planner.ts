import { BOT_BOOKING_COMMENT } from '../altegio/ops-booking.js';
import type { AltegioRecord } from '../altegio/schemas.js';
import type { Clock } from '../domain/clock.js';
import { durationsOf, reminderOffsetMs, type Settings } from '../domain/settings.js';
import type { Logger } from '../log.js';
import type { RecordUpsert, Store } from '../store/index.js';
import type { AdminMessenger } from './admin.js';
import { type FeedbackJob, JOB_KIND, type NoticeJob, type NoticeKind, type ReminderJob } from './jobs.js';

export interface PlannerOptions {
  store: Store;
  settings: () => Settings;
  clock: Clock;
  logger: Logger;
  /** Tells the admin about a new task (queued in the same transaction). */
  tellAdmin?: AdminMessenger;
}

/** A record's status as the salon's task rules name it. */
export type RecordStatus = 'confirmed' | 'came' | 'no-show' | 'waiting' | 'deleted';

export function recordStatus(attendance: number, deleted: boolean): RecordStatus {
  if (deleted) return 'deleted';
  if (attendance === 2) return 'confirmed';
  if (attendance === 1) return 'came';
  if (attendance === -1) return 'no-show';
  return 'waiting';
}

/** What a record webhook did to the mirror, as the planner needs it. */
export interface RecordChange {
  status: 'create' | 'update' | 'delete';
  record: AltegioRecord;
  mirror: RecordUpsert;
  /**
   * From a reconcile sync, about a record that predates the engine's last look (first start, or
   * created before the last sync). Never seen before, it gets its reminders and nothing else: no
   * notice, task or feedback for history.
   */
  backfill?: boolean;
}

/**
 * Records booked by this engine in a chat carry our comment marker (`api_id` is not used: its
 * length is undocumented): the client saw the confirmation there, so no "new record" notice.
 */
function bookedInChat(record: AltegioRecord): boolean {
  return record.comment.startsWith(BOT_BOOKING_COMMENT);
}

/**
 * Turns a record change into jobs. Planning only writes rows; everything a job needs to decide
 * (filters, recipient, template) is checked again when it runs, so a settings change or a later
 * webhook between planning and sending is respected.
 */
export function createPlanner({ store, settings, clock, logger, tellAdmin }: PlannerOptions) {
  function noticeTemplates(kind: NoticeKind): number[] {
    return settings()
      .templates.map((template, index) => ({ template, index }))
      .filter(({ template }) => template.kind === kind && template.enabled)
      .map(({ index }) => index);
  }

  async function logSuppressed(record: AltegioRecord, kind: string, reason: string): Promise<void> {
    await store.deliveries.add({
      companyId: record.companyId,
      recordId: record.id,
      clientPhone: record.client?.phone ?? null,
      kind,
      decision: 'suppressed',
      reason,
      at: clock.now(),
    });
  }

  async function planNotice(
    record: AltegioRecord,
    kind: NoticeKind,
    phone: string,
    version: string,
  ): Promise<void> {
    for (const templateIndex of noticeTemplates(kind)) {
      const dedupeKey = `${kind}:${record.companyId}:${record.id}:${templateIndex}:${version}`;
      await enqueueNotice(record, kind, templateIndex, phone, clock.now(), dedupeKey);
    }
  }

  /** One notice job for one record (a new-record notice may gather more records later). */
  async function enqueueNotice(
    record: AltegioRecord,
    kind: NoticeKind,
    templateIndex: number,
    phone: string,
    dueAt: number,
    dedupeKey: string,
  ): Promise<void> {
    const payload: NoticeJob = {
      type: 'notice',
      kind,
      templateIndex,
      companyId: record.companyId,
      recordIds: [record.id],
      phone,
    };
    await store.jobs.enqueue({
      kind: JOB_KIND.notice,
      dueAt,
      dedupeKey,
      payload,
      record: { companyId: record.companyId, recordId: record.id },
    });
  }

  /** New records of one client within `records.groupingWindow` share one notice, sent when it closes. */
  async function planNewRecord(record: AltegioRecord, phone: string): Promise<void> {
    const windowMs = durationsOf(settings()).groupingWindow;
    for (const templateIndex of noticeTemplates('new-record')) {
      const prefix = `new-record:${record.companyId}:${phone}:${templateIndex}:`;
      // Two webhooks of one client may be planned at once (on Postgres, or in two processes):
      // without the lock both would find no open notice and each would open one.
      await store.lock(prefix);
      const open = (await store.jobs.pendingWithKeyPrefix(JOB_KIND.notice, prefix))[0];
      const payload = open?.payload as NoticeJob | undefined;
      if (open && payload && windowMs > 0) {
        if (!payload.recordIds.includes(record.id)) {
          await store.jobs.updatePayload(open.id, {
            ...payload,
            recordIds: [...payload.recordIds, record.id],
          });
          await logSuppressed(
            record,
            'new-record',
            `grouped into the notice of record ${payload.recordIds[0]}`,
          );
        }
        continue;
      }
      await enqueueNotice(
        record,
        'new-record',
        templateIndex,
        phone,
        clock.now() + windowMs,
        `${prefix}${record.id}`,
      );
    }
  }

  async function planReminders(record: AltegioRecord, phone: string): Promise<void> {
    const startsAt = record.startsAt;
    if (startsAt === null) return;
    for (const [templateIndex, template] of settings().templates.entries()) {
      if (template.kind !== 'reminder' || !template.enabled) continue;
      const dueAt = startsAt - reminderOffsetMs(template);
      if (dueAt <= clock.now()) continue;
      const payload: ReminderJob = {
        type: 'reminder',
        templateIndex,
        companyId: record.companyId,
        recordId: record.id,
        phone,
        startsAt,
      };
      await store.jobs.enqueue({
        kind: JOB_KIND.reminder,
        dueAt,
        dedupeKey: `reminder:${record.companyId}:${record.id}:${templateIndex}:${startsAt}`,
        payload,
        record: { companyId: record.companyId, recordId: record.id },
      });
    }
  }

  /** `tasks.onStatusChange`: a task (and a word to the admin) when a record enters a status. */
  async function planStatusTasks(
    record: AltegioRecord,
    previous: RecordChange['mirror']['previous'],
  ): Promise<void> {
    const now = recordStatus(record.attendance, record.deleted);
    const before = previous ? recordStatus(previous.attendance, previous.deleted) : undefined;
    if (now === before) return;
    for (const rule of settings().tasks.onStatusChange) {
      if (rule.status !== now) continue;
      const task = await store.tasks.create({
        kind: 'status-change',
        title: rule.title,
        recordId: record.id,
        companyId: record.companyId,
        clientPhone: record.client?.phone ?? null,
        at: clock.now(),
      });
      await tellAdmin?.(
        'admin.task',
        { title: rule.title, companyId: record.companyId, recordId: record.id },
        `task:${task.id}`,
      );
    }
  }

  /** Feedback: once per record, `feedback.delayAfterVisit` after the later of the visit's end and "came". */
  async function planFeedback(record: AltegioRecord, phone: string): Promise<void> {
    if (record.startsAt === null) return;
    const current = settings();
    const templateIndex = current.templates.findIndex((t) => t.kind === 'feedback' && t.enabled);
    if (templateIndex < 0) return;
    const visitEnd = record.startsAt + record.seanceLength * 1000;
    const cameAt = record.lastChangeDate ?? clock.now();
    const payload: FeedbackJob = {
      type: 'feedback',
      templateIndex,
      companyId: record.companyId,
      recordId: record.id,
      phone,
    };
    await store.jobs.enqueue({
      kind: JOB_KIND.feedback,
      dueAt: Math.max(visitEnd, cameAt) + durationsOf(current).feedbackDelayAfterVisit,
      dedupeKey: `feedback:${record.companyId}:${record.id}`,
      payload,
      record: { companyId: record.companyId, recordId: record.id },
    });
  }

  return async function plan({ status, record, mirror, backfill }: RecordChange): Promise<void> {
    if (!mirror.changed) return;
    if (backfill && !mirror.previous) {
      const phone = record.client?.phone;
      if (phone && !record.deleted && record.attendance !== 1 && record.attendance !== -1) {
        await planReminders(record, phone);
      }
      return;
    }
    await planStatusTasks(record, mirror.previous);
    if (
      record.attendance === 1 &&
      !record.deleted &&
      record.client?.phone &&
      mirror.previous?.attendance !== 1
    ) {
      await planFeedback(record, record.client.phone);
    }
    const key = { companyId: record.companyId, recordId: record.id };
    const phone = record.client?.phone ?? null;
    const previous = mirror.previous;
    const version = String(record.lastChangeDate ?? clock.now());

    if (record.deleted) {
      if (previous?.deleted) return;
      // Reminders and feedback of a deleted record are void. Notices stay: a grouped notice is filed
      // under its first record and speaks for the others too; deleted records are dropped at sending.
      const cancelled = await store.jobs.cancelForRecord(key, [JOB_KIND.reminder, JOB_KIND.feedback]);
      if (cancelled > 0) logger.debug({ ...key, cancelled }, 'pending jobs of a deleted record cancelled');
      if (phone) await planNotice(record, 'record-cancelled', phone, 'deleted');
      else await logSuppressed(record, 'record-cancelled', 'the record has no client phone');
      return;
    }
    if (!phone) {
      if (!previous) await logSuppressed(record, 'new-record', 'the record has no client phone');
      return;
    }
    if (!previous || status === 'create') {
      if (status === 'create') {
        if (bookedInChat(record)) {
          await logSuppressed(
            record,
            'new-record',
            'booked in the chat: the client already has the confirmation',
          );
        } else {
          await planNewRecord(record, phone);
        }
      }
      await planReminders(record, phone);
      return;
    }
    if (previous.datetime !== record.datetime) {
      await store.jobs.cancelForRecord(key, [JOB_KIND.reminder]);
      await planReminders(record, phone);
      await planNotice(record, 'record-changed', phone, version);
    }
  };
}
