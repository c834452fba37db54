/**
 * The jobs the notification pipeline plans, and their payloads. A job is a row (`store.jobs`):
 * planned when a webhook arrives, run when due, never lost on a crash and never run twice for
 * one dedupe key.
 */
import type { CancelVisitRequest, ConfirmVisitRequest } from '../domain/reminder.js';
import type { TemplateKind } from '../domain/settings.js';

/** Template kinds sent as a plain message (no menu). */
export type NoticeKind = Extract<TemplateKind, 'new-record' | 'record-changed' | 'record-cancelled'>;

/** A plain notice about one or more records of one client (several when grouped). */
export interface NoticeJob {
  type: 'notice';
  kind: NoticeKind;
  templateIndex: number;
  companyId: number;
  recordIds: number[];
  phone: string;
}

/** A reminder before a visit: starts a confirm/cancel dialogue. */
export interface ReminderJob {
  type: 'reminder';
  templateIndex: number;
  companyId: number;
  recordId: number;
  phone: string;
  /** Visit start (ms) the reminder was planned for: a moved visit gets new reminders. */
  startsAt: number;
}

/** A feedback request after a visit the client came to: starts a rating dialogue. */
export interface FeedbackJob {
  type: 'feedback';
  templateIndex: number;
  companyId: number;
  recordId: number;
  phone: string;
}

/** Looks for today's birthdays in every branch and plans one greeting per client. */
export interface BirthdayScanJob {
  type: 'birthday-scan';
  /** The local calendar day (`YYYY-MM-DD` in `general.timezone`) being greeted. */
  day: string;
}

/** One birthday greeting; its dedupe key (year + phone) makes it once per client per year. */
export interface BirthdayJob {
  type: 'birthday';
  templateIndex: number;
  companyId: number;
  clientName: string;
  phone: string;
  categoryIds: number[];
}

/** A client's Confirm or Cancel, acknowledged already, to be written to Altegio (see `visit-writes.ts`). */
export type VisitWriteJob = { type: 'visit-write'; phone: string | null } & (
  | { action: 'confirm'; write: ConfirmVisitRequest }
  | { action: 'cancel'; write: CancelVisitRequest }
);

export type JobPayload =
  | NoticeJob
  | ReminderJob
  | FeedbackJob
  | BirthdayScanJob
  | BirthdayJob
  | VisitWriteJob;

export const JOB_KIND = {
  notice: 'notice',
  reminder: 'reminder',
  feedback: 'feedback',
  birthdayScan: 'birthday-scan',
  birthday: 'birthday',
  visitWrite: 'visit-write',
} as const;

const TYPES: ReadonlySet<string> = new Set(Object.values(JOB_KIND));

export function isJobPayload(value: unknown): value is JobPayload {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && TYPES.has(type);
}
