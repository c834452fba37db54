/**
 * What each notification job does when it is due: re-checks the salon's rules at sending time,
 * finds the client's channel, renders the template and queues the message (or starts the
 * reminder or feedback dialogue). Every decision goes to the delivery log, so "why did my client
 * not get it?" has an answer. Scheduling, retries and concurrency are `worker.ts`'s.
 *
 * @module
 */
import type { CachedAltegioApi } from '../altegio/cache.js';
import type { AltegioService } from '../altegio/schemas.js';
import { type AltegioRecord, RecordSchema } from '../altegio/schemas.js';
import type { ChatChannel } from '../domain/channels.js';
import type { Clock } from '../domain/clock.js';
import type { Settings, Template } from '../domain/settings.js';
import type { Logger } from '../log.js';
import type { Job, RecordRow, Store } from '../store/index.js';
import { birthdayClients, nextBirthdayScan } from './birthdays.js';
import { type ClientCards, createClientCards } from './client-cards.js';
import { applyFilters } from './filters.js';
import {
  type BirthdayJob,
  type BirthdayScanJob,
  type FeedbackJob,
  JOB_KIND,
  type JobPayload,
  type NoticeJob,
  type ReminderJob,
  type VisitWriteJob,
} from './jobs.js';
import { type Recipient, resolveRecipient } from './recipients.js';

/** What a template needs about the branch. */
export interface BranchInfo {
  id: number;
  title: string;
  timezone: string;
}

/** Renders a template for records of one client; see `src/templates/notification.ts`. */
export type RenderTemplate = (input: {
  template: Template;
  settings: Settings;
  records: AltegioRecord[];
  branch: BranchInfo;
  /** The branch's services, offline ones included: their widget names and titles. */
  services: readonly AltegioService[];
  /** For greetings without a record (birthdays). */
  clientName?: string;
}) => string;

/** Starts the feedback dialogue in the client's chat. */
export type StartFeedback = (input: {
  channel: ChatChannel;
  chatId: string;
  text: string;
  record: AltegioRecord;
  idempotencyKey: string;
}) => Promise<void>;

/** Starts the reminder dialogue in the client's chat (the runtime's `startDialogue`). */
export type StartReminder = (input: {
  channel: ChatChannel;
  chatId: string;
  text: string;
  record: AltegioRecord;
  issuedAt: number;
  idempotencyKey: string;
}) => Promise<void>;

/** What the job handlers need; a subset of the worker's options. */
export interface JobHandlerOptions {
  store: Store;
  settings: () => Settings;
  altegio: CachedAltegioApi;
  clock: Clock;
  logger: Logger;
  isRunning(channel: ChatChannel): boolean;
  render: RenderTemplate;
  startReminder: StartReminder;
  startFeedback: StartFeedback;
  branchIds(): Promise<number[]>;
  onOutbox(): void;
  /**
   * Whether the mirrored record may stand in for a fresh `getRecord` before a reminder (a call
   * saved per reminder: 2,000 reminders would cost 10 minutes of Altegio's 200/min). Default: the
   * mirror was written by a webhook or a sync within the last 10 minutes.
   */
  mirrorIsFresh?(row: RecordRow, now: number): boolean;
  /** Client cards for categories and birth dates; default: a cache of this handler set's own. */
  clientCards?: ClientCards;
}

const recipientOf = (recipient: { channel: ChatChannel; chatId: string }) => ({
  channel: recipient.channel,
  chatId: recipient.chatId,
});

/** A mirror row written this recently is as good as asking Altegio. */
const MIRROR_FRESH_MS = 10 * 60_000;

