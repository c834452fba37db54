import { describe } from 'vitest';
import { createMemoryDialogueStore } from '../../src/dialogues/memory-store.js';
import { dialogueStoreContract } from '../store/dialogue-store.contract.js';

describe('in-memory dialogue store', () => {
  dialogueStoreContract(async (clock) => {
    const store = createMemoryDialogueStore(clock);
    return {
      store,
      messages: async (chatId) =>
        store.messages(chatId).map(({ payload, idempotencyKey }) => ({ payload, idempotencyKey })),
      // Memory is the whole process: what a restart would read is what is there.
      reopen: async () => store,
    };
  });
});
