/**
 * Conversations: one row per chat per messenger, and the link from a chat to a client's phone.
 *
 * @module
 */
import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { ChatChannel } from '../domain/channels.js';
import type { Db, Now } from './db.js';
import { type Conversation, conversations } from './schema.js';

/** What a channel adapter knows about a chat when a message arrives. */
export interface ConversationDetails {
  /** Normalised phone, when the chat reveals it (WhatsApp chat id, a shared contact). */
  phone?: string | null;
  /** Language of the bot's phrases (Telegram `language_code` when supported). */
  language?: string | null;
}

/** Repository of {@link conversations}; see {@link createConversations}. */
export interface ConversationsRepo {
  /**
   * Finds or creates the conversation of a chat, on every inbound message. A phone or language
   * given here is stored; one left out (or null) keeps what was stored, so a later message
   * without a contact does not unlink the phone.
   */
  upsert(channel: ChatChannel, chatId: string, details?: ConversationDetails): Conversation;
  get(id: number): Conversation | undefined;
  byChat(channel: ChatChannel, chatId: string): Conversation | undefined;
  /** Chats linked to a phone, most recently active first: where a notification can go. */
  findByPhone(phone: string): Conversation[];
  /**
   * Records a handled message in a chat: the highest update id, and a phone or language it
   * revealed (left out or null keeps what was stored). Meant for the step's transaction.
   */
  touch(id: number, details: ConversationDetails & { lastUpdateId?: number | null }): void;
  /**
   * The messenger refused a message because the chat cannot be reached (the client blocked the
   * bot). Creates the conversation when there is none yet (a WhatsApp number never written to).
   */
  markUnreachable(channel: ChatChannel, chatId: string, reason: string, at?: number): void;
  /** A message reached the chat again; returns whether it had been marked unreachable. */
  markReachable(channel: ChatChannel, chatId: string): boolean;
  /** Chats marked unreachable, for a channel's in-memory view of them at start-up. */
  listUnreachable(): Array<{ channel: ChatChannel; chatId: string }>;
}

/**
 * Creates the conversations repository.
 *
 * @param now - clock for `created_at`/`updated_at`.
 */
export function createConversations(db: Db, now: Now = Date.now): ConversationsRepo {
  // Every inbound message goes through this upsert, so it is prepared once.
  const upsertStatement = db
    .insert(conversations)
    .values({
      channel: sql.placeholder('channel'),
      chatId: sql.placeholder('chatId'),
      phone: sql.placeholder('phone'),
      language: sql.placeholder('language'),
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now'),
    })
    .onConflictDoUpdate({
      target: [conversations.channel, conversations.chatId],
      set: {
        phone: sql`coalesce(excluded.phone, ${conversations.phone})`,
        language: sql`coalesce(excluded.language, ${conversations.language})`,
        updatedAt: sql`excluded.updated_at`,
      },
    })
    .returning()
    .prepare();

  const byChatStatement = db
    .select()
    .from(conversations)
    .where(
      sql`${conversations.channel} = ${sql.placeholder('channel')} AND ${conversations.chatId} = ${sql.placeholder('chatId')}`,
    )
    .prepare();

  // The phone is indexed: an UPDATE naming it rewrites its index entry even when the value stays,
  // a page per commit for nothing. So the phone has its own statement, run only when it changes.
  const touchStatement = db
    .update(conversations)
    .set({
      language: sql`coalesce(${sql.placeholder('language')}, ${conversations.language})`,
      lastUpdateId: sql`max(coalesce(${sql.placeholder('lastUpdateId')}, ${conversations.lastUpdateId}), coalesce(${conversations.lastUpdateId}, ${sql.placeholder('lastUpdateId')}))`,
      updatedAt: sql`${sql.placeholder('now')}`,
    })
    .where(sql`${conversations.id} = ${sql.placeholder('id')}`)
    .prepare();
  const changePhoneStatement = db
    .update(conversations)
    .set({ phone: sql`${sql.placeholder('phone')}` })
    .where(
      sql`${conversations.id} = ${sql.placeholder('id')} AND ${conversations.phone} IS NOT ${sql.placeholder('phone')}`,
    )
    .prepare();

  return {
    touch(id, details) {
      touchStatement.run({
        id,
        language: details.language ?? null,
        lastUpdateId: details.lastUpdateId ?? null,
        now: now(),
      });
      if (details.phone) changePhoneStatement.run({ id, phone: details.phone });
    },

    upsert(channel, chatId, details = {}) {
      const row = upsertStatement.get({
        channel,
        chatId,
        phone: details.phone ?? null,
        language: details.language ?? null,
        now: now(),
      });
      // RETURNING always yields the row for an upsert whose DO UPDATE has no WHERE.
      if (!row) throw new Error(`conversation upsert returned nothing for ${channel}`);
      return row;
    },

    get(id) {
      return db.select().from(conversations).where(eq(conversations.id, id)).get();
    },

    byChat(channel, chatId) {
      return byChatStatement.get({ channel, chatId });
    },

    findByPhone(phone) {
      return db
        .select()
        .from(conversations)
        .where(eq(conversations.phone, phone))
        .orderBy(desc(conversations.updatedAt), desc(conversations.id))
        .all();
    },

    markUnreachable(channel, chatId, reason, at = now()) {
      db.insert(conversations)
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
        })
        .run();
    },

    markReachable(channel, chatId) {
      const result = db
        .update(conversations)
        .set({ unreachableAt: null, unreachableReason: null })
        .where(
          and(
            eq(conversations.channel, channel),
            eq(conversations.chatId, chatId),
            isNotNull(conversations.unreachableAt),
          ),
        )
        .run();
      return result.changes > 0;
    },

    listUnreachable() {
      return db
        .select({ channel: conversations.channel, chatId: conversations.chatId })
        .from(conversations)
        .where(isNotNull(conversations.unreachableAt))
        .all();
    },
  };
}
