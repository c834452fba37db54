/**
 * A stand-in for whatsapp-web.js's `Client` in tests: the same events with the same argument shapes
 * (`qr` → string, `authenticated`/`ready` → nothing, `disconnected` → reason, `message` → a
 * Message-like object), no browser and no network. Tests drive the phone's side with `scan()`,
 * `receive()` and `disconnect()`, and read what the bot sent from `sent`.
 */
import { EventEmitter } from 'node:events';
import type { WhatsAppClientLike, WhatsAppMessageLike } from '../../src/channels/whatsapp.js';
import type { WhatsAppChatLike } from '../../src/channels/whatsapp-client.js';

/** One `sendMessage` call that succeeded. */
export interface SentWhatsApp {
  chatId: string;
  text: string;
  /** `Date.now()` when sent (follows fake timers). */
  at: number;
}

export interface FakeWhatsAppOptions {
  /** A saved session: `initialize()` goes straight to `authenticated` and `ready`, no QR. */
  loggedIn?: boolean;
  /** `@lid` privacy id → phone `<digits>@c.us`, answered by `getContactLidAndPhone`. */
  lids?: Record<string, string>;
  /** Numbers (digits) `getNumberId` reports as not on WhatsApp. */
  notOnWhatsApp?: string[];
}

let serial = 0;

export class FakeWhatsAppClient extends EventEmitter implements WhatsAppClientLike {
  readonly sent: SentWhatsApp[] = [];
  /** Chat ids shown "typing…" through `Chat.sendStateTyping()`, in order. */
  readonly typing: string[] = [];
  initializeCalls = 0;
  destroyCalls = 0;
  /** Between `initialize()` and `destroy()`, like the real client's open browser. */
  launched = false;
  private loggedIn: boolean;
  private readonly failures: Error[] = [];
  private readonly typingFailures: Error[] = [];
  private readonly lids: Record<string, string>;
  private readonly notOnWhatsApp: Set<string>;

  constructor(options: FakeWhatsAppOptions = {}) {
    super();
    this.loggedIn = options.loggedIn ?? false;
    this.lids = options.lids ?? {};
    this.notOnWhatsApp = new Set(options.notOnWhatsApp ?? []);
  }

  /** Like the real client: a saved session logs straight in, otherwise a QR code is shown to scan. */
  async initialize(): Promise<void> {
    this.initializeCalls += 1;
    this.launched = true;
    if (this.loggedIn) {
      this.emit('authenticated');
      this.emit('ready');
    } else {
      this.emit('qr', `2@fake-qr-${this.initializeCalls},ZmFrZS1rZXk=,ZmFrZS1pZA==`);
    }
  }

  async destroy(): Promise<void> {
    this.destroyCalls += 1;
    this.launched = false;
  }

  /** The salon's phone scanned the QR code: the session is saved and the client gets ready. */
  scan(): void {
    this.loggedIn = true;
    this.emit('authenticated');
    this.emit('ready');
  }

  /** The next `sendMessage` rejects with this error (as a puppeteer evaluation error would). */
  failNext(error: Error): void {
    this.failures.push(error);
  }

  async sendMessage(chatId: string, content: string): Promise<WhatsAppMessageLike> {
    if (!this.launched) throw new TypeError("Cannot read properties of null (reading 'evaluate')");
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push({ chatId, text: content, at: Date.now() });
    return this.message({ from: 'me@c.us', body: content, fromMe: true, remote: chatId });
  }

  async getContactLidAndPhone(userIds: string[]): Promise<Array<{ lid: string; pn: string }>> {
    // The real one answers `{}` fields (undefined) for an id WhatsApp cannot resolve.
    return userIds.map((id) => ({ lid: id, pn: this.lids[id] as string }));
  }

  async getNumberId(number: string): Promise<{ server: string; user: string; _serialized: string } | null> {
    const user = number.replace(/@c\.us$/, '');
    if (this.notOnWhatsApp.has(user)) return null;
    return { server: 'c.us', user, _serialized: `${user}@c.us` };
  }

  /**
   * Like the real `getChatById`: it needs the open browser page, and resolves `undefined` for a chat
   * WhatsApp Web cannot find (here: a number not on WhatsApp). The chat's `sendStateTyping()` also
   * needs the page, as the real one evaluates in it.
   */
  async getChatById(chatId: string): Promise<WhatsAppChatLike | undefined> {
    if (!this.launched) throw new TypeError("Cannot read properties of null (reading 'evaluate')");
    if (this.notOnWhatsApp.has(chatId.replace(/@c\.us$/, ''))) return undefined;
    return {
      sendStateTyping: async () => {
        if (!this.launched) throw new TypeError("Cannot read properties of null (reading 'evaluate')");
        const failure = this.typingFailures.shift();
        if (failure) throw failure;
        this.typing.push(chatId);
      },
    };
  }

  /** The next `sendStateTyping()` rejects with this error. */
  failNextTyping(error: Error): void {
    this.typingFailures.push(error);
  }

  /** A client writes to the salon: emits `message` like WhatsApp Web does for incoming messages. */
  receive(from: string, body: string, extras: Partial<WhatsAppMessageLike> = {}): WhatsAppMessageLike {
    const message = { ...this.message({ from, body, fromMe: false, remote: from }), ...extras };
    this.emit('message', message);
    return message;
  }

  /** The connection dropped (`'CONFLICT'`, `'UNPAIRED'`, `'LOGOUT'`…). */
  disconnect(reason = 'CONFLICT'): void {
    if (reason === 'LOGOUT') this.loggedIn = false;
    this.emit('disconnected', reason);
  }

  private message(fields: {
    from: string;
    body: string;
    fromMe: boolean;
    remote: string;
  }): WhatsAppMessageLike {
    serial += 1;
    const id = `FAKE${serial.toString(16).toUpperCase().padStart(12, '0')}`;
    return {
      from: fields.from,
      body: fields.body,
      type: 'chat',
      fromMe: fields.fromMe,
      isStatus: fields.from === 'status@broadcast',
      broadcast: false,
      id: { _serialized: `${fields.fromMe}_${fields.remote}_${id}` },
      timestamp: Math.floor(Date.now() / 1000),
    };
  }
}
