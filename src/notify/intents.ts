import type { AdminNotifyIntent, DialogueIntent, TaskCreateIntent } from '../../machines/shared/events.js';
import type { IntentContext } from '../dialogues/runtime.js';
import type { Language } from '../domain/settings.js';
import type { Store } from '../store/index.js';
import { botT } from '../templates/i18n.js';
import type { AdminMessenger } from './admin.js';

/**
 * Acts on what reminder and feedback dialogues ask for besides replying: a message to the admin,
 * a task. Runs inside the step's transaction (see the runtime's `onIntents`).
 */
export function createIntentHandler(options: {
  store: Store;
  tellAdmin: AdminMessenger;
  language: () => Language;
}) {
  const { store, tellAdmin } = options;

  async function notifyAdmin(intent: AdminNotifyIntent, key: string): Promise<void> {
    const { reason, companyId, recordId } = intent;
    switch (reason) {
      case 'prepaid-cancel-refused':
        await tellAdmin('admin.prepaid-cancel-refused', { companyId, recordId }, `${key}:${reason}`);
        return;
      case 'write-failed': {
        // What the client asked for and why Altegio refused: what the admin needs to fix the record.
        const t = botT(options.language());
        const action = t(intent.action === 'cancel' ? 'admin.action.cancel' : 'admin.action.confirm');
        const detail = intent.detail ?? t('admin.noDetail');
        await tellAdmin(
          'admin.write-failed-detail',
          { companyId, recordId, action, detail },
          `${key}:${reason}`,
        );
        return;
      }
      default:
        unhandled(reason);
    }
  }

  async function createTask(intent: TaskCreateIntent, key: string, context: IntentContext): Promise<void> {
    const { kind, companyId, recordId, rating } = intent;
    const title = botT(options.language())('admin.poorRatingTitle', { rating });
    await store.tasks.create({
      kind,
      title,
      companyId,
      recordId,
      rating,
      clientPhone: context.conversation.phone,
    });
    await tellAdmin('admin.task', { title, companyId, recordId }, key);
  }

  return async (intents: ReadonlyArray<DialogueIntent>, context: IntentContext): Promise<void> => {
    for (const [index, intent] of intents.entries()) {
      const key = `intent:${context.dialogueId}:${intent.type}:${index}`;
      switch (intent.type) {
        case 'admin.notify':
          await notifyAdmin(intent, key);
          break;
        case 'task.create':
          await createTask(intent, key, context);
          break;
        default:
          unhandled(intent);
      }
    }
  };
}

/** A compile error when a machine emits an intent this handler does not know. */
function unhandled(value: never): never {
  throw new Error(`intent not handled: ${JSON.stringify(value)}`);
}
