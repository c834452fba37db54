/**
 * Telegram updates kept from the moment they arrive until the runtime has handled them.
 *
 * Telegram counts an update delivered once the webhook answered 200, or once the next
 * `getUpdates` confirmed its offset; the step it starts may take seconds longer (Altegio calls).
 * A process dying in between would lose the client's message. So each update is kept in the
 * inbound ledger before Telegram hears back, marked done once handled, and what is still pending
 * is handed over again when a process starts.
 *
 * @module
 */
import type { Update } from 'telegraf/types';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { InboundPort } from '../store/ports.js';

export interface UpdateJournal {
  /** Keeps an update; false when it was kept before (Telegram sending it again), and is dropped. */
  keep(update: Update): Promise<boolean>;
  /** The update was handled, or had nothing to hand over: it is not replayed. */
  done(updateId: number): Promise<void>;
  /** Kept and not done, oldest first: handed over again at start. */
  pending(): Promise<Update[]>;
}

/** The ledger's source for Telegram updates. */
const SOURCE = 'telegram';
/** Enough for any backlog one crash leaves; the rest waits for the next start. */
const REPLAY_LIMIT = 10_000;

// Written by `keep` from an update Telegram sent; only its id is relied on before telegraf routes it.
const KeptUpdate = z.looseObject({ update_id: z.number().int() });

export function createUpdateJournal(
  inbound: Pick<InboundPort, 'recordIfNew' | 'markProcessed' | 'unprocessed'>,
  logger: Logger,
): UpdateJournal {
  return {
    keep: (update) => inbound.recordIfNew(SOURCE, String(update.update_id), update),

    async done(updateId) {
      await inbound.markProcessed(SOURCE, String(updateId));
    },

    async pending() {
      const updates: Update[] = [];
      for (const row of await inbound.unprocessed(REPLAY_LIMIT, SOURCE)) {
        const parsed = KeptUpdate.safeParse(row.payload);
        if (parsed.success) {
          updates.push(parsed.data as unknown as Update);
          continue;
        }
        logger.error({ eventId: row.eventId }, 'a kept Telegram update is unreadable; dropped');
        await inbound.markProcessed(SOURCE, row.eventId);
      }
      return updates;
    },
  };
}
