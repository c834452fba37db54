/**
 * The send queue in front of the channels. It keeps each channel within its platform's limits
 * (Telegram: about one message per second per chat and 30 per second overall), sends a chat's
 * messages strictly in order, interleaves chats fairly, puts replies to clients who are waiting
 * before bulk notifications, and retries what failed: after the wait the platform asked for
 * (`retryAfterMs`, which pauses the whole channel), or with exponential backoff. It holds no
 * durable state: the outbox is the record, and `onSent` / `onFailed` are where it gets updated.
 *
 * Per channel there is one lane:
 * - every chat with work is either in one of the lane's two `ready` FIFOs (interactive, bulk; round
 *   robin: a chat goes to the back after each send) or in the `waiting` heap keyed by when it may
 *   send next;
 * - a chat has at most one send in flight, so a retry holds back that chat's later messages and
 *   nobody else's; its next send starts `perChatIntervalMs` after the platform answered the last;
 * - the global limit is a sliding window counted from when the platform answered: a send occupies
 *   a place from its start until `globalWindowMs` after its answer, so however late the answer,
 *   no window of `globalWindowMs` on the platform's side sees more than `globalLimit` arrivals.
 * One timer serves all lanes, set for the earliest moment anything can move.
 */
import type { ChatChannel } from '../domain/channels.js';
import type { Logger } from '../log.js';
import { type ChannelAdapter, ChannelSendError, type OutboundMessage } from './channel.js';
import { Fifo, MinHeap } from './queues.js';

/**
 * `interactive`: a reply to a client who is in a conversation now. `bulk`: notifications
 * (reminders, feedback requests, greetings), which can wait a second without anyone noticing.
 */
export type SendPriority = 'interactive' | 'bulk';

/** One message to deliver; extend it with the caller's own fields (an outbox row id). */
export interface DispatchItem {
  channel: ChatChannel;
  chatId: string;
  message: OutboundMessage;
  /** Default `interactive`. */
  priority?: SendPriority;
}

/** How fast one channel may send. */
export interface ChannelLimits {
  /** Minimum time between the platform's answer to one send to a chat and the next send there. */
  perChatIntervalMs: number;
  /** At most this many sends within any `globalWindowMs` (see the module comment). */
  globalLimit: number;
  globalWindowMs: number;
}

/**
 * Defaults per channel. Telegram's own figures (1/s per chat, 30/s overall). WhatsApp has no
 * published limit and bans accounts that look like bulk senders, so it goes far slower.
 */
export const DEFAULT_LIMITS: Record<ChatChannel, ChannelLimits> = {
  telegram: { perChatIntervalMs: 1000, globalLimit: 30, globalWindowMs: 1000 },
  whatsapp: { perChatIntervalMs: 3000, globalLimit: 20, globalWindowMs: 60_000 },
  console: { perChatIntervalMs: 0, globalLimit: 1000, globalWindowMs: 1000 },
  // A browser on this machine: no platform limit, only a cap against a runaway loop.
  web: { perChatIntervalMs: 0, globalLimit: 1000, globalWindowMs: 1000 },
};

/** Time as the dispatcher sees it; inject a simulated one in tests and benchmarks. */
export interface DispatcherTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: DispatcherTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options of {@link createDispatcher}. */
export interface DispatcherOptions<T extends DispatchItem> {
  channels: Partial<Record<ChatChannel, ChannelAdapter>>;
  /** Overrides of {@link DEFAULT_LIMITS}, per channel. */
  limits?: Partial<Record<ChatChannel, Partial<ChannelLimits>>>;
  /**
   * Attempts per item before `onFailed` (default 5). A non-retryable error fails at once. Waits the
   * platform asked for (`retryAfterMs`) are not failed attempts and do not count.
   */
  maxAttempts?: number;
  /** Backoff after the n-th retryable failure without `retryAfterMs`: base·2^(n-1), capped (1 s, 60 s). */
  backoff?: { baseMs?: number; maxMs?: number };
  onSent?(item: T): void;
  onFailed?(item: T, error: ChannelSendError): void;
  /** A retry was scheduled: for metrics or to note the attempt on the outbox row. */
  onRetry?(item: T, error: ChannelSendError, attempt: number, delayMs: number): void;
  timers?: DispatcherTimers;
  logger?: Logger;
}

