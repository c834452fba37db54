import type { Logger } from '../log.js';
import { describeError, type InboundMessage } from './channel.js';

/** Holds the handler an adapter's `start()` was given, and hands inbound messages to it. */
export interface InboundSlot {
  attach(handler: (message: InboundMessage) => void): void;
  /** After this (`stop()`), messages go nowhere. */
  detach(): void;
  /**
   * Hands a message over (to nobody before `attach`). A handler that throws is logged and goes no
   * further: one bad update must not stop the adapter.
   */
  deliver(message: InboundMessage): void;
}

/** Creates the slot; `context` adds fields to the log line of a handler that threw. */
export function createInboundSlot(
  logger: Pick<Logger, 'error'>,
  context: (message: InboundMessage) => Record<string, unknown> = () => ({}),
): InboundSlot {
  let handler: ((message: InboundMessage) => void) | undefined;
  return {
    attach: (next) => {
      handler = next;
    },
    detach: () => {
      handler = undefined;
    },
    deliver: (message) => {
      if (!handler) return;
      try {
        handler(message);
      } catch (error) {
        logger.error({ error: describeError(error), ...context(message) }, 'inbound handler threw');
      }
    },
  };
}
