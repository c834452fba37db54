/**
 * The `store` part: the settings file and the database — SQLite at `DATABASE_PATH`, or Postgres
 * when `DATABASE_URL` is set. Started first and stopped last, so every other part can write until
 * it has stopped.
 *
 * @module
 */
import type pg from 'pg';
import type { Env } from '../config/env.js';
import { loadSettingsFile } from '../config/settings-file.js';
import { createSettingsHolder, type SettingsHolder } from '../config/settings-holder.js';
import type { DialogueStore } from '../dialogues/store-port.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../log.js';
import {
  DEADLINE_QUEUE,
  type DeadlineTriggers,
  parseDeadlineTriggerData,
  withDeadlineTriggers,
} from '../queue/deadline-triggers.js';
import {
  type JobTriggers,
  NOTIFICATION_QUEUE,
  parseTriggerData,
  withJobTriggers,
} from '../queue/job-triggers.js';
import {
  OUTBOX_QUEUE,
  type OutboxTriggers,
  parseOutboxTriggerData,
  withOutboxTriggers,
} from '../queue/outbox-triggers.js';
import { type PgBossQueues, startPgBossQueues } from '../queue/pg-boss.js';
import { type Checkpointer, startCheckpointer } from '../store/checkpointer.js';
import { createSqliteDialogueStore } from '../store/dialogue-store.js';
import { createStore, type Store } from '../store/index.js';
import { createPostgresDialogueStore } from '../store/pg/dialogue-store.js';
import { openPostgresStore } from '../store/pg/index.js';
import { redactDatabaseUrl } from '../store/pg/url.js';
import type { Part } from './lifecycle.js';

export interface StorePart extends Part {
  /** Available once started. */
  readonly store: Store;
  /** The dialogue runtime's store on the same database. Available once started. */
  readonly dialogueStore: DialogueStore;
  readonly settings: SettingsHolder;
  /** On Postgres: pg-boss runs the notification jobs through these. Undefined on SQLite. */
  readonly jobTriggers: JobTriggers | undefined;
  /** On Postgres: pg-boss decides when dialogue deadlines are due. Undefined on SQLite. */
  readonly deadlineTriggers: DeadlineTriggers | undefined;
  /** On Postgres: pg-boss says when a chat has messages to send. Undefined on SQLite. */
  readonly outboxTriggers: OutboxTriggers | undefined;
}

/** What a tenant host (`tenants/host.ts`) gives a tenant's engine instead of the env's defaults. */
export interface HostedStore {
  /** Settings kept by the host (in the tenants registry), used instead of `SETTINGS_FILE`. */
  settings?: SettingsHolder;
  /** The Postgres schema of this engine's tables and of its pg-boss queues (`<schema>_boss`). */
  schema?: string;
  /** The host's pool, borrowed instead of opening one. */
  shared?: pg.Pool;
}

export function createStorePart(env: Env, clock: Clock, logger: Logger, hosted: HostedStore = {}): StorePart {
  const announce = (database: string, applied: number) =>
    logger.info(
      { database, applied },
      applied > 0 ? `applied ${applied} database migration(s)` : 'database schema up to date',
    );
  let store: Store | undefined;
  let dialogueStore: DialogueStore | undefined;
  let settings: SettingsHolder | undefined;
  let checkpointer: Checkpointer | undefined;
  let queues: PgBossQueues | undefined;
  let jobTriggers: JobTriggers | undefined;
  let deadlineTriggers: DeadlineTriggers | undefined;
  let outboxTriggers: OutboxTriggers | undefined;
  async function loadSettings(): Promise<SettingsHolder> {
    const loaded = await loadSettingsFile(env.settingsFile, { explicit: env.settingsFileExplicit });
    if (!loaded.ok) throw loaded.error;
    logger.info(
      { settingsFile: env.settingsFile },
      loaded.source === 'defaults' ? 'no settings file found, using defaults' : 'settings loaded',
    );
    return createSettingsHolder(loaded.settings, env.settingsFile);
  }
  return {
    name: 'store',
    get store() {
      if (!store) throw new Error('the store part has not started');
      return store;
    },
    get dialogueStore() {
      if (!dialogueStore) throw new Error('the store part has not started');
      return dialogueStore;
    },
    get settings() {
      if (!settings) throw new Error('the store part has not started');
      return settings;
    },
    get jobTriggers() {
      return jobTriggers;
    },
    get deadlineTriggers() {
      return deadlineTriggers;
    },
    get outboxTriggers() {
      return outboxTriggers;
    },
    async start() {
      settings = hosted.settings ?? (await loadSettings());
      if (env.databaseUrl !== undefined) {
        const { schema, shared } = hosted;
        const opened = await openPostgresStore(env.databaseUrl, {
          clock,
          ...(schema ? { schema } : {}),
          ...(shared ? { shared } : {}),
          // The engine goes on: the next statement opens a new connection or fails as any other.
          onConnectionLost: (reason) => logger.warn({ reason }, 'a database connection was lost'),
        });
        let wired: ReturnType<typeof withJobTriggers>;
        let deadlines: ReturnType<typeof withDeadlineTriggers>;
        let messages: ReturnType<typeof withOutboxTriggers>;
        try {
          // pg-boss on the store's pool: its sends join our transactions through `executeSql`.
          queues = await startPgBossQueues({
            pool: opened.pool,
            logger: logger.child({ component: 'queue' }),
            ...(schema ? { schema: `${schema}_boss` } : {}),
          });
          const queue = await queues.queue(NOTIFICATION_QUEUE, parseTriggerData);
          wired = withJobTriggers(opened, queue, logger.child({ component: 'queue' }));
          const deadlineQueue = await queues.queue(DEADLINE_QUEUE, parseDeadlineTriggerData);
          deadlines = withDeadlineTriggers(wired.store, deadlineQueue, logger.child({ component: 'queue' }));
          const outboxQueue = await queues.queue(OUTBOX_QUEUE, parseOutboxTriggerData);
          messages = withOutboxTriggers(deadlines.store, outboxQueue, logger.child({ component: 'queue' }));
        } catch (error) {
          await queues?.stop().catch(() => {});
          await opened.close();
          throw error;
        }
        store = messages.store;
        jobTriggers = wired.triggers;
        deadlineTriggers = deadlines.triggers;
        outboxTriggers = messages.triggers;
        dialogueStore = createPostgresDialogueStore(messages.store, { clock });
        announce(redactDatabaseUrl(env.databaseUrl), opened.migrationsApplied);
        return;
      }
      const opened = createStore(env.databasePath, { clock });
      store = opened;
      dialogueStore = createSqliteDialogueStore(opened, { clock });
      announce(env.databasePath, opened.migrationsApplied);
      try {
        if (!opened.sqlite.memory) {
          checkpointer = startCheckpointer(opened.sqlite, { onProblem: (problem) => logger.warn(problem) });
        }
      } catch (error) {
        // A part that fails to start releases what it holds; the lifecycle stops only started parts.
        await opened.close();
        throw error;
      }
    },
    async stop() {
      await checkpointer?.stop();
      // pg-boss runs on the store's pool: stopped (its workers were stopped already) before it closes.
      await queues?.stop();
      await store?.close();
    },
  };
}