/** The send queue; see the module comment. */
export interface Dispatcher<T extends DispatchItem> {
  /** Queues an item; false (and nothing queued) after `stop()`. */
  enqueue(item: T): boolean;
  /** Items queued or in flight. */
  readonly size: number;
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
  /**
   * Stops sending: the timer is cleared, queued items are dropped (their outbox rows stay unsent and
   * are picked up after a restart), and it resolves once sends already in flight have settled.
   */
  stop(): Promise<void>;
}

interface Entry<T> {
  item: T;
  attempts: number;
  /** The message as the channel splits it (`ChannelAdapter.prepare`), filled at the first attempt. */
  parts: OutboundMessage[] | undefined;
  /** Index of the next part to send; earlier parts went out already and are never sent again. */
  nextPart: number;
}

interface ChatQueue<T> {
  key: string;
  items: Entry<T>[];
  /** Queued items with `interactive` priority: while any, the whole chat goes first. */
  interactive: number;
  /** Earliest start of the next send (pacing or a retry wait). */
  notBefore: number;
  inFlight: boolean;
  /** Where the chat is scheduled, so it is never in two places (stale queue entries are skipped). */
  slot: 'ready' | 'waiting' | 'none';
  readyIn: SendPriority;
}

interface Lane<T> {
  name: ChatChannel;
  channel: ChannelAdapter | undefined;
  limits: ChannelLimits;
  chats: Map<string, ChatQueue<T>>;
  ready: Record<SendPriority, Fifo<ChatQueue<T>>>;
  waiting: MinHeap<ChatQueue<T>>;
  /**
   * Chats with nothing left to send, kept until their pacing interval has passed, so that a message
   * queued right after the last one still waits its turn.
   */
  resting: MinHeap<ChatQueue<T>>;
  /** Sends started and not yet answered: each holds a place in the window. */
  sending: number;
  /** When recent sends were answered, oldest first. */
  answered: Fifo<number>;
  /** A 429 asked the whole channel to wait until then. */
  pausedUntil: number;
}

const priorityOf = (item: DispatchItem): SendPriority => item.priority ?? 'interactive';

