/**
 * The send queue in front of the channels. It keeps each channel within its platform's limits
 * (Telegram: about one message per second per chat and 30 per second overall), sends a chat's
 * messages strictly in order, interleaves chats fairly, and retries what failed: after the wait the
 * platform asked for (`retryAfterMs`), or with exponential backoff. It holds no durable state: the
 * outbox is the record, and `onSent` / `onFailed` are where it gets updated.
 *
 * Per channel there is one lane:
 * - every chat with work is either in the lane's `ready` FIFO (round robin: a chat goes to the back
 *   after each send) or in the `waiting` heap keyed by when it may send next;
 * - a chat has at most one send in flight, so a retry holds back that chat's later messages and
 *   nobody else's;
 * - the global limit is a sliding window of send start times, so no window of `globalWindowMs`
 *   ever holds more than `globalLimit` starts.
 * One timer serves all lanes, set for the earliest moment anything can move.
 */
import type { Logger } from '../log.js';
import { type Channel, type ChannelName, ChannelSendError, type OutboundMessage } from './channel.js';

/** One message to deliver; extend it with the caller's own fields (an outbox row id). */
export interface DispatchItem {
  channel: ChannelName;
  chatId: string;
  message: OutboundMessage;
}

/** How fast one channel may send. */
export interface ChannelLimits {
  /** Minimum time between two sends to the same chat. */
  perChatIntervalMs: number;
  /** At most this many sends start within any `globalWindowMs`. */
  globalLimit: number;
  globalWindowMs: number;
}

/**
 * Defaults per channel. Telegram's own figures (1/s per chat, 30/s overall). WhatsApp has no
 * published limit and bans accounts that look like bulk senders, so it goes far slower.
 */
export const DEFAULT_LIMITS: Record<ChannelName, ChannelLimits> = {
  telegram: { perChatIntervalMs: 1000, globalLimit: 30, globalWindowMs: 1000 },
  whatsapp: { perChatIntervalMs: 3000, globalLimit: 20, globalWindowMs: 60_000 },
  console: { perChatIntervalMs: 0, globalLimit: 1000, globalWindowMs: 1000 },
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
  channels: Partial<Record<ChannelName, Channel>>;
  /** Overrides of {@link DEFAULT_LIMITS}, per channel. */
  limits?: Partial<Record<ChannelName, Partial<ChannelLimits>>>;
  /** Attempts per item before `onFailed` (default 5). A non-retryable error fails at once. */
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
}

interface ChatQueue<T> {
  key: string;
  items: Entry<T>[];
  /** Earliest start of the next send (pacing or a retry wait). */
  notBefore: number;
  inFlight: boolean;
  /** Where the chat is scheduled, so it is never in two places. */
  slot: 'ready' | 'waiting' | 'none';
}

interface Lane<T> {
  name: ChannelName;
  channel: Channel | undefined;
  limits: ChannelLimits;
  chats: Map<string, ChatQueue<T>>;
  ready: ChatQueue<T>[];
  readyHead: number;
  waiting: MinHeap<ChatQueue<T>>;
  /**
   * Chats with nothing left to send, kept until their pacing interval has passed, so that a message
   * queued right after the last one still waits its turn.
   */
  resting: MinHeap<ChatQueue<T>>;
  /** Start times of recent sends, oldest first. */
  starts: number[];
  startsHead: number;
}

/** A binary min-heap on a numeric key. */
class MinHeap<V> {
  private readonly items: Array<{ key: number; value: V }> = [];

  get size(): number {
    return this.items.length;
  }

  peekKey(): number | undefined {
    return this.items[0]?.key;
  }

  push(key: number, value: V): void {
    const items = this.items;
    items.push({ key, value });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent];
      const here = items[i];
      if (!above || !here || above.key <= here.key) break;
      items[parent] = here;
      items[i] = above;
      i = parent;
    }
  }

  pop(): V | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (!top || !last) return undefined;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if ((items[left]?.key ?? Number.POSITIVE_INFINITY) < (items[smallest]?.key ?? 0)) smallest = left;
        if ((items[right]?.key ?? Number.POSITIVE_INFINITY) < (items[smallest]?.key ?? 0)) smallest = right;
        if (smallest === i) break;
        const a = items[i];
        const b = items[smallest];
        if (!a || !b) break;
        items[i] = b;
        items[smallest] = a;
        i = smallest;
      }
    }
    return top.value;
  }
}