/** Creates the handlers; {@link JobHandlers.run} runs one claimed job's payload. */
export function createJobHandlers(options: JobHandlerOptions) {
  const { store, altegio, clock, logger } = options;
  // Card reads wait behind bookings and writes: a greeting or notice can spare the seconds.
  const cards = options.clientCards ?? createClientCards(altegio.withPriority('sync'), clock);
  const mirrorIsFresh = options.mirrorIsFresh ?? ((row, now) => now - row.updatedAt <= MIRROR_FRESH_MS);

  async function log(
    entry: { kind: string; companyId: number; phone: string | null },
    recordIds: ReadonlyArray<number | null>,
    decision: 'sent' | 'suppressed' | 'failed',
    reason: string,
    channel?: ChatChannel,
  ): Promise<void> {
    for (const recordId of recordIds) {
      await store.deliveries.add({
        companyId: entry.companyId,
        recordId,
        clientPhone: entry.phone,
        kind: entry.kind,
        decision,
        reason,
        ...(channel ? { channel } : {}),
        at: clock.now(),
      });
    }
  }

  /** What the delivery log says a job is about. */
  function subject(payload: JobPayload): {
    kind: string;
    companyId: number;
    phone: string | null;
    recordIds: Array<number | null>;
  } {
    switch (payload.type) {
      case 'notice':
        return {
          kind: payload.kind,
          companyId: payload.companyId,
          phone: payload.phone,
          recordIds: payload.recordIds,
        };
      case 'reminder':
      case 'feedback':
        return {
          kind: payload.type,
          companyId: payload.companyId,
          phone: payload.phone,
          recordIds: [payload.recordId],
        };
      case 'birthday':
        return { kind: 'birthday', companyId: payload.companyId, phone: payload.phone, recordIds: [null] };
      case 'birthday-scan':
        return { kind: 'birthday', companyId: 0, phone: null, recordIds: [] };
      case 'visit-write':
        return {
          kind: `visit-${payload.action}`,
          companyId: payload.write.companyId,
          phone: payload.phone,
          recordIds: [payload.write.recordId],
        };
    }
  }

  function parseRow(companyId: number, row: RecordRow | undefined): AltegioRecord | undefined {
    if (!row) return undefined;
    const parsed = RecordSchema.safeParse({ company_id: companyId, ...row.data });
    return parsed.success ? parsed.data : undefined;
  }

  async function mirrored(companyId: number, recordId: number): Promise<AltegioRecord | undefined> {
    return parseRow(companyId, await store.records.get(companyId, recordId));
  }

  /**
   * The visit as it is now. The mirror when it is fresh (webhooks and syncs keep it so); otherwise
   * Altegio, falling back to the mirror when Altegio cannot be asked.
   */
  async function currentRecord(companyId: number, recordId: number): Promise<AltegioRecord | undefined> {
    const row = await store.records.get(companyId, recordId);
    const local = parseRow(companyId, row);
    if (row && local && mirrorIsFresh(row, clock.now())) return local;
    return (await altegio.getRecord(companyId, recordId).catch(() => undefined)) ?? local;
  }

  /**
   * Records with their client's categories from the client card, when the branch excludes any:
   * a record's `client` is not documented to carry categories, so it is not trusted to.
   */
  async function withCardCategories(records: AltegioRecord[], settings: Settings): Promise<AltegioRecord[]> {
    const companyId = records[0]?.companyId;
    const branch = settings.branches.find((candidate) => candidate.id === companyId);
    if (!branch || branch.excludedClientCategoryIds.length === 0) return records;
    return Promise.all(
      records.map(async (record) => {
        const client = record.client;
        if (!client?.id) return record;
        const categoryIds = await cards.categoryIds(record.companyId, client.id, client.categoryIds);
        return {
          ...record,
          client: { ...client, categoryIds: [...new Set([...client.categoryIds, ...categoryIds])] },
        };
      }),
    );
  }

  async function branchInfo(companyId: number, settings: Settings): Promise<BranchInfo> {
    const company = await altegio.getCompany(companyId);
    return {
      id: companyId,
      title: company.publicTitle || company.title,
      timezone: company.timezoneName ?? settings.general.timezone,
    };
  }

  /** The branch's services (cached) and which of them are offline. */
  async function branchServices(
    companyId: number,
  ): Promise<{ services: AltegioService[]; offline: Set<number> }> {
    const services = await altegio.services(companyId, { includeOffline: true });
    return {
      services,
      offline: new Set(services.filter((service) => !service.online).map((service) => service.id)),
    };
  }

  function templateFor(
    job: NoticeJob | ReminderJob | FeedbackJob | BirthdayJob,
    settings: Settings,
  ): Template | undefined {
    const template = settings.templates[job.templateIndex];
    const kind = job.type === 'notice' ? job.kind : job.type;
    return template?.enabled && template.kind === kind ? template : undefined;
  }

  /**
   * What every record message shares: the salon's filters, the client's channel and the rendered
   * template. Undefined when the message is not sent (the delivery log already says why).
   */
  async function compose(
    payload: NoticeJob | ReminderJob | FeedbackJob,
    template: Template,
    records: AltegioRecord[],
  ): Promise<
    { recipient: Extract<Recipient, { found: true }>; text: string; records: AltegioRecord[] } | undefined
  > {
    const settings = options.settings();
    const about = subject(payload);
    const { services, offline } = await branchServices(payload.companyId);
    const filtered = applyFilters(
      await withCardCategories(records, settings),
      settings,
      offline,
      template.kind,
    );
    if (!filtered.sent) {
      await log(about, about.recordIds, 'suppressed', filtered.reason);
      return undefined;
    }
    const recipient = await resolveRecipient(payload.phone, settings, store.conversations, options.isRunning);
    if (!recipient.found) {
      await log(about, about.recordIds, 'suppressed', recipient.reason);
      return undefined;
    }
    const branch = await branchInfo(payload.companyId, settings);
    const text = options.render({ template, settings, records: filtered.records, branch, services });
    return { recipient, text, records: filtered.records };
  }

  async function suppress(payload: NoticeJob | ReminderJob | FeedbackJob, reason: string): Promise<void> {
    const about = subject(payload);
    await log(about, about.recordIds, 'suppressed', reason);
  }

  /** A plain message for the outbox and its "sent" line in the delivery log, together. */
  async function queueMessage(
    job: Job,
    payload: JobPayload,
    recipient: { channel: ChatChannel; chatId: string; note: string },
    text: string,
    recordIds: Array<number | null>,
  ): Promise<void> {
    await store.transaction(async () => {
      await store.outbox.enqueue({
        channel: recipient.channel,
        recipient: recipient.chatId,
        payload: { text },
        idempotencyKey: `job:${job.dedupeKey}`,
        priority: 'bulk',
      });
      await log(subject(payload), recordIds, 'sent', recipient.note || 'sent', recipient.channel);
    });
    options.onOutbox();
  }

  async function runNotice(job: Job, payload: NoticeJob): Promise<void> {
    const template = templateFor(payload, options.settings());
    if (!template) return suppress(payload, 'the template was disabled or removed');
    const records = (
      await Promise.all(payload.recordIds.map((id) => mirrored(payload.companyId, id)))
    ).filter((record): record is AltegioRecord => record !== undefined);
    // A cancellation notice is about a deleted record; the others skip records deleted meanwhile.
    const candidates =
      payload.kind === 'record-cancelled' ? records.map((r) => ({ ...r, deleted: false })) : records;
    const message = await compose(payload, template, candidates);
    if (!message) return;
    const ids = message.records.map((record) => record.id);
    await queueMessage(job, payload, message.recipient, message.text, ids);
  }

  async function runReminder(job: Job, payload: ReminderJob): Promise<void> {
    const template = templateFor(payload, options.settings());
    if (!template) return suppress(payload, 'the template was disabled or removed');
    // The visit may have changed since planning.
    const record = await currentRecord(payload.companyId, payload.recordId);
    if (!record) return suppress(payload, 'the record is unknown');
    if (record.deleted) return suppress(payload, 'the record was deleted');
    if (record.startsAt !== payload.startsAt) {
      return suppress(payload, 'the visit was moved; a reminder for the new time is planned');
    }
    if (record.attendance === 1 || record.attendance === -1) {
      return suppress(payload, 'the visit already took place or was marked as missed');
    }
    const message = await compose(payload, template, [record]);
    if (!message) return;
    const { recipient, text } = message;
    const idempotencyKey = `job:${job.dedupeKey}`;
    await options.startReminder({
      ...recipientOf(recipient),
      text,
      record,
      issuedAt: clock.now(),
      idempotencyKey,
    });
    await log(subject(payload), [payload.recordId], 'sent', recipient.note || 'sent', recipient.channel);
  }

  async function runFeedback(job: Job, payload: FeedbackJob): Promise<void> {
    const template = templateFor(payload, options.settings());
    if (!template) return suppress(payload, 'the template was disabled or removed');
    const record = await mirrored(payload.companyId, payload.recordId);
    if (!record) return suppress(payload, 'the record is unknown');
    if (record.deleted) return suppress(payload, 'the record was deleted');
    const message = await compose(payload, template, [record]);
    if (!message) return;
    const { recipient, text } = message;
    await options.startFeedback({
      ...recipientOf(recipient),
      text,
      record,
      idempotencyKey: `job:${job.dedupeKey}`,
    });
    await log(subject(payload), [payload.recordId], 'sent', recipient.note || 'sent', recipient.channel);
  }

  /** Plans today's greetings (one per client per year, by phone), then tomorrow's scan. */
  async function runBirthdayScan(payload: BirthdayScanJob): Promise<void> {
    // Tomorrow's scan first: a failing scan today must not stop the greetings for good.
    await scheduleBirthdayScan(payload.day);
    const settings = options.settings();
    const templateIndex = settings.templates.findIndex((t) => t.kind === 'birthday' && t.enabled);
    if (templateIndex >= 0) {
      const branchIds = await options.branchIds();
      const clients = await birthdayClients(store, altegio, cards, branchIds, payload.day);
      const year = payload.day.slice(0, 4);
      for (const client of clients) {
        const greeting: BirthdayJob = { type: 'birthday', templateIndex, ...client, clientName: client.name };
        await store.jobs.enqueue({
          kind: JOB_KIND.birthday,
          dueAt: clock.now(),
          dedupeKey: `birthday:${year}:${client.phone}`,
          payload: greeting,
        });
      }
      logger.info({ day: payload.day, clients: clients.length }, 'birthday greetings planned');
    }
  }

  async function runBirthday(job: Job, payload: BirthdayJob): Promise<void> {
    const settings = options.settings();
    const template = templateFor(payload, settings);
    if (!template) {
      await log(subject(payload), [null], 'suppressed', 'the template was disabled or removed');
      return;
    }
    const branch = settings.branches.find((candidate) => candidate.id === payload.companyId);
    const excluded = payload.categoryIds.find((id) => branch?.excludedClientCategoryIds.includes(id));
    if (excluded !== undefined) {
      await log(subject(payload), [null], 'suppressed', `the client is in excluded category ${excluded}`);
      return;
    }
    const recipient = await resolveRecipient(payload.phone, settings, store.conversations, options.isRunning);
    if (!recipient.found) {
      await log(subject(payload), [null], 'suppressed', recipient.reason);
      return;
    }
    const text = options.render({
      template,
      settings,
      records: [],
      branch: await branchInfo(payload.companyId, settings),
      services: [],
      clientName: payload.clientName,
    });
    await queueMessage(job, payload, recipient, text, [null]);
  }

  async function scheduleBirthdayScan(after?: string): Promise<void> {
    const { day, dueAt } = nextBirthdayScan(options.settings(), clock.now(), after);
    const payload: BirthdayScanJob = { type: 'birthday-scan', day };
    await store.jobs.enqueue({
      kind: JOB_KIND.birthdayScan,
      dueAt,
      dedupeKey: `birthday-scan:${day}`,
      payload,
    });
  }

  return {
    subject,
    log,
    scheduleBirthdayScan,
    /** Runs one job; throws when it should be tried again (the worker decides when). */
    async run(job: Job, payload: Exclude<JobPayload, VisitWriteJob>): Promise<void> {
      if (payload.type === 'notice') await runNotice(job, payload);
      else if (payload.type === 'reminder') await runReminder(job, payload);
      else if (payload.type === 'feedback') await runFeedback(job, payload);
      else if (payload.type === 'birthday-scan') await runBirthdayScan(payload);
      else await runBirthday(job, payload);
    },
  };
}

export type JobHandlers = ReturnType<typeof createJobHandlers>;
