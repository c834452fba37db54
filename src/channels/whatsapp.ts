/**
 * The WhatsApp channel: whatsapp-web.js drives WhatsApp Web in a headless Chromium logged in as the
 * salon's phone (linked device). Incoming private text messages become machine events; replies go
 * out as text with numbered menus, because WhatsApp no longer shows buttons or lists sent this way.
 *
 * The client is injected in tests; in production it is created on `start()`, so that loading
 * whatsapp-web.js (about a second, it pulls in puppeteer) costs nothing when WhatsApp is off.
 */
import { join } from 'node:path';
import qrcode from 'qrcode-terminal';
import { maskPhone } from '../domain/phone.js';
import type { Logger } from '../log.js';
import { LruMap } from '../lru.js';
import { type ChannelAdapter, ChannelSendError, describeError, type OutboundMessage } from './channel.js';
import { type ChannelLimits, DEFAULT_LIMITS } from './dispatcher.js';
import { createInboundSlot } from './inbound.js';
import {
  createRealClient,
  DEFAULT_RECONNECT_DELAYS_MS,
  type WhatsAppClientLike,
  type WhatsAppMessageLike,
} from './whatsapp-client.js';
import { interpretReply, type OpenMenu, renderMenuText } from './whatsapp-menu.js';

export {
  CHROMIUM_ARGS,
  DEFAULT_RECONNECT_DELAYS_MS,
  type WhatsAppClientLike,
  type WhatsAppMessageLike,
} from './whatsapp-client.js';

/** Phrases the adapter adds on its own; supplied by the caller so i18n stays out of the adapter. */
export interface WhatsAppPhrases {
  /**
   * The line under a numbered menu. WhatsApp tells us nothing about the client's language, so the
   * adapter passes none; the engine should answer in `variables.language`.
   */
  menuHint(languageCode?: string): string;
}

const DEFAULT_PHRASES: WhatsAppPhrases = {
  menuHint: () => 'Reply with the number of your choice.',
};

/** Options of {@link createWhatsAppChannel}. */
export interface WhatsAppChannelOptions {
  logger: Logger;
  /** A ready-made client (tests); without it a real whatsapp-web.js `Client` is created on `start()`. */
  client?: WhatsAppClientLike;
  /** The data folder; the login session lives in `<dataPath>/whatsapp-auth`. */
  dataPath: string;
  /** System Chromium (`CHROMIUM_PATH`); default `/usr/bin/chromium`. Never downloaded. */
  chromiumPath?: string;
  phrases?: Partial<WhatsAppPhrases>;
  reconnect?: { delaysMs?: number[] };
  /**
   * Pacing for the dispatcher, over {@link DEFAULT_LIMITS}`.whatsapp`. WhatsApp bans numbers that
   * send in bursts, so salons with a young number may want it slower still. The adapter does not
   * pace by itself: the engine passes {@link WhatsAppChannel.limits} to the dispatcher.
   */
  limits?: Partial<ChannelLimits>;
  /** Where the login QR code is drawn; default standard output (the operator's terminal). */
  terminal?: { write(text: string): unknown };
}

/** The WhatsApp {@link ChannelAdapter}, plus the pacing the dispatcher should apply to it. */
export interface WhatsAppChannel extends ChannelAdapter {
  readonly name: 'whatsapp';
  /** Resolved pacing: pass as `limits.whatsapp` to `createDispatcher`. */
  readonly limits: ChannelLimits;
}

/** Open menus, `@lid` → `@c.us` mappings and number checks are kept for this many recent chats. */
const CHAT_MEMORY = 20_000;

/**
 * Creates the WhatsApp channel. Nothing is launched until `start()`.
 *
 * Inbound: private text messages only (groups, status updates, broadcasts, our own messages and
 * media are ignored). The chat id is the sender's `<digits>@c.us`; a `@lid` privacy id is mapped to
 * it when the client can, otherwise the lid is the chat id. A number answering the open menu is a
 * `user.choice`; `/start`, `/book`, `book`, `записаться`… are commands; anything else `user.text`.
 * The open menu per chat is kept in memory only: after a restart a number arrives as `user.text`.
 *
 * Outbound: text plus a numbered menu and a hint line; `askContact` is ignored, because on WhatsApp
 * the chat id already is the phone.
 */
