/**
 * Durable dialogue timers on Postgres; the semantics are those of `../timers.ts`.
 *
 * @module
 */
import { and, asc, eq, isNull, lte, min, sql } from 'drizzle-orm';
import type { Now } from '../db.js';
import type { TimersPort } from '../ports.js';
import type { PgContext } from './db.js';
import { timers } from './schema.js';

/** Creates the timers repository. */
export function createPgTimers(ctx: PgContext, now: Now = Date.now): TimersPort {
  const changed = (result: { rowCount: number | null }) => (result.rowCount ?? 0) > 0;
  return {
    async schedule(dialogueId, timer) {
      await ctx
        .db()
        .insert(timers)
        .values({ dialogueId, sendId: timer.sendId, event: timer.event, dueAt: timer.dueAt, firedAt: null })
        .onConflictDoUpdate({
          target: [timers.dialogueId, timers.sendId],
          set: { event: sql`excluded.event`, dueAt: sql`excluded.due_at`, firedAt: null },
        });
    },

    async cancel(dialogueId, sendId) {
      return changed(
        await ctx
          .db()
          .delete(timers)
          .where(and(eq(timers.dialogueId, dialogueId), eq(timers.sendId, sendId))),
      );
    },

    async reschedule(id, dueAt) {
      return changed(
        await ctx
          .db()
          .update(timers)
          .set({ dueAt })
          .where(and(eq(timers.id, id), isNull(timers.firedAt))),
      );
    },

    async deleteForDialogue(dialogueId) {
      return (await ctx.db().delete(timers).where(eq(timers.dialogueId, dialogueId))).rowCount ?? 0;
    },

    pendingForDialogue(dialogueId) {
      return ctx
        .db()
        .select()
        .from(timers)
        .where(and(eq(timers.dialogueId, dialogueId), isNull(timers.firedAt)))
        .orderBy(asc(timers.dueAt), asc(timers.id));
    },

    due(at, limit = 100) {
      return ctx
        .db()
        .select()
        .from(timers)
        .where(and(isNull(timers.firedAt), lte(timers.dueAt, at)))
        .orderBy(asc(timers.dueAt), asc(timers.id))
        .limit(limit);
    },

    async nextDueAt() {
      const [row] = await ctx
        .db()
        .select({ next: min(timers.dueAt) })
        .from(timers)
        .where(isNull(timers.firedAt));
      return row?.next ?? undefined;
    },

    async markFired(id, at = now()) {
      return changed(
        await ctx
          .db()
          .update(timers)
          .set({ firedAt: at })
          .where(and(eq(timers.id, id), isNull(timers.firedAt))),
      );
    },
  };
}