/** Creates a dispatcher; it sends nothing until an item is queued. */
export function createDispatcher<T extends DispatchItem>(options: DispatcherOptions<T>): Dispatcher<T> {
  const timers = options.timers ?? realTimers;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const baseMs = options.backoff?.baseMs ?? 1000;
  const maxMs = options.backoff?.maxMs ?? 60_000;
  const logger = options.logger?.child({ component: 'dispatcher' });
  const lanes = new Map<ChatChannel, Lane<T>>();
  const inFlight = new Set<Promise<void>>();
  let size = 0;
  let stopped = false;
  let timer: { handle: unknown; at: number } | undefined;
  let idleWaiters: Array<() => void> = [];
  let pumpQueued = false;

  const lane = (name: ChatChannel): Lane<T> => {
    let found = lanes.get(name);
    if (!found) {
      found = {
        name,
        channel: options.channels[name],
        limits: { ...DEFAULT_LIMITS[name], ...options.limits?.[name] },
        chats: new Map(),
        ready: { interactive: new Fifo(), bulk: new Fifo() },
        waiting: new MinHeap(),
        resting: new MinHeap(),
        sending: 0,
        answered: new Fifo(),
        pausedUntil: 0,
      };
      lanes.set(name, found);
    }
    return found;
  };

  const makeReady = (l: Lane<T>, chat: ChatQueue<T>): void => {
    chat.slot = 'ready';
    chat.readyIn = chat.interactive > 0 ? 'interactive' : 'bulk';
    l.ready[chat.readyIn].push(chat);
  };

  /** Puts a chat with work where it belongs: ready now, or waiting until `notBefore`. */
  const schedule = (l: Lane<T>, chat: ChatQueue<T>): void => {
    if (chat.inFlight || chat.items.length === 0 || chat.slot !== 'none') return;
    if (chat.notBefore <= timers.now()) makeReady(l, chat);
    else {
      chat.slot = 'waiting';
      l.waiting.push(chat.notBefore, chat);
    }
  };

  /** When the window lets the next send start: now, later, or only after an answer (infinity). */
  const windowOpensAt = (l: Lane<T>, now: number): number => {
    const { globalLimit, globalWindowMs } = l.limits;
    while ((l.answered.peek() ?? Number.POSITIVE_INFINITY) + globalWindowMs <= now) l.answered.shift();
    const used = l.sending + l.answered.size;
    if (used < globalLimit) return now;
    // The oldest answers have to age out until one place is free; in-flight sends never do.
    const toExpire = used - globalLimit + 1;
    if (toExpire > l.answered.size) return Number.POSITIVE_INFINITY;
    // Answers are pushed in time order, so the toExpire-th oldest is the one to wait for.
    return (l.answered.at(toExpire - 1) ?? now) + globalWindowMs;
  };

  const settleIdle = (): void => {
    if (size !== 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const finish = (l: Lane<T>, chat: ChatQueue<T>, entry: Entry<T>): void => {
    chat.items.shift();
    if (priorityOf(entry.item) === 'interactive') chat.interactive--;
    size--;
    if (chat.items.length === 0) l.resting.push(chat.notBefore, chat);
    settleIdle();
  };

  const safely = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      logger?.error({ error: String(error), what }, 'dispatcher callback threw');
    }
  };

  const asSendError = (error: unknown): ChannelSendError =>
    error instanceof ChannelSendError
      ? error
      : // An unexpected error may be transient (a dropped socket); the attempt cap bounds it.
        new ChannelSendError(error instanceof Error ? error.message : String(error), true, undefined, {
          cause: error,
        });

  const attempt = async (l: Lane<T>, chat: ChatQueue<T>, entry: Entry<T>): Promise<void> => {
    entry.attempts++;
    let failure: ChannelSendError | undefined;
    let reachedPlatform = false;
    try {
      if (!l.channel) throw new ChannelSendError(`channel ${l.name} is not configured`, false);
      const channel = l.channel;
      entry.parts ??= channel.prepare
        ? channel.prepare(entry.item.chatId, entry.item.message)
        : [entry.item.message];
      const part = entry.parts[entry.nextPart];
      if (part) {
        reachedPlatform = true;
        await channel.send(entry.item.chatId, part);
      }
      entry.nextPart++;
    } catch (error) {
      failure = asSendError(error);
    }
    const now = timers.now();
    chat.inFlight = false;
    l.sending--;
    // Only a call that went out takes a place in the window; a refused text or a missing channel does not.
    if (reachedPlatform) {
      l.answered.push(now);
      chat.notBefore = Math.max(chat.notBefore, now + l.limits.perChatIntervalMs);
    }
    if (stopped && failure?.retryable) {
      // Not a verdict on the item: its outbox row stays pending and is sent after a restart.
      return;
    }
    if (!failure && entry.nextPart < (entry.parts?.length ?? 0)) {
      // One part of a split message went out; the next is paced like any other message.
      entry.attempts = 0;
    } else if (!failure) {
      finish(l, chat, entry);
      safely('onSent', () => options.onSent?.(entry.item));
    } else if (failure.retryable && failure.retryAfterMs !== undefined) {
      // The platform said how long to wait (Telegram 429): the whole channel waits, since its
      // answer does not tell a per-chat limit from the bot-wide one. Waiting is not a failure.
      const delay = failure.retryAfterMs;
      entry.attempts--;
      l.pausedUntil = Math.max(l.pausedUntil, now + delay);
      chat.notBefore = Math.max(chat.notBefore, now + delay);
      logger?.warn(
        { channel: l.name, chatId: entry.item.chatId, delayMs: delay, error: failure.message },
        'rate limited by the platform; the channel waits as asked',
      );
      safely('onRetry', () => options.onRetry?.(entry.item, failure, entry.attempts, delay));
    } else if (failure.retryable && entry.attempts < maxAttempts) {
      const delay = Math.min(maxMs, baseMs * 2 ** (entry.attempts - 1));
      chat.notBefore = Math.max(chat.notBefore, now + delay);
      logger?.warn(
        {
          channel: l.name,
          chatId: entry.item.chatId,
          attempt: entry.attempts,
          delayMs: delay,
          error: failure.message,
        },
        'send failed; will retry',
      );
      safely('onRetry', () => options.onRetry?.(entry.item, failure, entry.attempts, delay));
    } else {
      finish(l, chat, entry);
      logger?.warn(
        { channel: l.name, chatId: entry.item.chatId, attempts: entry.attempts, error: failure.message },
        'send failed for good',
      );
      safely('onFailed', () => options.onFailed?.(entry.item, failure));
    }
    if (stopped) return;
    schedule(l, chat);
    pump();
  };

  /** The next chat to send for: interactive ones first, each FIFO round robin. */
  const takeReady = (l: Lane<T>): ChatQueue<T> | undefined => {
    for (const priority of ['interactive', 'bulk'] as const) {
      const queue = l.ready[priority];
      for (let chat = queue.shift(); chat; chat = queue.shift()) {
        if (chat.slot === 'ready' && chat.readyIn === priority) {
          chat.slot = 'none';
          return chat;
        }
      }
    }
    return undefined;
  };

  /** Starts every send the limits allow now, then sets the timer for the next opportunity. */
  const pump = (): void => {
    pumpQueued = false;
    if (stopped) return;
    const now = timers.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const l of lanes.values()) {
      while (l.resting.size > 0 && (l.resting.peekKey() ?? 0) <= now) {
        const chat = l.resting.pop();
        if (chat && chat.items.length === 0 && !chat.inFlight) l.chats.delete(chat.key);
      }
      while (l.waiting.size > 0 && (l.waiting.peekKey() ?? 0) <= now) {
        const chat = l.waiting.pop();
        if (chat?.slot === 'waiting') makeReady(l, chat);
      }
      const next = l.waiting.peekKey();
      if (next !== undefined) wakeAt = Math.min(wakeAt, next);
      if (l.pausedUntil > now) {
        if (l.ready.interactive.size + l.ready.bulk.size > 0) wakeAt = Math.min(wakeAt, l.pausedUntil);
        continue;
      }
      while (l.ready.interactive.size + l.ready.bulk.size > 0) {
        const opensAt = windowOpensAt(l, now);
        if (opensAt > now) {
          // Infinity: every place is held by a send in flight, whose answer pumps again.
          wakeAt = Math.min(wakeAt, opensAt);
          break;
        }
        const chat = takeReady(l);
        if (!chat) break;
        const entry = chat.items[0];
        if (!entry || chat.inFlight) continue;
        chat.inFlight = true;
        l.sending++;
        const sending = attempt(l, chat, entry);
        inFlight.add(sending);
        void sending.finally(() => inFlight.delete(sending));
      }
    }
    arm(wakeAt);
  };

  const arm = (at: number): void => {
    if (timer && timer.at <= at) return;
    if (timer) timers.clearTimeout(timer.handle);
    timer = undefined;
    if (!Number.isFinite(at)) return;
    const handle = timers.setTimeout(
      () => {
        timer = undefined;
        pump();
      },
      Math.max(0, at - timers.now()),
    );
    timer = { handle, at };
  };

  return {
    enqueue(item) {
      if (stopped) return false;
      const l = lane(item.channel);
      let chat = l.chats.get(item.chatId);
      if (!chat) {
        chat = {
          key: item.chatId,
          items: [],
          interactive: 0,
          notBefore: 0,
          inFlight: false,
          slot: 'none',
          readyIn: 'bulk',
        };
        l.chats.set(item.chatId, chat);
      }
      chat.items.push({ item, attempts: 0, parts: undefined, nextPart: 0 });
      if (priorityOf(item) === 'interactive') chat.interactive++;
      size++;
      // A reply queued behind this chat's bulk message lifts the chat into the interactive queue.
      if (chat.slot === 'ready' && chat.readyIn === 'bulk' && chat.interactive > 0) makeReady(l, chat);
      schedule(l, chat);
      // Ready now: pump once for everything queued in this tick rather than per item.
      if (chat.slot === 'ready') {
        if (!pumpQueued) {
          pumpQueued = true;
          queueMicrotask(pump);
        }
      } else if (chat.slot === 'waiting') {
        arm(chat.notBefore);
      }
      return true;
    },

    get size() {
      return size;
    },

    idle() {
      if (size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    async stop() {
      stopped = true;
      if (timer) timers.clearTimeout(timer.handle);
      timer = undefined;
      await Promise.allSettled([...inFlight]);
      lanes.clear();
      size = 0;
      settleIdle();
    },
  };
}
