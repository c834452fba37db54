import type { InspectionEvent } from 'xstate';
import { maskPhone, normalizePhone } from '../domain/phone.js';
import type { Logger } from '../log.js';

/** Context and event keys whose values identify a client: never sent to the inspector as they are. */
const NAME_KEYS = new Set(['fullname', 'fullName', 'displayName', 'clientName', 'comment', 'text']);

/** A deep copy with phones masked and names and free text replaced, for the inspector's eyes. */
export function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (NAME_KEYS.has(key)) return '[redacted]';
    if (/phone/i.test(key) || (normalizePhone(value) !== null && /^\+?[\d\s()-]{10,}$/.test(value))) {
      return maskPhone(value);
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

export interface RunningInspector {
  inspect(event: InspectionEvent): void;
  stop(): Promise<void>;
}

/**
 * `INSPECT=1` / `start --inspect`: a local inspector server (`@statelyai/inspect/server`, on
 * loopback) with every dialogue actor attached through a WebSocket client, client data redacted.
 * Never the hosted "sky" inspector, which would send client data off the machine. Loaded lazily:
 * it keeps sockets open, so it exists only when asked for.
 */
export async function startInspector(logger: Logger, port = 8080): Promise<RunningInspector> {
  const { createInspectorServer } = await import('@statelyai/inspect/server');
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const server = createInspectorServer({ port, autoOpen: false });
  const inspector = createWebSocketInspector({
    url: `ws://127.0.0.1:${port}`,
    sanitizeContext: (context) => redact(context) as typeof context,
    sanitizeEvent: (event) => redact(event) as typeof event,
  });
  logger.info(
    { port },
    `XState inspector: open http://localhost:${port} in a browser to watch the dialogues (client data is redacted)`,
  );
  return {
    inspect: (event) => inspector.inspect.next?.(event),
    async stop() {
      inspector.stop();
      server.stop();
    },
  };
}
