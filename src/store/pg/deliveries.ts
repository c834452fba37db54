/**
 * The delivery log on Postgres; the semantics are those of `../deliveries.ts`.
 *
 * @module
 */
import { desc, eq } from 'drizzle-orm';
import type { Now } from '../db.js';
import type { DeliveriesPort } from '../ports.js';
import type { PgContext } from './db.js';
import { deliveries } from './schema.js';

/** Creates the delivery log repository. */
export function createPgDeliveries(ctx: PgContext, now: Now = Date.now): DeliveriesPort {
  const newestFirst = [desc(deliveries.createdAt), desc(deliveries.id)] as const;
  return {
    async add(entry) {
      const [row] = await ctx
        .db()
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
        .returning();
      if (!row) throw new Error('delivery insert returned nothing');
      return row;
    },

    byPhone(phone, limit = 100) {
      return ctx
        .db()
        .select()
        .from(deliveries)
        .where(eq(deliveries.clientPhone, phone))
        .orderBy(...newestFirst)
        .limit(limit);
    },

    byRecord(recordId, limit = 100) {
      return ctx
        .db()
        .select()
        .from(deliveries)
        .where(eq(deliveries.recordId, recordId))
        .orderBy(...newestFirst)
        .limit(limit);
    },

    recent(limit = 100) {
      return ctx
        .db()
        .select()
        .from(deliveries)
        .orderBy(...newestFirst)
        .limit(limit);
    },
  };
}