export function createWhatsAppChannel(options: WhatsAppChannelOptions): WhatsAppChannel {
  const logger = options.logger.child({ channel: 'whatsapp' });
  const phrases: WhatsAppPhrases = { ...DEFAULT_PHRASES, ...options.phrases };
  const delays = options.reconnect?.delaysMs?.length
    ? options.reconnect.delaysMs
    : DEFAULT_RECONNECT_DELAYS_MS;
  const terminal = options.terminal ?? process.stdout;
  const limits: ChannelLimits = { ...DEFAULT_LIMITS.whatsapp, ...options.limits };
  const authPath = join(options.dataPath, 'whatsapp-auth');

  /**
   * The menu last shown per chat. Memory only, by design: how long a menu is valid is the dialogue's
   * business (its TTL and menu id); the adapter only needs to know what the numbers meant. After a
   * restart a number therefore arrives as `user.text`.
   */
  const menus = new LruMap<string, OpenMenu>(CHAT_MEMORY);
  const lidToChat = new LruMap<string, string>(CHAT_MEMORY);
  const numberIds = new LruMap<string, string>(CHAT_MEMORY);
  /** Per sender, the tail of its inbound chain: lid lookups are async and must not reorder messages. */
  const inboundTails = new Map<string, Promise<void>>();

  let client: WhatsAppClientLike | undefined;
  const inbound = createInboundSlot(logger, (message) => ({ chat: maskChat(message.chatId) }));
  let started = false;
  let ready = false;
  let attempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let qrShown = 0;
  /** "typing…" calls in flight: fire-and-forget, awaited only on stop. */
  const typingCalls = new Set<Promise<void>>();

  /** A menu whose send failed must not replace the one the client actually sees. */
  const restoreMenu = (chatId: string, previous: OpenMenu | undefined): void => {
    if (previous === undefined) menus.delete(chatId);
    else menus.set(chatId, previous);
  };

  /** The chat id for a `@lid` sender: the phone's `@c.us` id when WhatsApp Web will tell us. */
  const chatIdOf = async (from: string): Promise<string> => {
    if (!from.endsWith('@lid')) return from;
    const known = lidToChat.get(from);
    if (known !== undefined) return known;
    if (client?.getContactLidAndPhone) {
      try {
        const [found] = await client.getContactLidAndPhone([from]);
        const phone = waDigits(found?.pn);
        if (phone !== undefined) {
          const chatId = `${phone}@c.us`;
          lidToChat.set(from, chatId);
          return chatId;
        }
      } catch (error) {
        logger.debug({ error: describeError(error) }, 'lid lookup failed');
      }
    }
    // Still answerable: replies to the lid reach the same person, only the phone stays unknown.
    logger.debug('sender known only by a privacy id (lid); using it as the chat id');
    return from;
  };

  const handleMessage = async (message: WhatsAppMessageLike): Promise<void> => {
    const chatId = await chatIdOf(message.from);
    const { event, menuId } = interpretReply(message.body, menus.get(chatId));
    const notifyName = message._data?.notifyName;
    const displayName = typeof notifyName === 'string' ? notifyName.trim() : '';
    inbound.deliver({
      channel: 'whatsapp',
      chatId,
      updateId: message.id._serialized,
      event,
      ...(menuId === undefined ? {} : { menuId }),
      ...(displayName === '' ? {} : { displayName }),
    });
  };

  const onMessage = (message: WhatsAppMessageLike): void => {
    if (!started) return;
    const from = message.from;
    if (message.fromMe || message.isStatus || message.broadcast === true) return;
    if (!from.endsWith('@c.us') && !from.endsWith('@lid')) return; // groups, status@broadcast, channels
    if (message.type !== 'chat') {
      logger.debug({ type: message.type, chat: maskChat(from) }, 'non-text message ignored');
      return;
    }
    const previous = inboundTails.get(from) ?? Promise.resolve();
    const tail = previous
      .then(() => handleMessage(message))
      .catch((error: unknown) => {
        logger.error({ error: describeError(error), chat: maskChat(from) }, 'whatsapp message failed');
      })
      .finally(() => {
        if (inboundTails.get(from) === tail) inboundTails.delete(from);
      });
    inboundTails.set(from, tail);
  };

  const boot = (target: WhatsAppClientLike): void => {
    target.initialize().catch((error: unknown) => {
      if (!started) return;
      ready = false;
      logger.error({ error: describeError(error) }, 'whatsapp client failed to start');
      scheduleReconnect();
    });
  };

  const scheduleReconnect = (): void => {
    if (!started || reconnectTimer !== undefined) return;
    const delayMs = delays[Math.min(attempt, delays.length - 1)] ?? 0;
    attempt += 1;
    logger.info({ attempt, delayMs }, 'whatsapp reconnecting after a pause');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void reconnect();
    }, delayMs);
  };

  const reconnect = async (): Promise<void> => {
    const target = client;
    if (!started || !target) return;
    try {
      // A fresh browser: after a disconnect the old page is in an unknown state.
      await target.destroy();
    } catch (error) {
      logger.debug({ error: describeError(error) }, 'destroy before reconnect failed');
    }
    if (!started) return;
    boot(target);
  };

  const attach = (target: WhatsAppClientLike): void => {
    target.on('qr', (qr) => {
      qrShown += 1;
      qrcode.generate(qr, { small: true }, (drawn) => {
        terminal.write(`${drawn}\n`);
      });
      logger.info(
        { qrCount: qrShown, authPath },
        'scan this QR code with WhatsApp on the salon phone (Settings → Linked devices → Link a device)',
      );
    });
    target.on('authenticated', () => {
      logger.info('whatsapp authenticated');
    });
    target.on('ready', () => {
      if (!started) return;
      ready = true;
      attempt = 0;
      qrShown = 0;
      logger.info('whatsapp ready');
    });
    target.on('auth_failure', (message) => {
      ready = false;
      logger.error(
        { reason: message, authPath },
        'whatsapp login failed: stop the bot, delete the auth folder and start again to scan a new QR code',
      );
    });
    target.on('disconnected', (reason) => {
      const wasReady = ready;
      ready = false;
      if (!started) return;
      logger.warn(
        { reason, wasReady },
        reason === 'LOGOUT'
          ? 'whatsapp logged out (unlinked on the phone?): a new QR code will be shown to link again'
          : 'whatsapp disconnected',
      );
      scheduleReconnect();
    });
    target.on('message', onMessage);
  };

  /**
   * The id to send to: `<digits>@c.us` from a bare phone, any WhatsApp id as is. When the client can
   * check numbers, the registered id is used (it can differ from the dialled digits, e.g. Brazilian
   * mobiles without the 9th digit), and a number not on WhatsApp fails for good, so the notifier
   * can fall back to another channel instead of retrying.
   */
  const resolveTarget = async (target: WhatsAppClientLike, chatId: string): Promise<string> => {
    let wid: string;
    if (chatId.includes('@')) {
      wid = chatId;
    } else {
      const phone = waDigits(chatId);
      if (phone === undefined) throw new ChannelSendError('not a phone number or WhatsApp chat id', false);
      wid = `${phone}@c.us`;
    }
    if (!wid.endsWith('@c.us') || !target.getNumberId) return wid;
    const known = numberIds.get(wid);
    if (known !== undefined) return known;
    let found: { _serialized: string } | null;
    try {
      found = await target.getNumberId(wid.slice(0, -'@c.us'.length));
    } catch (error) {
      throw toWhatsAppSendError(error);
    }
    if (found === null) {
      throw new ChannelSendError(`number ${maskPhone(wid)} is not on WhatsApp`, false, undefined, {
        unreachable: true,
      });
    }
    if (found._serialized !== wid)
      logger.debug({ chat: maskChat(wid) }, 'number registered under another id');
    numberIds.set(wid, found._serialized);
    return found._serialized;
  };

  return {
    name: 'whatsapp',
    limits,

    async start(handler) {
      if (started) return;
      inbound.attach(handler);
      started = true;
      attempt = 0;
      if (!client) {
        try {
          client =
            options.client ??
            (await createRealClient({ authPath, chromiumPath: options.chromiumPath ?? '/usr/bin/chromium' }));
        } catch (error) {
          // Only a broken installation gets here; a later start() may try again.
          started = false;
          inbound.detach();
          throw error;
        }
        attach(client);
      }
      logger.info(
        { authPath, injected: options.client !== undefined },
        'whatsapp starting (first login needs a QR code scan)',
      );
      boot(client);
    },

    async stop() {
      if (!started) return;
      started = false;
      ready = false;
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      try {
        await client?.destroy();
      } catch (error) {
        logger.debug({ error: describeError(error) }, 'whatsapp destroy failed');
      }
      await Promise.allSettled([...inboundTails.values(), ...typingCalls]);
      inbound.detach();
      logger.info('whatsapp stopped');
    },

    async send(chatId, message: OutboundMessage) {
      const target = client;
      if (!ready || !target) throw new ChannelSendError('whatsapp is not ready (not logged in yet)', true);
      const wid = await resolveTarget(target, chatId);
      const text = renderMenuText(message, phrases.menuHint());
      const options = message.options ?? [];
      // The menu is registered before sending: a quick reply must not beat it.
      const previous = menus.get(wid);
      if (options.length > 0) menus.set(wid, { menuId: message.menuId, options });
      let sent: unknown;
      try {
        sent = await target.sendMessage(wid, text);
      } catch (error) {
        if (options.length > 0) restoreMenu(wid, previous);
        throw toWhatsAppSendError(error);
      }
      if (sent === undefined || sent === null) {
        if (options.length > 0) restoreMenu(wid, previous);
        throw new ChannelSendError('whatsapp found no chat to send to', true);
      }
    },

    isRunning: () => ready,

    typing(chatId) {
      const target = client;
      if (!ready || !target?.getChatById) return;
      const phone = waDigits(chatId);
      const wid = chatId.includes('@') ? chatId : phone && `${phone}@c.us`;
      if (!wid) return;
      const getChat = target.getChatById.bind(target);
      // A courtesy while the client's request waits: a failure is only worth a debug line.
      const call: Promise<void> = (async () => {
        const chat = await getChat(wid);
        await chat?.sendStateTyping();
      })()
        .catch((error: unknown) => {
          logger.debug({ error: maskedSummary(error), chat: maskChat(wid) }, 'whatsapp typing failed');
        })
        .finally(() => typingCalls.delete(call));
      typingCalls.add(call);
    },
  };
}

