/**
 * The reminder dialogue's view of a visit: what the runtime passes to the reminder machine's
 * invoked actors and gets back, plus the pure rule that decides whether a client may cancel.
 * Nothing here performs I/O or reads a clock, so `machines/` may import it.
 *
 * @module
 */

/** `records.confirmation`: mark a confirmed visit by attendance 2, or by the record's colour. */
export type ConfirmationMode = 'status' | 'color';

/** `records.cancellation`: mark a cancelled visit "client did not show up" (attendance -1), or delete it. */
export type CancellationMode = 'no-show' | 'delete';

/** The visit a reminder is about, as known when the reminder was planned. */
export interface ReminderRecord {
  /** Altegio `company_id` (the branch). */
  companyId: number;
  /** Altegio `record_id`. */
  recordId: number;
  /** Visit start, ISO 8601 with the branch's offset (`2026-05-01T14:00:00+03:00`). */
  datetime: string;
  /**
   * Whether the record counted as paid (`prepaid_confirmed` or `paid_full` 1) when planned. Informative only: the cancellation rule
   * reads {@link CancellationCheck.record} instead, because a payment may arrive after planning.
   */
  prepaid: boolean;
}

/**
 * How long the reminder machine waits before it tries a failed Altegio write once more, when the
 * runtime gives no other value: long enough for a blip (a restarting API, a 429) to pass, short
 * enough that the client, who was told we are trying again, is still looking.
 */
export const DEFAULT_RETRY_DELAY_MS = 30_000;

// === What the reminder machine asks the runtime for

/** Fields every write carries. */
interface WriteTarget {
  companyId: number;
  recordId: number;
  /**
   * `${dialogueId}:confirm` or `${dialogueId}:cancel`: the same for a retry and for a write a
   * restored snapshot runs again, so the runtime can tell a repeat from a new request. Writes are
   * also no-ops on an already confirmed or deleted record, which the port checks before writing.
   */
  idempotencyKey: string;
}

/**
 * Input of `confirmVisit`. By status: attendance 2. By colour: `custom_color` set to `color`
 * (the settings' `#rrggbb`; the port writes it without `#`, as Altegio expects).
 */
export type ConfirmVisitRequest = WriteTarget & ({ how: 'status' } | { how: 'color'; color: string });

/** Input of `cancelVisit`: attendance -1 (`no-show`) or `DELETE /record` (`delete`). */
export interface CancelVisitRequest extends WriteTarget {
  how: CancellationMode;
}

/** Input of `checkCancellation`. */
export interface CancellationQuery {
  companyId: number;
  recordId: number;
}

/**
 * Output of `checkCancellation`: the record read fresh from Altegio and the runtime's clock at that
 * moment. The machine has no clock of its own, so this is how "now" enters the cancellation rule;
 * reading the record fresh catches a visit moved or paid since the reminder went out.
 */
export interface CancellationCheck {
  /** Milliseconds since the epoch, from the runtime's clock. */
  now: number;
  record: {
    /** Visit start, ISO 8601 with offset. */
    datetime: string;
    /**
     * Paid: `prepaid_confirmed` or `paid_full === 1`. Altegio's `prepaid` alone only means online
     * payment is available, so an unpaid record with it can be deleted.
     */
    prepaid: boolean;
    /** Already deleted in Altegio (by the salon, or by an earlier cancellation). */
    deleted: boolean;
  };
}

/**
 * The Altegio calls of the reminder dialogue, as the runtime implements them. Each may reject;
 * the machine retries a failed write once and then tells the client and the admin.
 */
export interface ReminderPort {
  confirmVisit(request: ConfirmVisitRequest, signal: AbortSignal): Promise<void>;
  cancelVisit(request: CancelVisitRequest, signal: AbortSignal): Promise<void>;
  checkCancellation(query: CancellationQuery, signal: AbortSignal): Promise<CancellationCheck>;
}

// === The cancellation rule

/** The settings the cancellation rule reads. */
export interface CancellationRules {
  /** `records.cancelNotLaterThan` in ms. */
  cancelNotLaterThanMs: number;
  /** `records.cancellation`. */
  cancellation: CancellationMode;
  /** `records.protectPrepaid`. */
  protectPrepaid: boolean;
  /**
   * When the confirm/cancel menu closes (ms epoch). The durable timer normally closes it; this
   * catches a press handled after the deadline but before that timer was delivered (say, right
   * after a restart), so a late Cancel never writes.
   */
  menuClosesAt: number;
}

/** What to do with a Cancel press, most decisive reason first. */
export type CancellationDecision =
  | { kind: 'menu-closed' }
  | { kind: 'already-deleted' }
  | { kind: 'too-late' }
  | { kind: 'prepaid-protected' }
  | { kind: 'allowed' };

/**
 * Decides a Cancel press from a fresh {@link CancellationCheck}. Order matters:
 * - a closed menu changes nothing, whatever the record says;
 * - an already deleted record is reported as cancelled (telling the client "too late" about a visit
 *   that no longer exists would be wrong);
 * - too close to the visit (or past it, or a start time that cannot be read, since refusing writes
 *   nothing) is refused with the reason;
 * - deleting a prepaid record is refused when the salon protects them. "No-show" keeps the record
 *   and its payment, so it is allowed for prepaid records too.
 */
export function decideCancellation(rules: CancellationRules, check: CancellationCheck): CancellationDecision {
  if (check.now >= rules.menuClosesAt) return { kind: 'menu-closed' };
  if (check.record.deleted) return { kind: 'already-deleted' };
  const start = Date.parse(check.record.datetime);
  if (!Number.isFinite(start) || start - check.now < rules.cancelNotLaterThanMs) return { kind: 'too-late' };
  if (check.record.prepaid && rules.protectPrepaid && rules.cancellation === 'delete') {
    return { kind: 'prepaid-protected' };
  }
  return { kind: 'allowed' };
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/**
 * `records.cancelNotLaterThan` the way a client reads it: whole hours when it is whole hours
 * (`9h` → 9 hours), otherwise minutes rounded up (`90m` → 90 minutes, `30s` → 1 minute), so the
 * refusal never names a shorter limit than the one applied.
 */
export function cancellationLimit(ms: number): { unit: 'hours' | 'minutes'; count: number } {
  if (ms >= HOUR_MS && ms % HOUR_MS === 0) return { unit: 'hours', count: ms / HOUR_MS };
  return { unit: 'minutes', count: Math.max(1, Math.ceil(ms / MINUTE_MS)) };
}

/**
 * A short, JSON-safe description of why an actor rejected, for the admin's message and logs
 * (never shown to clients). Capped so a huge HTML error page cannot bloat the snapshot.
 */
export function describeFailure(error: unknown): string {
  const text =
    error instanceof Error
      ? error.message
      : typeof error === 'object' && error !== null && 'message' in error
        ? String(error.message)
        : String(error);
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
