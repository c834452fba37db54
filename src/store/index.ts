/**
 * The store: small repositories behind async ports (`ports.ts`), on SQLite through drizzle
 * (`sqlite-store.ts`).
 *
 * @example
 * ```ts
 * const store = createStore(env.databasePath);
 * await store.jobs.recoverInterrupted();
 * const conversation = await store.conversations.upsert('telegram', String(chat.id));
 * ```
 *
 * @module
 */
export * from './conversations.js';
export * from './db.js';
export * from './deliveries.js';
export * from './dialogues.js';
export * from './inbound.js';
export * from './jobs.js';
export * from './outbox.js';
export * from './ports.js';
export * from './ratings.js';
export * from './records.js';
export * from './schema.js';
export * from './sqlite-store.js';
export * from './syncs.js';
export * from './tasks.js';
export * from './timers.js';
