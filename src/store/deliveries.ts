/**
 * Delivery log: every notification decision, so an admin can answer "why did she get nothing?".
 *
 * @module
 */
import { desc, eq } from 'drizzle-orm';
import type { ChatChannel } from '../domain/channels.js';
import type { Db, Now } from './db.js';
import { type Delivery, type DeliveryDecision, deliveries } from './schema.js';

/** One decision of the notifications pipeline. */
export interface NewDelivery {
  companyId: number;
  recordId?: number | null;
  /** Normalised phone of the client the notification was for. */
  clientPhone?: string | null;
  /** Template kind: `new-record`, `reminder`, `record-changed`, `record-cancelled`, `feedback`, `birthday`. */
  kind: string;
  decision: DeliveryDecision;
  /** Human-readable why: `staff 12 is on the block list`, `test mode: sent to admin`, `no running channel`. */
  reason: string;
  channel?: ChatChannel | null;
  at?: number;
}

/** Repository of {@link deliveries}; see {@link createDeliveries}. */
export interface DeliveriesRepo {
  add(entry: NewDelivery): Delivery;
  /** Decisions about one client, newest first (`GET /api/deliveries?phone=`). */
  byPhone(phone: string, limit?: number): Delivery[];
  /** Decisions about one record, newest first (`GET /api/deliveries?record=`). */
  byRecord(recordId: number, limit?: number): Delivery[];
  /** Latest decisions, newest first. */
  recent(limit?: number): Delivery[];
}

/** Creates the delivery log repository. */
export function createDeliveries(db: Db, now: Now = Date.now): DeliveriesRepo {
  const newestFirst = [desc(deliveries.createdAt), desc(deliveries.id)] as const;
  return {
    add(entry) {
      return db
        .insert(deliveries)
        .values({
          companyId: entry.companyId,
          recordId: entry.recordId ?? null,
          clientPhone: entry.clientPhone ?? null,
          kind: entry.kind,
          decision: entry.decision,
          reason: entry.reason,
          channel: entry.channel ?? null,
          createdAt: entry.at ?? now(),
        })
        .returning()
        .get();
    },

    byPhone(phone, limit = 100) {
      return db
        .select()
        .from(deliveries)
        .where(eq(deliveries.clientPhone, phone))
        .orderBy(...newestFirst)
        .limit(limit)
        .all();
    },

    byRecord(recordId, limit = 100) {
      return db
        .select()
        .from(deliveries)
        .where(eq(deliveries.recordId, recordId))
        .orderBy(...newestFirst)
        .limit(limit)
        .all();
    },

    recent(limit = 100) {
      return db
        .select()
        .from(deliveries)
        .orderBy(...newestFirst)
        .limit(limit)
        .all();
    },
  };
}
