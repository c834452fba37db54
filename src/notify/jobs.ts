/**
 * The jobs the notification pipeline plans, and their payloads. A job is a row (`store.jobs`):
 * planned when a webhook arrives, run when due, never lost on a crash and never run twice for
 * one dedupe key.
 */
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

export type JobPayload = NoticeJob | ReminderJob;

export const JOB_KIND = { notice: 'notice', reminder: 'reminder' } as const;

export function isJobPayload(value: unknown): value is JobPayload {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'notice' || type === 'reminder';
}
