/**
 * The SQLite schema of the engine. `drizzle/` is generated from this file with
 * `npx drizzle-kit generate`; never edit the SQL by hand, change this file and generate again.
 *
 * Conventions, so that every table reads the same way:
 * - every instant is a plain integer of epoch milliseconds (`*_at` columns). The engine's clock
 *   is injectable and answers milliseconds, and comparing integers in SQL needs no conversion;
 * - JSON columns are `text(..., { mode: 'json' })` with `$type<>()`, so drizzle stringifies and
 *   parses them and TypeScript knows their shape;
 * - phones are normalised digits (`79161234567`, see `src/domain/phone.ts`), so that a phone
 *   from Altegio, from a Telegram contact and from a WhatsApp chat id compare equal.
 *
 * @module
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { CHAT_CHANNELS } from '../domain/channels.js';

// === Value sets ============================================================================

// Chat channels (`src/domain/channels.ts`): `console` and `web` are local chats of sandbox mode.

/**
 * Life of a dialogue: `active` while the machine waits for the client; `done` when it reached a
 * final state; `expired` when a timeout ended it; `ended` when the engine closed it (a new
 * booking replaced a stale one, an admin stopped it).
 */
export const DIALOGUE_STATUSES = ['active', 'done', 'expired', 'ended'] as const;
/** See {@link DIALOGUE_STATUSES}. */
export type DialogueStatus = (typeof DIALOGUE_STATUSES)[number];

/**
 * Life of a job. `running` exists only while a worker holds it; a crash leaves it there and
 * start-up puts it back to `pending` (see `jobs.recoverInterrupted()`).
 */
export const JOB_STATES = ['pending', 'running', 'done', 'failed', 'cancelled'] as const;
/** See {@link JOB_STATES}. */
export type JobState = (typeof JOB_STATES)[number];

/** Life of an outgoing message. A message being sent stays `pending` under a lease. */
export const OUTBOX_STATES = ['pending', 'sent', 'failed'] as const;
/** See {@link OUTBOX_STATES}. */
export type OutboxState = (typeof OUTBOX_STATES)[number];

/**
 * Which messages go first: `interactive` (a reply to a client in a conversation now) before `bulk`
 * (notifications: reminders, feedback requests, greetings), which can wait without anyone noticing.
 * Sorted descending, `interactive` comes first.
 */
export const OUTBOX_PRIORITIES = ['bulk', 'interactive'] as const;
/** See {@link OUTBOX_PRIORITIES}. */
export type OutboxPriority = (typeof OUTBOX_PRIORITIES)[number];

/** What happened to one notification: the delivery log answers "why did she get nothing?". */
export const DELIVERY_DECISIONS = ['sent', 'suppressed', 'queued', 'failed'] as const;
/** See {@link DELIVERY_DECISIONS}. */
export type DeliveryDecision = (typeof DELIVERY_DECISIONS)[number];

/** Why an admin task exists (the `kind` of `GET /api/tasks`). */
export const TASK_KINDS = ['status-change', 'poor-rating'] as const;
/** See {@link TASK_KINDS}. */
export type TaskKind = (typeof TASK_KINDS)[number];

// === Dialogues =============================================================================

/** One chat with one person in one messenger: the anchor of dialogues and of phone links. */
export const conversations = sqliteTable(
  'conversations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    channel: text('channel', { enum: CHAT_CHANNELS }).notNull(),
    /** The messenger's id of the chat: Telegram chat id, `<digits>@c.us`, a console session. */
    chatId: text('chat_id').notNull(),
    /** Set when the person shared a contact (Telegram) or the chat id is the phone (WhatsApp). */
    phone: text('phone'),
    /** Language of the bot's own phrases for this chat, when the messenger told us one. */
    language: text('language'),
    /**
     * Highest numeric platform update id handled in this chat (Telegram `update_id`). A chat's
     * updates are handled in order, so a redelivered one is at or below it: de-duplication costs no
     * extra row or lookup per message.
     */
    lastUpdateId: integer('last_update_id'),
    /**
     * Set when the messenger refused a message because the chat cannot be reached (Telegram 403: the
     * client blocked the bot); notifications then take the next channel. Cleared by the next
     * message that reaches the chat.
     */
    unreachableAt: integer('unreachable_at'),
    /** The messenger's reason, for the delivery log. */
    unreachableReason: text('unreachable_reason'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('conversations_channel_chat_uq').on(t.channel, t.chatId),
    index('conversations_phone_idx').on(t.phone),
  ],
);

/**
 * A running (or finished) state machine for one conversation. The machine itself is code; the
 * row keeps `getPersistedSnapshot()` and the machine's id and version, so a restart or an
 * evicted actor resumes exactly where the client left off.
 */
