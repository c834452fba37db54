/**
 * Conversations on Postgres; the semantics are those of `../conversations.ts`.
 *
 * @module
 */
import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { ConversationsRepo } from '../conversations.js';
import type { Now } from '../db.js';
import type { ConversationsPort } from '../ports.js';
import type { PgContext } from './db.js';
import { conversations } from './schema.js';

/** Creates the conversations repository. */
export function createPgConversations(ctx: PgContext, now: Now = Date.now): ConversationsPort {
  const byChat = (channel: Parameters<ConversationsRepo['byChat']>[0], chatId: string) =>
    and(eq(conversations.channel, channel), eq(conversations.chatId, chatId));

  return {
    async upsert(channel, chatId, details = {}) {
      const at = now();
      const [row] = await ctx
        .db()
        .insert(conversations)
        .values({
          channel,
          chatId,
          phone: details.phone ?? null,
          language: details.language ?? null,
          createdAt: at,
          updatedAt: at,
        })
        .onConflictDoUpdate({
          target: [conversations.channel, conversations.chatId],
          set: {
            phone: sql`coalesce(excluded.phone, ${conversations.phone})`,
            language: sql`coalesce(excluded.language, ${conversations.language})`,
            updatedAt: sql`excluded.updated_at`,
          },
        })
        .returning();
      // RETURNING always yields the row for an upsert whose DO UPDATE has no WHERE.
      if (!row) throw new Error(`conversation upsert returned nothing for ${channel}`);
      return row;
    },

    async get(id) {
      const [row] = await ctx.db().select().from(conversations).where(eq(conversations.id, id));
      return row;
    },

    async byChat(channel, chatId) {
      const [row] = await ctx.db().select().from(conversations).where(byChat(channel, chatId));
      return row;
    },

    findByPhone(phone) {
      return ctx
        .db()
        .select()
        .from(conversations)
        .where(eq(conversations.phone, phone))
        .orderBy(desc(conversations.updatedAt), desc(conversations.id));
    },

    async touch(id, details) {
      const lastUpdateId = details.lastUpdateId ?? null;
      await ctx
        .db()
        .update(conversations)
        .set({
          language: sql`coalesce(${details.language ?? null}::text, ${conversations.language})`,
          // GREATEST skips nulls: the stored watermark, the new id, or whichever exists.
          lastUpdateId: sql`greatest(${lastUpdateId}::bigint, ${conversations.lastUpdateId})`,
          // Unlike SQLite, rewriting the indexed phone with the same value costs nothing extra:
          // Postgres compares the indexed values and keeps the update a HOT one.
          ...(details.phone ? { phone: details.phone } : {}),
          updatedAt: now(),
        })
        .where(eq(conversations.id, id));
    },

    async markUnreachable(channel, chatId, reason, at = now()) {
      await ctx
        .db()
        .insert(conversations)
        .values({
          channel,
          chatId,
          unreachableAt: at,
          unreachableReason: reason,
          createdAt: at,
          updatedAt: at,
        })
        .onConflictDoUpdate({
          target: [conversations.channel, conversations.chatId],
          set: { unreachableAt: at, unreachableReason: reason },
        });
    },

    async markReachable(channel, chatId) {
      const result = await ctx
        .db()
        .update(conversations)
        .set({ unreachableAt: null, unreachableReason: null })
        .where(and(byChat(channel, chatId), isNotNull(conversations.unreachableAt)));
      return (result.rowCount ?? 0) > 0;
    },

    listUnreachable() {
      return ctx
        .db()
        .select({ channel: conversations.channel, chatId: conversations.chatId })
        .from(conversations)
        .where(isNotNull(conversations.unreachableAt));
    },
  };
}
