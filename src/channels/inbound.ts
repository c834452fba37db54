import type { Logger } from '../log.js';
import { describeError, type InboundMessage } from './channel.js';

/** Takes a message; a promise it returns settles once the message has been handled. */
export type InboundHandler = (message: InboundMessage) => unknown;

/** Holds the handler an adapter's `start()` was given, and hands inbound messages to it. */
export interface InboundSlot {
  attach(handler: InboundHandler): void;
  /** After this (`stop()`), messages go nowhere. */
  detach(): void;
  /**
   * Hands a message over (to nobody before `attach`) and returns what the handler returned. A
   * handler that throws is logged and goes no further: one bad update must not stop the adapter.
   */
  deliver(message: InboundMessage): unknown;
}

/** Creates the slot; `context` adds fields to the log line of a handler that threw. */
export function createInboundSlot(
  logger: Pick<Logger, 'error'>,
  context: (message: InboundMessage) => Record<string, unknown> = () => ({}),
): InboundSlot {
  let handler: InboundHandler | undefined;
  return {
    attach: (next) => {
      handler = next;
    },
    detach: () => {
      handler = undefined;
    },
    deliver: (message) => {
      if (!handler) return undefined;
      try {
        return handler(message);
      } catch (error) {
        logger.error({ error: describeError(error), ...context(message) }, 'inbound handler threw');
        return undefined;
      }
    },
  };
}