export const dialogues = sqliteTable(
  'dialogues',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    conversationId: integer('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    /** Registry key of the machine (`booking`, `reminder`, `feedback`). */
    machineId: text('machine_id').notNull(),
    /** Version of the machine that wrote the snapshot; a snapshot of another version is not restored. */
    machineVersion: integer('machine_version').notNull(),
    /** `actor.getPersistedSnapshot()`; its shape belongs to the machine, so the runtime checks it. */
    snapshot: text('snapshot', { mode: 'json' }).$type<unknown>().notNull(),
    status: text('status', { enum: DIALOGUE_STATUSES }).notNull().default('active'),
    /** Altegio record a reminder or feedback dialogue is about; null for bookings. */
    recordId: integer('record_id'),
    /**
     * Bumped by every write of the row. A step commits only over the version it read, so a step
     * computed from a stale snapshot (another process moved the dialogue on) cannot overwrite it.
     */
    version: integer('version').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('dialogues_conversation_status_idx').on(t.conversationId, t.status),
    // The design allows one active dialogue per conversation; the database enforces it, so two
    // racing inbound messages cannot both start one.
    uniqueIndex('dialogues_one_active_uq').on(t.conversationId).where(sql`${t.status} = 'active'`),
  ],
);

/**
 * Durable `after` timers. XState does not restore pending delays from a snapshot
 * (statelyai/xstate#5331), so each delayed event the machine schedules is a row holding its
 * wall-clock deadline and the event to deliver; a sweeper delivers it when due, also after downtime.
 */
export const timers = sqliteTable(
  'timers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    dialogueId: integer('dialogue_id')
      .notNull()
      .references(() => dialogues.id, { onDelete: 'cascade' }),
    /** XState's id of the delayed send (e.g. `xstate.after.replyTimeout.booking.service`). */
    sendId: text('send_id').notNull(),
    /** The event to deliver when due, exactly as XState would have raised it. */
    event: text('event', { mode: 'json' }).$type<TimerEvent>().notNull(),
    dueAt: integer('due_at').notNull(),
    /** Set once delivered; a re-entered state schedules the same `send_id` again and clears it. */
    firedAt: integer('fired_at'),
  },
  (t) => [
    uniqueIndex('timers_dialogue_send_uq').on(t.dialogueId, t.sendId),
    index('timers_due_unfired_idx').on(t.dueAt).where(sql`${t.firedAt} IS NULL`),
  ],
);

/** The event a timer delivers: any XState event object. */
export interface TimerEvent {
  type: string;
  [key: string]: unknown;
}

// === Altegio mirror ========================================================================

/**
 * Our copy of Altegio records as the webhooks told us. It lets jobs render notifications
 * without an API call and lets us see what changed (attendance, time) between two webhooks.
 */
export const records = sqliteTable(
  'records',
  {
    companyId: integer('company_id').notNull(),
    recordId: integer('record_id').notNull(),
    clientPhone: text('client_phone'),
    clientId: integer('client_id'),
    staffIds: text('staff_ids', { mode: 'json' }).$type<number[]>().notNull(),
    /** Visit start as Altegio sends it (ISO 8601 with offset). */
    datetime: text('datetime').notNull(),
    /** Visit length in seconds. */
    seanceLength: integer('seance_length').notNull(),
    attendance: integer('attendance').notNull(),
    deleted: integer('deleted', { mode: 'boolean' }).notNull(),
    /** Altegio's `last_change_date` as sent (`2026-03-14T15:00:00+0300`). */
    lastChangeDate: text('last_change_date').notNull(),
    /** The same instant in epoch ms: what ordering is decided on, since the text has offsets. */
    lastChangeAt: integer('last_change_at').notNull(),
    /** The whole record object of the webhook, for templates and later needs. */
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.companyId, t.recordId] }),
    index('records_client_phone_idx').on(t.clientPhone),
  ],
);

// === Notifications pipeline ================================================================

/**
 * Work to do at a time: send a reminder, ask for feedback, close a grouping window, greet a
 * birthday. The unique `dedupe_key` is what makes "never sent twice" hold across webhook
 * retries and restarts.
 */
export const jobs = sqliteTable(
  'jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind').notNull(),
    dueAt: integer('due_at').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    payload: text('payload', { mode: 'json' }).$type<unknown>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    state: text('state', { enum: JOB_STATES }).notNull().default('pending'),
    /** The record a job concerns, so that a deleted or moved record can cancel its jobs. */
    companyId: integer('company_id'),
    recordId: integer('record_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    /**
     * The engine process (`engine_instances` id) running the row, where processes share a Postgres
     * database: when it is gone, the row is taken again at once instead of after its run limit.
     */
    claimedBy: integer('claimed_by'),
  },
  (t) => [
    uniqueIndex('jobs_dedupe_key_uq').on(t.dedupeKey),
    index('jobs_state_due_idx').on(t.state, t.dueAt),
    index('jobs_record_idx').on(t.companyId, t.recordId),
  ],
);

