import type { UserEvent } from '../../machines/shared/events.js';
import type { ChatChannel } from '../domain/channels.js';

/** A message from a client, already translated into a machine event. */
export interface InboundMessage {
  channel: ChatChannel;
  chatId: string;
  /** Platform id of the update (Telegram `update_id`), for de-duplication. */
  updateId?: string;
  event: UserEvent;
  /** The menu a choice was made in (see {@link OutboundMessage.menuId}); absent for typed text. */
  menuId?: string;
  /** The client's interface language as the platform reports it (Telegram `language_code`). */
  languageCode?: string;
  /** The client's name as the messenger shows it; used as the booking name when none is asked. */
  displayName?: string;
}

/** A rendered message: text in the client's language, options with labels. */
export interface OutboundMessage {
  text: string;
  options?: Array<{ value: string; label: string }>;
  askContact?: boolean;
  /**
   * Identifies the menu (the dialogue that sent it). A choice comes back with it, so the runtime can
   * tell a press in an old menu from one in the current menu.
   */
  menuId?: string;
}

/** The port every messenger adapter implements; a new channel is one file in this folder. */
export interface ChannelAdapter {
  readonly name: ChatChannel;
  /**
   * Starts receiving; each inbound message is handed to `onInbound`, which returns at once. A
   * promise it returns settles once the message has been handled.
   */
  start(onInbound: (message: InboundMessage) => unknown): Promise<void>;
  stop(): Promise<void>;
  /** Sends one message. Rejects with a {@link ChannelSendError} the dispatcher can act on. */
  send(chatId: string, message: OutboundMessage): Promise<void>;
  /** False until started and logged in (WhatsApp), so notifications can skip it. */
  isRunning(): boolean;
  /**
   * Shows "typing…" in the chat for a few seconds (while the client's request waits), where the
   * messenger has it. Never fails: it is a courtesy, not a message.
   */
  typing?(chatId: string): void;
  /**
   * The platform's message limits applied before sending: a text too long for one message comes
   * back as several, in order (only the last keeps the options); one that can never be sent throws
   * a non-retryable {@link ChannelSendError}. The dispatcher paces each part as its own message.
   */
  prepare?(chatId: string, message: OutboundMessage): OutboundMessage[];
  /** How the channel is doing beyond running or not, for `/health`. */
  health?(): ChannelHealth;
}

/** A channel's state for `/health`: `degraded` while it runs but cannot do its job fully. */
export interface ChannelHealth {
  status: 'ok' | 'degraded' | 'stopped';
  /** Why it is not ok, in one line (no secrets). */
  reason?: string;
  /** Since when (epoch ms) it has been in this state, when not ok. */
  since?: number;
}

/** A failed send, with what the dispatcher needs to decide: retry later, or give up. */
export class ChannelSendError extends Error {
  override readonly name = 'ChannelSendError';
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The platform asked to wait this long (Telegram 429 `retry_after`). */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown; unreachable?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.unreachable = options?.unreachable ?? false;
  }

  /**
   * The chat itself cannot be reached (Telegram 403: the client blocked the bot or deleted their
   * account): later messages to it should take another channel.
   */
  readonly unreachable: boolean;
}

/** A thrown value as one log-friendly line (adapters log errors without their stacks). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
