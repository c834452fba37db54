/**
 * The Postgres schema of the engine: the same tables, columns, indexes and value sets as the
 * SQLite schema (`../schema.ts`), so that both dialects hand the engine the same rows.
 * `drizzle-pg/` is generated from this file with
 * `npx drizzle-kit generate --config drizzle.pg.config.ts`; never edit the SQL by hand.
 *
 * Type choices, and why:
 * - SQLite's `integer` is 64-bit, so every id, instant and outside id (Telegram update ids,
 *   Altegio ids) is `bigint` here, read as a JS number (`mode: 'number'`): epoch ms and those ids
 *   stay far below 2^53. Small counts (attempts, ratings, versions) are `integer`;
 * - JSON is `jsonb` with the same `$type<>()`: drizzle passes objects through and Postgres can
 *   index into them later;
 * - value sets stay `text` with the same `enum` lists as SQLite (not Postgres enum types), so adding a
 *   value is a code change in both dialects and no `ALTER TYPE` migration;
 * - booleans are real `boolean`s (SQLite stores 0/1, drizzle maps both to `boolean`).
 *
 * The row types at the bottom are checked to be assignable to the SQLite ones, which the ports use.
 *
 * @module
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { CHAT_CHANNELS } from '../../domain/channels.js';
import type * as sqlite from '../schema.js';
import {
  DELIVERY_DECISIONS,
  DIALOGUE_STATUSES,
  JOB_STATES,
  OUTBOX_PRIORITIES,
  OUTBOX_STATES,
  TASK_KINDS,
  type TimerEvent,
} from '../schema.js';

/** A 64-bit integer read as a JS number: ids, epoch-ms instants, outside ids. */
const int64 = (name: string) => bigint(name, { mode: 'number' });

/** A generated 64-bit primary key, like SQLite's `integer primary key autoincrement`. */
const id = () => int64('id').primaryKey().generatedByDefaultAsIdentity();

// === Dialogues =============================================================================

