/**
 * Notifications: Altegio webhooks are mirrored and plan jobs; due jobs send notices, start
 * reminder and feedback dialogues, and write Confirm/Cancel to Altegio. Its worker runs in the
 * engine's `workers` part; this builds the pieces.
 *
 * @module
 */
import type { CachedAltegioApi } from '../altegio/cache.js';
import { servedBranchIds } from '../dialogues/booking-port.js';
import { notificationDialogues } from '../dialogues/notification-dialogues.js';
import type { DialogueRuntime } from '../dialogues/runtime.js';
import type { ChatChannel } from '../domain/channels.js';
import type { Clock } from '../domain/clock.js';
import type { Settings } from '../domain/settings.js';
import type { Logger } from '../log.js';
import { createAdminMessenger } from '../notify/admin.js';
import { createIngest } from '../notify/ingest.js';
import { createIntentHandler } from '../notify/intents.js';
import { createPlanner } from '../notify/planner.js';
import { createReconciler } from '../notify/reconcile.js';
import { renderTemplate } from '../notify/render.js';
import { createVisitWrites } from '../notify/visit-writes.js';
import { createNotificationWorker, type JobClaims } from '../notify/worker.js';
import type { JobTriggers } from '../queue/job-triggers.js';
import type { Store } from '../store/index.js';
import type { EngineErrorHandler } from './errors.js';

export interface NotificationsOptions {
  store: Store;
  altegio: CachedAltegioApi;
  settings(): Settings;
  clock: Clock;
  logger: Logger;
  onError: EngineErrorHandler;
  isRunning(channel: ChatChannel): boolean;
  serveAllBranches: boolean;
  /** The dialogue runtime (started after this is built). */
  runtime(): Pick<DialogueRuntime, 'startDialogue'>;
  /** The outbox worker's wake: something was queued. */
  onOutbox(): void;
  /** Jobs were planned (the playground shows them). */
  onPlanned?(): void;
  /** On Postgres: pg-boss runs the notification jobs (see `queue/job-triggers.ts`). */
  jobTriggers?: JobTriggers | undefined;
  /** Where processes share the database: this one's id, and who is live or gone. */
  jobClaims?: JobClaims | undefined;
  /** Between reconcile syncs of the served branches' records. */
  reconcileIntervalMs?: number | undefined;
}

export function createNotifications(options: NotificationsOptions) {
  const { store, altegio, settings, clock, logger, isRunning, onOutbox } = options;
  const notifyLogger = logger.child({ component: 'notify' });
  const tellAdmin = createAdminMessenger({ store, settings, isRunning, logger });
  const branchSource = { altegio, settings, serveAllBranches: options.serveAllBranches };
  // Confirm/Cancel: acknowledged at once, written to Altegio from the jobs table.
  const visitWrites = createVisitWrites({
    store,
    // After a client's booking steps, before notifications, in the Altegio budget.
    altegio: altegio.withPriority('write'),
    settings,
    clock,
    logger: notifyLogger,
    isRunning,
    tellAdmin,
    onQueued: () => worker.wake(),
    onOutbox,
  });
  const worker = createNotificationWorker({
    store,
    settings,
    altegio: altegio.withPriority('notify'),
    clock,
    logger: notifyLogger,
    isRunning,
    render: renderTemplate,
    ...notificationDialogues(options.runtime),
    branchIds: () => servedBranchIds(branchSource),
    onOutbox,
    visitWrites,
    tellAdmin,
    triggers: options.jobTriggers,
    claims: options.jobClaims,
    onError: (error) =>
      options.onError({ part: 'notifications', error, during: 'running notification jobs' }),
  });
  const ingest = createIngest({
    store,
    altegio,
    logger: logger.child({ component: 'ingest' }),
    plan: createPlanner({ store, settings, clock, logger, tellAdmin }),
    onPlanned: () => {
      worker.wake();
      options.onPlanned?.();
    },
    onError: (error, ledgerKey) =>
      options.onError({ part: 'ingest', error, during: `processing Altegio webhook ${ledgerKey}` }),
  });
  const branchIds = () => servedBranchIds(branchSource);
  // Webhooks Altegio did not deliver are caught by listing the branches' records.
  const reconciler = createReconciler({
    store,
    // Background reads: the lowest share of the call budget, behind bookings, writes and notices.
    altegio: altegio.withPriority('sync'),
    ingest,
    branchIds,
    clock,
    logger: logger.child({ component: 'reconcile' }),
    onError: (error, during) => options.onError({ part: 'sync', error, during }),
    ...(options.reconcileIntervalMs ? { intervalMs: options.reconcileIntervalMs } : {}),
  });
  const onIntents = createIntentHandler({ store, tellAdmin, language: () => settings().variables.language });
  return { tellAdmin, visitWrites, worker, ingest, reconciler, onIntents, branchIds };
}

export type Notifications = ReturnType<typeof createNotifications>;
