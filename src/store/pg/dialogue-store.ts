/**
 * The dialogue store the engine uses on Postgres: the one over the store ports, with each commit
 * first taking its chat's lock, so that several processes sharing the database commit one chat's
 * steps one at a time.
 *
 * @module
 */
import type { DialogueStore } from '../../dialogues/store-port.js';
import type { Clock } from '../../domain/clock.js';
import { createPortDialogueStore } from '../port-dialogue-store.js';
import type { PostgresStore } from './index.js';

/** First key of the per-chat advisory locks ("Chat"), apart from the budget's and pg-boss's. */
const CHAT_LOCK_NAMESPACE = 0x4368_6174;

/**
 * A transaction-scoped advisory lock on the conversation, released with the commit or with the
 * connection, so a killed process never leaves one held.
 */
function chatLock(store: PostgresStore): (conversationId: number) => Promise<void> {
  return async (conversationId) => {
    await store.executeSql('SELECT pg_advisory_xact_lock($1, $2)', [CHAT_LOCK_NAMESPACE, conversationId]);
  };
}

export function createPostgresDialogueStore(store: PostgresStore, options: { clock: Clock }): DialogueStore {
  return createPortDialogueStore(store, { clock: options.clock, lockChat: chatLock(store) });
}
