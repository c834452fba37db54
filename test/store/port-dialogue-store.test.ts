import { describe } from 'vitest';
import { createPortDialogueStore } from '../../src/store/port-dialogue-store.js';
import type { Store } from '../../src/store/ports.js';
import { dialogueStoreContract } from './dialogue-store.contract.js';
import { storeDialects, useDialectStores } from './harness.js';

describe.each(storeDialects)('dialogue store over the store ports on $name', (dialect) => {
  const open = useDialectStores(dialect);
  dialogueStoreContract(async (clock) => {
    const store: Store = await open(clock);
    const dialogues = () => createPortDialogueStore(store, { clock });
    return {
      store: dialogues(),
      messages: async (chatId) =>
        (await store.outbox.list({ recipient: chatId }))
          .reverse()
          .map(({ payload, idempotencyKey }) => ({ payload, idempotencyKey })),
      // Nothing is cached between steps: a new instance over the same database is a restart.
      reopen: async () => dialogues(),
      updates: 'each',
    };
  });
});