export const conversations = pgTable(
  'conversations',
  {
    id: id(),
    channel: text('channel', { enum: CHAT_CHANNELS }).notNull(),
    chatId: text('chat_id').notNull(),
    phone: text('phone'),
    language: text('language'),
    lastUpdateId: int64('last_update_id'),
    unreachableAt: int64('unreachable_at'),
    unreachableReason: text('unreachable_reason'),
    createdAt: int64('created_at').notNull(),
    updatedAt: int64('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('conversations_channel_chat_uq').on(t.channel, t.chatId),
    index('conversations_phone_idx').on(t.phone),
  ],
);

export const dialogues = pgTable(
  'dialogues',
  {
    id: id(),
    conversationId: int64('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    machineId: text('machine_id').notNull(),
    machineVersion: integer('machine_version').notNull(),
    snapshot: jsonb('snapshot').$type<unknown>().notNull(),
    status: text('status', { enum: DIALOGUE_STATUSES }).notNull().default('active'),
    recordId: int64('record_id'),
    /** Bumped by every write of the row; a step commits only over the version it read. */
    version: integer('version').notNull().default(0),
    createdAt: int64('created_at').notNull(),
    updatedAt: int64('updated_at').notNull(),
  },
  (t) => [
    index('dialogues_conversation_status_idx').on(t.conversationId, t.status),
    // One active dialogue per conversation, enforced by the database (see the SQLite schema).
    uniqueIndex('dialogues_one_active_uq').on(t.conversationId).where(sql`${t.status} = 'active'`),
  ],
);

export const timers = pgTable(
  'timers',
  {
    id: id(),
    dialogueId: int64('dialogue_id')
      .notNull()
      .references(() => dialogues.id, { onDelete: 'cascade' }),
    sendId: text('send_id').notNull(),
    event: jsonb('event').$type<TimerEvent>().notNull(),
    dueAt: int64('due_at').notNull(),
    firedAt: int64('fired_at'),
  },
  (t) => [
    uniqueIndex('timers_dialogue_send_uq').on(t.dialogueId, t.sendId),
    index('timers_due_unfired_idx').on(t.dueAt).where(sql`${t.firedAt} IS NULL`),
  ],
);

// === Altegio mirror ========================================================================

export const records = pgTable(
  'records',
  {
    companyId: int64('company_id').notNull(),
    recordId: int64('record_id').notNull(),
    clientPhone: text('client_phone'),
    clientId: int64('client_id'),
    staffIds: jsonb('staff_ids').$type<number[]>().notNull(),
    datetime: text('datetime').notNull(),
    seanceLength: integer('seance_length').notNull(),
    attendance: integer('attendance').notNull(),
    deleted: boolean('deleted').notNull(),
    lastChangeDate: text('last_change_date').notNull(),
    lastChangeAt: int64('last_change_at').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    updatedAt: int64('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.companyId, t.recordId] }),
    index('records_client_phone_idx').on(t.clientPhone),
  ],
);

// === Notifications pipeline ================================================================

export const jobs = pgTable(
  'jobs',
  {
    id: id(),
    kind: text('kind').notNull(),
    dueAt: int64('due_at').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    state: text('state', { enum: JOB_STATES }).notNull().default('pending'),
    companyId: int64('company_id'),
    recordId: int64('record_id'),
    createdAt: int64('created_at').notNull(),
    updatedAt: int64('updated_at').notNull(),
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

export const outbox = pgTable(
  'outbox',
  {
    id: id(),
    channel: text('channel', { enum: CHAT_CHANNELS }).notNull(),
    recipient: text('recipient').notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    state: text('state', { enum: OUTBOX_STATES }).notNull().default('pending'),
    priority: text('priority', { enum: OUTBOX_PRIORITIES }).notNull().default('interactive'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: int64('next_attempt_at').notNull(),
    createdAt: int64('created_at').notNull(),
    sentAt: int64('sent_at'),
    /**
     * The process (its `engine_instances` id) whose claim leased the row, so that a process
     * starting frees only the leases of processes no longer live (see `outbox.releaseLeases`).
     * Null when no process holds it: never claimed, or back from a failed send.
     */
    leaseOwner: integer('lease_owner'),
  },
  (t) => [
    uniqueIndex('outbox_idempotency_key_uq').on(t.idempotencyKey),
    // One chat's pending rows in the order written: what a per-chat claim walks.
    index('outbox_pending_chat_idx').on(t.channel, t.recipient, t.id).where(sql`${t.state} = 'pending'`),
    index('outbox_pending_due_idx').on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
    // What a claim walks: interactive rows first, each priority by due time.
    index('outbox_pending_priority_idx')
      .on(t.priority.desc(), t.nextAttemptAt)
      .where(sql`${t.state} = 'pending'`),
  ],
);

export const inboundEvents = pgTable(
  'inbound_events',
  {
    source: text('source').notNull(),
    eventId: text('event_id').notNull(),
    receivedAt: int64('received_at').notNull(),
    payload: jsonb('payload').$type<unknown>(),
    processedAt: int64('processed_at'),
  },
  (t) => [
    primaryKey({ columns: [t.source, t.eventId] }),
    index('inbound_unprocessed_idx').on(t.receivedAt).where(sql`${t.processedAt} IS NULL`),
  ],
);

export const deliveries = pgTable(
  'deliveries',
  {
    id: id(),
    companyId: int64('company_id').notNull(),
    recordId: int64('record_id'),
    clientPhone: text('client_phone'),
    kind: text('kind').notNull(),
    decision: text('decision', { enum: DELIVERY_DECISIONS }).notNull(),
    reason: text('reason').notNull(),
    channel: text('channel', { enum: CHAT_CHANNELS }),
    createdAt: int64('created_at').notNull(),
  },
  (t) => [
    index('deliveries_phone_idx').on(t.clientPhone, t.createdAt),
    index('deliveries_record_idx').on(t.recordId, t.createdAt),
  ],
);

export const tasks = pgTable(
  'tasks',
  {
    id: id(),
    kind: text('kind', { enum: TASK_KINDS }).notNull(),
    title: text('title').notNull(),
    recordId: int64('record_id').notNull(),
    companyId: int64('company_id').notNull(),
    clientPhone: text('client_phone'),
    rating: integer('rating'),
    comment: text('comment'),
    createdAt: int64('created_at').notNull(),
    done: boolean('done').notNull().default(false),
    doneAt: int64('done_at'),
  },
  (t) => [index('tasks_done_created_idx').on(t.done, t.createdAt)],
);

export const ratings = pgTable(
  'ratings',
  {
    companyId: int64('company_id').notNull(),
    recordId: int64('record_id').notNull(),
    rating: integer('rating').notNull(),
    comment: text('comment'),
    createdAt: int64('created_at').notNull(),
    updatedAt: int64('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.recordId] })],
);

export const recordSyncs = pgTable('record_syncs', {
  companyId: int64('company_id').primaryKey(),
  lastSyncAt: int64('last_sync_at'),
  lastFullSyncAt: int64('last_full_sync_at'),
  lastCount: integer('last_count').notNull().default(0),
  lastError: text('last_error'),
  lastErrorAt: int64('last_error_at'),
  updatedAt: int64('updated_at').notNull(),
});

// === Altegio call budget (Postgres only) =================================================

/**
 * Slots of the Altegio call budget shared by every process behind one egress IP
 * (`src/altegio/pg-budget.ts`). SQLite mode is one process and keeps its budget in memory, so
 * there is no SQLite twin. A row is a call let go: `finished_at` is null while it is in flight.
 * Rows older than the longest window are pruned by the processes themselves.
 */
export const altegioBudgetSlots = pgTable(
  'altegio_budget_slots',
  {
    id: id(),
    egressKey: text('egress_key').notNull(),
    priority: text('priority').notNull(),
    grantedAt: int64('granted_at').notNull(),
    finishedAt: int64('finished_at'),
    /** `<hostname>:<pid>`: who holds the slot, for anyone looking at a stuck one. */
    holder: text('holder').notNull(),
  },
  (t) => [index('altegio_budget_slots_key_idx').on(t.egressKey, t.finishedAt)],
);

/** Until when a 429 stopped every process of an egress key (epoch ms). */
export const altegioBudgetPauses = pgTable('altegio_budget_pauses', {
  egressKey: text('egress_key').primaryKey(),
  pausedUntil: int64('paused_until').notNull(),
});

// === Engine processes on one database (Postgres only) ====================================

/**
 * The engine processes sharing this database (`src/store/pg/instances.ts`). A process adds its row
 * at start, refreshes `seen_at` periodically and deletes the row on a clean stop; while it runs it
 * also holds a session advisory lock keyed by its `id`, so a killed process (whose connection the
 * server closes) is known gone at once rather than when its `seen_at` grows old. `long_polling`:
 * it takes Telegram's updates by long polling, which only one process may do (Telegram answers a
 * second `getUpdates` with 409 Conflict), so it must be the only process on the database.
 * `seen_at` and `started_at` are the database server's clock (epoch ms), shared by all processes.
 */
export const engineInstances = pgTable('engine_instances', {
  /** `integer`: it keys the instance's advisory lock, whose keys are 32-bit. */
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  longPolling: boolean('long_polling').notNull(),
  startedAt: int64('started_at').notNull(),
  seenAt: int64('seen_at').notNull(),
  /** A tenant host's salons whose engines run in it; a salon is dropped once no live row lists it. */
  tenants: text('tenants').array().notNull().default(sql`'{}'::text[]`),
});

/**
 * The salons of a multi-tenant deployment (`src/tenants/`), read by the host in the default
 * schema; each tenant's own tables are in its schema `tenant_<id>`. It holds what the tenant's
 * engine needs to run: Altegio and Telegram credentials, the secrets of its webhook paths and
 * admin access, and its settings document. `settings_version` grows with every saved change, so
 * other processes know to reload. Times are epoch ms.
 */
export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  altegioPartnerToken: text('altegio_partner_token'),
  altegioUserToken: text('altegio_user_token'),
  altegioApiUrl: text('altegio_api_url'),
  telegramBotToken: text('telegram_bot_token'),
  webhookSecret: text('webhook_secret').notNull(),
  adminToken: text('admin_token').notNull(),
  settings: jsonb('settings').$type<unknown>().notNull(),
  settingsVersion: integer('settings_version').notNull().default(0),
  createdAt: int64('created_at').notNull(),
  /** Set when removal began: processes stop the tenant's engine, then its data is dropped. */
  removingSince: int64('removing_since'),
});

// === Row types: the same as SQLite's ======================================================

/**
 * Holds only when `Row` and `Sqlite` are assignable both ways: a Postgres row is what the ports
 * promise, and an SQLite-typed value (what callers pass back, e.g. a dialogue to save) fits a row.
 */
type Same<Row, Sqlite> = [Row] extends [Sqlite] ? ([Sqlite] extends [Row] ? true : false) : false;

/** Fails to compile when a table's rows drift from the SQLite ones. */
export type RowTypesMatch = [
  Same<typeof conversations.$inferSelect, sqlite.Conversation>,
  Same<typeof dialogues.$inferSelect, sqlite.Dialogue>,
  Same<typeof timers.$inferSelect, sqlite.Timer>,
  Same<typeof records.$inferSelect, sqlite.RecordRow>,
  Same<typeof jobs.$inferSelect, sqlite.Job>,
  Same<typeof outbox.$inferSelect, sqlite.OutboxMessage>,
  Same<typeof inboundEvents.$inferSelect, sqlite.InboundEvent>,
  Same<typeof deliveries.$inferSelect, sqlite.Delivery>,
  Same<typeof tasks.$inferSelect, sqlite.Task>,
  Same<typeof ratings.$inferSelect, sqlite.Rating>,
  Same<typeof recordSyncs.$inferSelect, sqlite.RecordSync>,
] extends true[]
  ? true
  : never;
const rowTypesMatch: RowTypesMatch = true;
void rowTypesMatch;
