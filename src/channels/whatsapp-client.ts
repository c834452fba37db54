/**
 * The part of whatsapp-web.js the WhatsApp channel uses, as structural types a test can fake, and
 * how the real client is built.
 */
import type { Client as RealClient, Message as RealMessage } from 'whatsapp-web.js';

/** The parts of a whatsapp-web.js `Message` the adapter reads. */
export interface WhatsAppMessageLike {
  /** `<digits>@c.us` for a person, `<n>@lid` for a privacy id, `…@g.us` for a group. */
  from: string;
  body: string;
  /** `chat` for text; media, stickers, locations and the like have other types. */
  type: string;
  fromMe: boolean;
  isStatus: boolean;
  /** Broadcast-list messages are one-to-many announcements, not a conversation. */
  broadcast?: boolean;
  id: { _serialized: string };
  /** Seconds since the epoch. */
  timestamp: number;
  /**
   * The raw WhatsApp Web model: not in the library's typings, but present at run time, and the only
   * place the sender's display name (`notifyName`) is available without another browser round trip.
   */
  _data?: { notifyName?: unknown };
}

/**
 * The minimal structural subset of whatsapp-web.js's `Client` the adapter uses, so tests can inject
 * a fake. The real `Client` satisfies it (checked at compile time just below).
 */
export interface WhatsAppClientLike {
  on(event: 'qr', listener: (qr: string) => void): unknown;
  on(event: 'authenticated', listener: () => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'auth_failure', listener: (message: string) => void): unknown;
  /** `reason` is `'LOGOUT'` or a WhatsApp Web state such as `'CONFLICT'` or `'UNPAIRED'`. */
  on(event: 'disconnected', listener: (reason: string) => void): unknown;
  /** Incoming messages only (not our own sends). */
  on(event: 'message', listener: (message: WhatsAppMessageLike) => void): unknown;
  initialize(): Promise<void>;
  destroy(): Promise<void>;
  /** Resolves with the sent message, or `undefined` when WhatsApp Web found no chat to send to. */
  sendMessage(chatId: string, content: string): Promise<unknown>;
  /** Maps a `@lid` privacy id to the phone's `@c.us` id (and back). */
  getContactLidAndPhone?(userIds: string[]): Promise<Array<{ lid: string; pn: string }>>;
  /** The registered id for a number, or `null` when the number is not on WhatsApp. */
  getNumberId?(number: string): Promise<{ _serialized: string } | null>;
  /**
   * The chat with this id. Typed as always found, but the library resolves `undefined` when WhatsApp
   * Web has no such chat (`Client.getChatById` in whatsapp-web.js 1.34.7), so that is allowed here.
   */
  getChatById?(chatId: string): Promise<WhatsAppChatLike | undefined>;
}

/** The part of a whatsapp-web.js `Chat` the adapter uses. */
export interface WhatsAppChatLike {
  /** Shows "typing…" to the other side; WhatsApp keeps it up to 25 s or until our next message. */
  sendStateTyping(): Promise<unknown>;
}

// Compile-time only (no runtime import): the real `Client` fits the interface, and a real `Message`
// carries every field the adapter reads. The second check is separate because listener parameters
// of methods are compared loosely, so the first alone would not catch a missing message field.
null as unknown as RealClient satisfies WhatsAppClientLike;
true satisfies RealMessage extends WhatsAppMessageLike ? true : false;

/**
 * Waits before the 1st, 2nd, … reconnection attempt; the last one repeats. Each attempt relaunches
 * Chromium, and WhatsApp frowns on a linked device that reconnects in a tight loop.
 */
export const DEFAULT_RECONNECT_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000, 300_000];

/** Chromium flags that work as root in a container (measured). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/**
 * Loads whatsapp-web.js and builds the real client. Loading takes about a second (puppeteer), so it
 * happens only here. The annotation is the compile-time proof that the real `Client` fits
 * {@link WhatsAppClientLike}.
 */
export async function createRealClient(config: {
  authPath: string;
  chromiumPath: string;
}): Promise<WhatsAppClientLike> {
  // Named imports fail under Node ESM (the package is CommonJS): take the default export apart.
  const { default: wweb } = await import('whatsapp-web.js');
  const client: WhatsAppClientLike = new wweb.Client({
    authStrategy: new wweb.LocalAuth({ dataPath: config.authPath }),
    puppeteer: { executablePath: config.chromiumPath, args: [...CHROMIUM_ARGS] },
  });
  return client;
}
