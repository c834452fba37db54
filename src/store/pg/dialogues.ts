/**
 * Dialogues on Postgres; the semantics are those of `../dialogues.ts`.
 *
 * @module
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Now } from '../db.js';
import { ActiveDialogueExistsError } from '../dialogues.js';
import type { DialoguesPort } from '../ports.js';
import { jsonValue, type PgContext } from './db.js';
import { dialogues } from './schema.js';

/** Creates the dialogues repository. */
export function createPgDialogues(ctx: PgContext, now: Now = Date.now): DialoguesPort {
  return {
    async create(input) {
      const at = now();
      // ON CONFLICT on the one-active index instead of catching the unique violation: in Postgres
      // a failed statement aborts the caller's whole transaction, and the runtime goes on after
      // this error (it closes the old dialogue, or keeps it).
      const [row] = await ctx
        .db()
        .insert(dialogues)
        .values({
          conversationId: input.conversationId,
          machineId: input.machineId,
          machineVersion: input.machineVersion,
          snapshot: jsonValue(input.snapshot),
          status: input.status ?? 'active',
          recordId: input.recordId ?? null,
          createdAt: at,
          updatedAt: at,
        })
        .onConflictDoNothing({ target: dialogues.conversationId, where: sql`status = 'active'` })
        .returning();
      if (!row) throw new ActiveDialogueExistsError(input.conversationId);
      return row;
    },

    async get(id) {
      const [row] = await ctx.db().select().from(dialogues).where(eq(dialogues.id, id));
      return row;
    },

    async getActive(conversationId) {
      const [row] = await ctx
        .db()
        .select()
        .from(dialogues)
        .where(and(eq(dialogues.conversationId, conversationId), eq(dialogues.status, 'active')));
      return row;
    },

    async save(id, snapshot, status, expectedVersion) {
      const result = await ctx
        .db()
        .update(dialogues)
        .set({
          snapshot: jsonValue(snapshot),
          status,
          updatedAt: now(),
          version: sql`${dialogues.version} + 1`,
        })
        .where(
          expectedVersion === undefined
            ? eq(dialogues.id, id)
            : and(eq(dialogues.id, id), eq(dialogues.version, expectedVersion)),
        );
      return (result.rowCount ?? 0) > 0;
    },

    async setStatus(id, status) {
      const result = await ctx
        .db()
        .update(dialogues)
        .set({ status, updatedAt: now(), version: sql`${dialogues.version} + 1` })
        .where(eq(dialogues.id, id));
      return (result.rowCount ?? 0) > 0;
    },

    findByRecord(recordId) {
      return ctx
        .db()
        .select()
        .from(dialogues)
        .where(eq(dialogues.recordId, recordId))
        .orderBy(desc(dialogues.id));
    },

    list(options = {}) {
      return ctx
        .db()
        .select()
        .from(dialogues)
        .where(options.status ? eq(dialogues.status, options.status) : undefined)
        .orderBy(desc(dialogues.updatedAt), desc(dialogues.id))
        .limit(options.limit ?? 100);
    },
  };
}