/** Creates a dispatcher; it sends nothing until an item is queued. */
export function createDispatcher<T extends DispatchItem>(options: DispatcherOptions<T>): Dispatcher<T> {
  const timers = options.timers ?? realTimers;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const baseMs = options.backoff?.baseMs ?? 1000;
  const maxMs = options.backoff?.maxMs ?? 60_000;
  const logger = options.logger?.child({ component: 'dispatcher' });
  const lanes = new Map<ChannelName, Lane<T>>();
  const inFlight = new Set<Promise<void>>();
  let size = 0;
  let stopped = false;
  let timer: { handle: unknown; at: number } | undefined;
  let idleWaiters: Array<() => void> = [];
  let pumpQueued = false;

  const lane = (name: ChannelName): Lane<T> => {
    let found = lanes.get(name);
    if (!found) {
      found = {
        name,
        channel: options.channels[name],
        limits: { ...DEFAULT_LIMITS[name], ...options.limits?.[name] },
        chats: new Map(),
        ready: [],
        readyHead: 0,
        waiting: new MinHeap(),
        resting: new MinHeap(),
        starts: [],
        startsHead: 0,
      };
      lanes.set(name, found);
    }
    return found;
  };

  /** Puts a chat with work where it belongs: ready now, or waiting until `notBefore`. */
  const schedule = (l: Lane<T>, chat: ChatQueue<T>): void => {
    if (chat.inFlight || chat.items.length === 0 || chat.slot !== 'none') return;
    if (chat.notBefore <= timers.now()) {
      chat.slot = 'ready';
      l.ready.push(chat);
    } else {
      chat.slot = 'waiting';
      l.waiting.push(chat.notBefore, chat);
    }
  };

  /** When the global window lets the next send start (now, if it has room). */
  const windowOpensAt = (l: Lane<T>, now: number): number => {
    const { globalLimit, globalWindowMs } = l.limits;
    while (l.startsHead < l.starts.length && (l.starts[l.startsHead] ?? 0) <= now - globalWindowMs)
      l.startsHead++;
    if (l.startsHead > 1024 && l.startsHead * 2 > l.starts.length) {
      l.starts = l.starts.slice(l.startsHead);
      l.startsHead = 0;
    }
    const count = l.starts.length - l.startsHead;
    if (count < globalLimit) return now;
    return (l.starts[l.starts.length - globalLimit] ?? now) + globalWindowMs;
  };

  const settleIdle = (): void => {
    if (size !== 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const finish = (l: Lane<T>, chat: ChatQueue<T>): void => {
    chat.items.shift();
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

  const attempt = async (l: Lane<T>, chat: ChatQueue<T>, entry: Entry<T>): Promise<void> => {
    entry.attempts++;
    let failure: ChannelSendError | undefined;
    try {
      if (!l.channel) throw new ChannelSendError(`channel ${l.name} is not configured`, false);
      await l.channel.send(entry.item.chatId, entry.item.message);
    } catch (error) {
      failure =
        error instanceof ChannelSendError
          ? error
          : // An unexpected error may be transient (a dropped socket); the attempt cap bounds it.
            new ChannelSendError(error instanceof Error ? error.message : String(error), true, undefined, {
              cause: error,
            });
    }
    chat.inFlight = false;
    if (stopped && failure?.retryable) {
      // Not a verdict on the item: its outbox row stays pending and is sent after a restart.
      return;
    }
    if (!failure) {
      finish(l, chat);
      safely('onSent', () => options.onSent?.(entry.item));
    } else if (failure.retryable && entry.attempts < maxAttempts) {
      const delay = failure.retryAfterMs ?? Math.min(maxMs, baseMs * 2 ** (entry.attempts - 1));
      chat.notBefore = Math.max(chat.notBefore, timers.now() + delay);
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
      finish(l, chat);
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
        if (!chat) break;
        chat.slot = 'ready';
        l.ready.push(chat);
      }
      while (l.readyHead < l.ready.length) {
        const opensAt = windowOpensAt(l, now);
        if (opensAt > now) {
          wakeAt = Math.min(wakeAt, opensAt);
          break;
        }
        const chat = l.ready[l.readyHead++];
        if (!chat) break;
        chat.slot = 'none';
        const entry = chat.items[0];
        if (!entry || chat.inFlight) continue;
        chat.inFlight = true;
        chat.notBefore = now + l.limits.perChatIntervalMs;
        l.starts.push(now);
        const sending = attempt(l, chat, entry);
        inFlight.add(sending);
        void sending.finally(() => inFlight.delete(sending));
      }
      if (l.readyHead >= l.ready.length) {
        l.ready = [];
        l.readyHead = 0;
      } else if (l.readyHead > 1024) {
        l.ready = l.ready.slice(l.readyHead);
        l.readyHead = 0;
      }
      const next = l.waiting.peekKey();
      if (next !== undefined) wakeAt = Math.min(wakeAt, next);
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
        chat = { key: item.chatId, items: [], notBefore: 0, inFlight: false, slot: 'none' };
        l.chats.set(item.chatId, chat);
      }
      chat.items.push({ item, attempts: 0 });
      size++;
      schedule(l, chat);
      // Ready now: pump once for everything queued in this tick rather than per item.
      if (chat.slot === 'ready') {
        if (!pumpQueued) {
          pumpQueued = true;
          queueMicrotask(pump);
        }
      } else {
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
