/**
 * A notification the messenger refused because the chat is unreachable (Telegram 403: the client
 * blocked the bot; WhatsApp: the number is not on WhatsApp) goes again through the next channel
 * of `general.channelPriority`, once.
 *
 * How: the outbox row of a notification carries its job's key (`job:<dedupe key>`, and for a
 * dialogue's first messages `job:<dedupe key>:<index>`). The refusal is written to the delivery
 * log, and the same job is planned again under a key derived from the refused channel. That job
 * runs the whole pipeline again: the salon's rules at sending time (a visit deleted meanwhile is
 * not reminded) and `resolveRecipient`, which now skips the chat just marked unreachable, so its
 * delivery-log line names the next channel with the reason, or says that no channel is left.
 *
 * A reminder or feedback request is a dialogue whose first menu is the notification, so falling
 * back starts that dialogue in the other chat: Confirm / Cancel must be pressable where the
 * client can read them. The dialogue begun in the refused chat is left to its own deadline; it
 * can never be answered (its menu never arrived) and what it sends there is refused too, never
 * re-sent (only `job:` rows fall back, and a dialogue's later messages have other keys).
 *
 * When no channel is left, nothing is planned: the delivery log says so with the refusal, and the
 * salon's admin is told (as when Altegio refuses a client's Confirm or Cancel), since the client
 * hears nothing from the bot unless someone reaches them another way.
 *
 * Exactly once: the new key is fixed by the original and the refused channel, and planning a key
 * twice is ignored. Each refusal marks one chat unreachable first, so a chain of fallbacks ends
 * when the channels do.
 *
 * @module
 */
import type { ChatChannel } from '../domain/channels.js';
import type { Clock } from '../domain/clock.js';
import { maskPhone } from '../domain/phone.js';
import type { Settings } from '../domain/settings.js';
import type { Logger } from '../log.js';
import type { Job, Store } from '../store/index.js';
import type { AdminMessenger } from './admin.js';
import type { JobHandlers } from './job-handlers.js';
import { isJobPayload } from './jobs.js';
import { resolveRecipient } from './recipients.js';

/** Job types whose outbox rows are notifications for a client. */
const NOTIFICATIONS: ReadonlySet<string> = new Set(['notice', 'reminder', 'feedback', 'birthday']);

export interface RefusedMessage {
  /** The outbox row's idempotency key. */
  idempotencyKey: string;
  channel: ChatChannel;
  /** The messenger's reason (`telegram 403: Forbidden: bot was blocked by the user`). */
  reason: string;
}

export interface FallbackOptions {
  store: Store;
  handlers: Pick<JobHandlers, 'subject' | 'log'>;
  settings(): Settings;
  isRunning(channel: ChatChannel): boolean;
  /** Tells the salon's admin (see `admin.ts`); without it a notification nobody can receive is only logged. */
  tellAdmin?: AdminMessenger | undefined;
  clock: Clock;
  logger: Logger;
  /** A job was planned: the worker looks now. */
  wake(): void;
  /** The admin's message was queued: the outbox looks now. */
  onOutbox(): void;
}

/** The job whose notification an outbox row carries, if it carries one. */
async function jobOf(store: Store, idempotencyKey: string): Promise<Job | undefined> {
  if (!idempotencyKey.startsWith('job:')) return undefined;
  const key = idempotencyKey.slice('job:'.length);
  // A dialogue's messages add `:<index>` to the key it was started with.
  return (await store.jobs.byDedupeKey(key)) ?? (await store.jobs.byDedupeKey(key.replace(/:\d+$/, '')));
}

/** Returns a handler of refused rows; it returns whether a fallback was planned. */
export function createFallback(options: FallbackOptions) {
  const { store, handlers, clock, logger } = options;
  return async function refused(message: RefusedMessage): Promise<boolean> {
    const job = await jobOf(store, message.idempotencyKey);
    const payload = job?.payload;
    if (!job || !isJobPayload(payload) || !NOTIFICATIONS.has(payload.type)) return false;
    const about = handlers.subject(payload);
    const refusal = `refused: unreachable by ${message.channel} (${message.reason})`;
    // The refused chat is already marked: this is the choice the planned job would make now.
    const next = about.phone
      ? await resolveRecipient(about.phone, options.settings(), store.conversations, options.isRunning)
      : { found: false as const, reason: 'the notification has no client phone' };
    if (!next.found) {
      await handlers.log(about, about.recordIds, 'failed', `${refusal}; ${next.reason}`, message.channel);
      logger.warn(
        { job: job.id, kind: job.kind, refused: message.channel },
        'notification refused; no channel left',
      );
      await options.tellAdmin?.(
        'admin.unreachable',
        {
          phone: maskPhone(about.phone),
          kind: about.kind,
          companyId: about.companyId,
          recordId: about.recordIds.filter((id) => id !== null).join(', ') || '—',
          reason: next.reason,
        },
        `unreachable:${job.dedupeKey}:${message.channel}`,
      );
      options.onOutbox();
      return false;
    }
    const dedupeKey = `${job.dedupeKey}:after-${message.channel}`;
    const planned = await store.transaction(async () => {
      const added = await store.jobs.enqueue({
        kind: job.kind,
        dueAt: clock.now(),
        dedupeKey,
        payload,
        record:
          job.companyId != null && job.recordId != null
            ? { companyId: job.companyId, recordId: job.recordId }
            : null,
      });
      if (added) {
        await handlers.log(
          about,
          about.recordIds,
          'failed',
          `${refusal}; trying the next channel`,
          message.channel,
        );
      }
      return added;
    });
    if (planned) {
      logger.info(
        { job: job.id, kind: job.kind, refused: message.channel },
        'notification refused; trying the next channel',
      );
      options.wake();
    }
    return planned;
  };
}

export type Fallback = ReturnType<typeof createFallback>;
