import type { AdminNotifyIntent, TaskCreateIntent } from '../../machines/shared/events.js';
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
  return (intents: ReadonlyArray<{ type: string }>, context: IntentContext): void => {
    intents.forEach((intent, index) => {
      const key = `intent:${context.dialogueId}:${intent.type}:${index}`;
      if (intent.type === 'admin.notify') {
        const { reason, companyId, recordId } = intent as AdminNotifyIntent;
        tellAdmin(`admin.${reason}`, { companyId, recordId }, `${key}:${reason}`);
      } else if (intent.type === 'task.create') {
        const { kind, companyId, recordId, rating } = intent as TaskCreateIntent;
        const title = botT(options.language())('admin.poorRatingTitle', { rating });
        store.tasks.create({
          kind,
          title,
          companyId,
          recordId,
          rating,
          clientPhone: context.conversation.phone,
        });
        tellAdmin('admin.task', { title, companyId, recordId }, key);
      }
    });
  };
}