/**
 * Messages waiting for a channel. Written in the same transaction as the state that produced
 * them, so a message is neither lost on a crash nor sent for a step that was rolled back.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    channel: text('channel', { enum: CHAT_CHANNELS }).notNull(),
    /** Chat id in that channel (Telegram chat id, `<digits>@c.us`). */
    recipient: text('recipient').notNull(),
    /** The channel-neutral message; the dispatcher checks its shape. */
    payload: text('payload', { mode: 'json' }).$type<unknown>().notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    state: text('state', { enum: OUTBOX_STATES }).notNull().default('pending'),
    priority: text('priority', { enum: OUTBOX_PRIORITIES }).notNull().default('interactive'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
    /**
     * The process that leased the row (Postgres: its `engine_instances` id). Always null on SQLite,
     * whose database one process uses; the column is here so that rows are alike in both dialects.
     */
    leaseOwner: integer('lease_owner'),
  },
  (t) => [
    uniqueIndex('outbox_idempotency_key_uq').on(t.idempotencyKey),
    index('outbox_pending_due_idx').on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
    // What a claim walks: interactive rows first, each priority by due time.
    index('outbox_pending_priority_idx')
      .on(sql`${t.priority} DESC`, t.nextAttemptAt)
      .where(sql`${t.state} = 'pending'`),
  ],
);

/**
 * Ledger of every inbound event (Altegio webhook, Telegram update) by its source's id: the
 * senders retry, and a retried event must not book, cancel or notify twice.
 */
export const inboundEvents = sqliteTable(
  'inbound_events',
  {
    source: text('source').notNull(),
    eventId: text('event_id').notNull(),
    receivedAt: integer('received_at').notNull(),
    payload: text('payload', { mode: 'json' }).$type<unknown>(),
    processedAt: integer('processed_at'),
  },
  (t) => [
    primaryKey({ columns: [t.source, t.eventId] }),
    index('inbound_unprocessed_idx').on(t.receivedAt).where(sql`${t.processedAt} IS NULL`),
  ],
);

/** Every notification decision, sent or not, with the reason (`GET /api/deliveries`). */
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    companyId: integer('company_id').notNull(),
    recordId: integer('record_id'),
    clientPhone: text('client_phone'),
    /** Template kind (`new-record`, `reminder`, `feedback`, `birthday`, …). */
    kind: text('kind').notNull(),
    decision: text('decision', { enum: DELIVERY_DECISIONS }).notNull(),
    reason: text('reason').notNull(),
    channel: text('channel', { enum: CHAT_CHANNELS }),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('deliveries_phone_idx').on(t.clientPhone, t.createdAt),
    index('deliveries_record_idx').on(t.recordId, t.createdAt),
  ],
);

/** Things a human at the salon must look at (`GET /api/tasks`). */
export const tasks = sqliteTable(
  'tasks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: TASK_KINDS }).notNull(),
    title: text('title').notNull(),
    recordId: integer('record_id').notNull(),
    companyId: integer('company_id').notNull(),
    clientPhone: text('client_phone'),
    rating: integer('rating'),
    comment: text('comment'),
    createdAt: integer('created_at').notNull(),
    done: integer('done', { mode: 'boolean' }).notNull().default(false),
    doneAt: integer('done_at'),
  },
  (t) => [index('tasks_done_created_idx').on(t.done, t.createdAt)],
);

/** A client's rating of a visit (1–5) and what they wrote, one per record. */
export const ratings = sqliteTable(
  'ratings',
  {
    companyId: integer('company_id').notNull(),
    recordId: integer('record_id').notNull(),
    rating: integer('rating').notNull(),
    comment: text('comment'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.recordId] })],
);

/**
 * Per branch, the last successful reconcile of its records against Altegio (`GET /records`):
 * webhooks get two retries only, so a restart or an outage would lose changes without it. The
 * next sync asks for changes since `last_sync_at`; `/health` and the console show it.
 */
export const recordSyncs = sqliteTable('record_syncs', {
  companyId: integer('company_id').primaryKey(),
  /** When the last successful sync started (changes after it are asked for next time). */
  lastSyncAt: integer('last_sync_at'),
  /** When the last sync that read every future record succeeded. */
  lastFullSyncAt: integer('last_full_sync_at'),
  /** Records read by the last successful sync. */
  lastCount: integer('last_count').notNull().default(0),
  lastError: text('last_error'),
  lastErrorAt: integer('last_error_at'),
  updatedAt: integer('updated_at').notNull(),
});

// === Row types =============================================================================

/** A row of {@link conversations}. */
export type Conversation = typeof conversations.$inferSelect;
/** A row of {@link dialogues}. */
export type Dialogue = typeof dialogues.$inferSelect;
/** A row of {@link timers}. */
export type Timer = typeof timers.$inferSelect;
/** A row of {@link records}. */
export type RecordRow = typeof records.$inferSelect;
/** A row of {@link jobs}. */
export type Job = typeof jobs.$inferSelect;
/** A row of {@link outbox}. */
export type OutboxMessage = typeof outbox.$inferSelect;
/** A row of {@link inboundEvents}. */
export type InboundEvent = typeof inboundEvents.$inferSelect;
/** A row of {@link deliveries}. */
export type Delivery = typeof deliveries.$inferSelect;
/** A row of {@link tasks}. */
export type Task = typeof tasks.$inferSelect;
/** A row of {@link ratings}. */
export type Rating = typeof ratings.$inferSelect;
/** One row of {@link recordSyncs}. */
export type RecordSync = typeof recordSyncs.$inferSelect;
