/**
 * Confirm and Cancel writes to Altegio, queued durably. A client's answer to a reminder is
 * acknowledged at once; the write itself is a job (`visit-write`) that survives a restart, is
 * retried with backoff while Altegio is busy or down, and is done once: its dedupe key is the
 * dialogue's own idempotency key. A first try builds the record PUT from the mirror when it is
 * fresh, so a confirmation costs one Altegio call; a retry (which may follow a write that did land)
 * reads the record first and skips what is already so (`updateRecord` in
 * `src/altegio/ops-records.ts`; a cancellation finding the record gone counts as done). When a
 * write finally fails, the client and the admin are told.
 *
 * The rules that may refuse a cancellation (too late, paid) are decided by the reminder dialogue
 * before it acknowledges; nothing here refuses.
 *
 * @module
 */
import type { CachedAltegioApi } from '../altegio/cache.js';
import { AltegioApiError } from '../altegio/errors.js';
import type { ChatChannel } from '../domain/channels.js';
import type { Clock } from '../domain/clock.js';
import { normalizePhone } from '../domain/phone.js';
import type { CancelVisitRequest, ConfirmVisitRequest } from '../domain/reminder.js';
import { asLanguage, type Settings } from '../domain/settings.js';
import type { Logger } from '../log.js';
import type { Job, RecordRow, Store } from '../store/index.js';
import { botT } from '../templates/i18n.js';
import type { AdminMessenger } from './admin.js';
import { JOB_KIND, type VisitWriteJob } from './jobs.js';
import { resolveRecipient } from './recipients.js';

export interface VisitWritesOptions {
  store: Store;
  altegio: Pick<CachedAltegioApi, 'setAttendance' | 'setRecordColor' | 'deleteRecord'>;
  settings: () => Settings;
  clock: Clock;
  logger: Logger;
  isRunning(channel: ChatChannel): boolean;
  tellAdmin: AdminMessenger;
  /** A write was queued: the jobs worker should look now. */
  onQueued(): void;
  /** Called after the client's failure message was queued. */
  onOutbox(): void;
  /** Whether the mirrored record may stand in for reading it before a first try; default 10 minutes. */
  mirrorIsFresh?(row: RecordRow, now: number): boolean;
}

/** A mirror row written this recently (by a webhook or a sync) may stand in for a read. */
const MIRROR_FRESH_MS = 10 * 60_000;

/** Attempts before a write is given up; with the backoff below that is about half an hour. */
export const VISIT_WRITE_ATTEMPTS = 8;

/** Altegio refusals that a retry cannot change: the record must be looked at by a person. */
const PERMANENT: ReadonlySet<string> = new Set([
  'bad-request',
  'unauthorized',
  'payment-required',
  'forbidden',
  'validation',
]);

export function createVisitWrites(options: VisitWritesOptions) {
  const { store, altegio, clock, logger } = options;
  const mirrorIsFresh = options.mirrorIsFresh ?? ((row, now) => now - row.updatedAt <= MIRROR_FRESH_MS);

  /** Durably queues one write; a repeat (same idempotency key) changes nothing. */
  async function queue(
    request:
      | { action: 'confirm'; write: ConfirmVisitRequest }
      | { action: 'cancel'; write: CancelVisitRequest },
  ): Promise<void> {
    const { write } = request;
    const mirror = await store.records.get(write.companyId, write.recordId);
    const payload: VisitWriteJob = { type: 'visit-write', ...request, phone: mirror?.clientPhone ?? null };
    const added = await store.jobs.enqueue({
      kind: JOB_KIND.visitWrite,
      dueAt: clock.now(),
      dedupeKey: `visit-write:${write.idempotencyKey}`,
      payload,
      record: { companyId: write.companyId, recordId: write.recordId },
    });
    if (added) options.onQueued();
  }

  /** The mirrored record to write from, on a first try only: a retry may follow a write that landed. */
  async function knownRecord(attempt: number, companyId: number, recordId: number) {
    if (attempt > 1) return undefined;
    const row = await store.records.get(companyId, recordId);
    return row && !row.deleted && mirrorIsFresh(row, clock.now()) ? row.data : undefined;
  }

  /** Runs one write; `attempt` counts from 1 (the job's attempts, this one included). */
  async function run(payload: VisitWriteJob, attempt: number): Promise<void> {
    if (payload.action === 'confirm') {
      const request = payload.write;
      const known = await knownRecord(attempt, request.companyId, request.recordId);
      if (request.how === 'color') {
        await altegio.setRecordColor(request.companyId, request.recordId, request.color.replace(/^#/, ''), {
          known,
        });
      } else {
        await altegio.setAttendance(request.companyId, request.recordId, 2, { known });
      }
      return;
    }
    const request = payload.write;
    if (request.how === 'delete') {
      try {
        await altegio.deleteRecord(request.companyId, request.recordId);
      } catch (error) {
        // Already deleted (by us before a crash, or by the salon): the client's wish holds.
        if (!(error instanceof AltegioApiError && error.kind === 'not-found')) throw error;
      }
    } else {
      const known = await knownRecord(attempt, request.companyId, request.recordId);
      await altegio.setAttendance(request.companyId, request.recordId, -1, { known });
    }
  }

  /**
   * When to try a failed write again: after Altegio's own `Retry-After`, else 5 s doubling up to
   * 5 minutes; never for a refusal a retry cannot change.
   */
  function retryAt(job: Job, error: unknown): number | undefined {
    if (error instanceof AltegioApiError && PERMANENT.has(error.kind)) return undefined;
    const wait =
      error instanceof AltegioApiError && error.retryAfterMs !== undefined
        ? error.retryAfterMs
        : Math.min(5_000 * 2 ** Math.max(0, job.attempts - 1), 300_000);
    return clock.now() + wait;
  }

  /** The write will not happen: the client hears it plainly, the admin gets the record to fix. */
  async function gaveUp(job: Job, payload: VisitWriteJob, reason: string): Promise<void> {
    const { write, action } = payload;
    const settings = options.settings();
    await store.transaction(async () => {
      await options.tellAdmin(
        'admin.write-failed',
        { companyId: write.companyId, recordId: write.recordId },
        `visit-write:${job.id}:admin`,
      );
      const phone = normalizePhone(payload.phone);
      const recipient = phone
        ? await resolveRecipient(phone, settings, store.conversations, options.isRunning)
        : { found: false as const, reason: 'the record has no client phone' };
      if (!recipient.found) {
        logger.warn(
          { job: job.id, record: write.recordId, reason: recipient.reason },
          'the client could not be told that their answer was not saved',
        );
        return;
      }
      const conversation = await store.conversations.byChat(recipient.channel, recipient.chatId);
      const language = asLanguage(conversation?.language) ?? settings.variables.language;
      await store.outbox.enqueue({
        channel: recipient.channel,
        recipient: recipient.chatId,
        payload: { text: botT(language)(`reminder.failed.${action}`) },
        idempotencyKey: `visit-write:${job.id}:client`,
      });
    });
    logger.error(
      { job: job.id, company: write.companyId, record: write.recordId, action, reason },
      'a client’s answer could not be written to Altegio; the client and the admin were told',
    );
    options.onOutbox();
  }

  return { queue, run, retryAt, gaveUp };
}

export type VisitWrites = ReturnType<typeof createVisitWrites>;
