/**
 * Admin tasks on Postgres; the semantics are those of `../tasks.ts`.
 *
 * @module
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Now } from '../db.js';
import type { TasksPort } from '../ports.js';
import type { PgContext } from './db.js';
import { tasks } from './schema.js';

/** Creates the tasks repository. */
export function createPgTasks(ctx: PgContext, now: Now = Date.now): TasksPort {
  return {
    async create(task) {
      const [row] = await ctx
        .db()
        .insert(tasks)
        .values({
          kind: task.kind,
          title: task.title,
          recordId: task.recordId,
          companyId: task.companyId,
          clientPhone: task.clientPhone ?? null,
          rating: task.rating ?? null,
          comment: task.comment ?? null,
          createdAt: task.at ?? now(),
          done: false,
        })
        .returning();
      if (!row) throw new Error('task insert returned nothing');
      return row;
    },

    async get(id) {
      const [row] = await ctx.db().select().from(tasks).where(eq(tasks.id, id));
      return row;
    },

    list(options = {}) {
      return ctx
        .db()
        .select()
        .from(tasks)
        .where(options.done === undefined ? undefined : eq(tasks.done, options.done))
        .orderBy(desc(tasks.createdAt), desc(tasks.id))
        .limit(options.limit ?? 500);
    },

    async markDone(id, at = now()) {
      const [row] = await ctx
        .db()
        .update(tasks)
        .set({ done: true, doneAt: sql`coalesce(${tasks.doneAt}, ${at}::bigint)` })
        .where(eq(tasks.id, id))
        .returning();
      return row;
    },

    async setComment(id, comment) {
      const result = await ctx.db().update(tasks).set({ comment }).where(eq(tasks.id, id));
      return (result.rowCount ?? 0) > 0;
    },

    async latestForRecord(companyId, recordId, kind) {
      const [row] = await ctx
        .db()
        .select()
        .from(tasks)
        .where(and(eq(tasks.companyId, companyId), eq(tasks.recordId, recordId), eq(tasks.kind, kind)))
        .orderBy(desc(tasks.id))
        .limit(1);
      return row;
    },
  };
}