/**
 * The digits of a WhatsApp phone id or of an already normalised phone. Deliberately not
 * `normalizePhone`: its Russian trunk-prefix rule (11 digits starting with 8) would turn a genuine
 * international number such as Vietnam's `84…` into a wrong one, and WhatsApp ids are always E.164.
 */
function waDigits(raw: string | undefined): string | undefined {
  const digits = raw?.replace(/@c\.us$/, '').replace(/\D/g, '') ?? '';
  return digits.length >= 7 && digits.length <= 15 ? digits : undefined;
}

/** Phone-like chat ids masked for logs; lids and other ids are not phones and stay out. */
function maskChat(chatId: string): string {
  return chatId.endsWith('@c.us') ? maskPhone(chatId) : chatId.replace(/^.*@/, '***@');
}

/** Errors that will not go away by retrying: the address itself is wrong or not on WhatsApp. */
const PERMANENT = /invalid wid|wid error|not registered|not on whatsapp|no lid for user/i;

/**
 * What the dispatcher needs from a failed send. Most whatsapp-web.js failures are the browser page
 * being busy, reloading or disconnected, which clear up, so they are retried; only an address that
 * cannot exist is given up on at once. The message is kept (phones masked), the raw cause is not,
 * because puppeteer errors can carry the whole evaluated script.
 */
export function toWhatsAppSendError(error: unknown): ChannelSendError {
  if (error instanceof ChannelSendError) return error;
  const summary = maskedSummary(error);
  return new ChannelSendError(`whatsapp send failed: ${summary}`, !PERMANENT.test(summary));
}

/** An error's message with any phone number in it masked (puppeteer errors echo the chat id). */
function maskedSummary(error: unknown): string {
  return describeError(error).replace(/\d{7,15}(@c\.us)?/g, (digits) => maskPhone(digits));
}
