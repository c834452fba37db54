/**
 * What a client sees while their step waits for the Altegio budget: "typing…", repeated every few
 * seconds for as long as the wait lasts, and — when the wait is long — one plain message that the
 * bot is busy and their request is in line. Waiting is never turned into an error here.
 *
 * The budget does not know which chat a call belongs to, so a chat's step runs inside
 * {@link inChat}: the calls its booking machine makes (however deep in promise chains) find their
 * chat through async context, and {@link WaitFeedback.onQueued} is handed to the Altegio client.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { QueuedInfo } from '../altegio/rate-limiter.js';
import type { ChatChannel } from '../domain/channels.js';

/** The chat whose step is running. */
export interface WaitingChat {
  channel: ChatChannel;
  chatId: string;
  /** Messenger-reported language, if any (the notice falls back to the salon's). */
  languageCode?: string | undefined;
}

const current = new AsyncLocalStorage<WaitingChat>();

/** Runs `fn` (a chat's step) so that Altegio calls it makes know their chat. */
export function inChat<T>(chat: WaitingChat, fn: () => T): T {
  return current.run(chat, fn);
}

/** The chat of the step running now, if any. */
export function currentChat(): WaitingChat | undefined {
  return current.getStore();
}

/** Timers, injectable for tests. */
export interface WaitTimers {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WaitFeedbackOptions {
  /** Shows "typing…" in the chat (Telegram `sendChatAction`, WhatsApp `sendStateTyping`); must not throw. */
  typing(chat: WaitingChat): void;
  /** Tells the client once that it is busy and their request is in line (through the outbox). */
  tellBusy(chat: WaitingChat): Promise<void> | void;
  /** How often "typing…" is repeated while waiting. Telegram shows it for 5 s. Default 4 s. */
  typingEveryMs?: number;
  /** A wait estimated or lasting longer than this is told in words. Default 8 s. */
  longWaitMs?: number;
  /** The busy message is not repeated to one chat within this time. Default 2 minutes. */
  tellAgainAfterMs?: number;
  /** Chat actions sent per second at most, over all chats (a courtesy must not crowd replies). Default 10. */
  typingPerSecond?: number;
  timers?: WaitTimers;
}

export interface WaitFeedback {
  /** For the Altegio client's `onQueued`: starts the feedback of the current chat's wait. */
  onQueued(info: QueuedInfo): (() => void) | undefined;
  /** Chats waiting now. */
  readonly waiting: number;
  /** Stops every timer. */
  stop(): void;
}

const systemTimers: WaitTimers = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Episode {
  chat: WaitingChat;
  /** Calls of this chat waiting now (a step may wait on more than one). */
  calls: number;
  repeat: unknown;
  longWait: unknown;
}

export function createWaitFeedback(options: WaitFeedbackOptions): WaitFeedback {
  const timers = options.timers ?? systemTimers;
  const every = options.typingEveryMs ?? 4_000;
  const longWaitMs = options.longWaitMs ?? 8_000;
  const tellAgainAfter = options.tellAgainAfterMs ?? 120_000;
  const perSecond = options.typingPerSecond ?? 10;
  const episodes = new Map<string, Episode>();
  /** When each chat was last told it is in line; pruned as it ages out. */
  const toldAt = new Map<string, number>();
  let second = 0;
  let sentThisSecond = 0;

  const keyOf = (chat: WaitingChat) => `${chat.channel}:${chat.chatId}`;

  function typing(chat: WaitingChat): void {
    const now = timers.now();
    const thisSecond = Math.floor(now / 1000);
    if (thisSecond !== second) {
      second = thisSecond;
      sentThisSecond = 0;
    }
    // Over the cap this round is skipped; the next repeat comes in a few seconds anyway.
    if (sentThisSecond >= perSecond) return;
    sentThisSecond += 1;
    try {
      options.typing(chat);
    } catch {
      // A courtesy; never a reason for the step to fail.
    }
  }

  function tellBusy(key: string, chat: WaitingChat): void {
    const now = timers.now();
    const last = toldAt.get(key);
    if (last !== undefined && now - last < tellAgainAfter) return;
    for (const [other, at] of toldAt) if (now - at >= tellAgainAfter) toldAt.delete(other);
    toldAt.set(key, now);
    // As above: the client's request still goes on, whether the notice fails now or later.
    try {
      Promise.resolve(options.tellBusy(chat)).catch(() => {});
    } catch {}
  }

  function end(key: string, episode: Episode): void {
    episode.calls -= 1;
    if (episode.calls > 0) return;
    timers.clearInterval(episode.repeat);
    if (episode.longWait !== undefined) timers.clearTimeout(episode.longWait);
    if (episodes.get(key) === episode) episodes.delete(key);
  }

  return {
    onQueued(info) {
      const chat = current.getStore();
      if (!chat) return undefined;
      const key = keyOf(chat);
      let episode = episodes.get(key);
      if (!episode) {
        const started: Episode = { chat, calls: 0, repeat: undefined, longWait: undefined };
        started.repeat = timers.setInterval(() => typing(chat), every);
        started.longWait = timers.setTimeout(() => {
          started.longWait = undefined;
          tellBusy(key, chat);
        }, longWaitMs);
        episodes.set(key, started);
        episode = started;
        typing(chat);
      }
      if (info.estimateMs > longWaitMs && episode.longWait !== undefined) {
        timers.clearTimeout(episode.longWait);
        episode.longWait = undefined;
        tellBusy(key, chat);
      }
      episode.calls += 1;
      const mine = episode;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        end(key, mine);
      };
    },

    get waiting() {
      return episodes.size;
    },

    stop() {
      for (const episode of episodes.values()) {
        timers.clearInterval(episode.repeat);
        if (episode.longWait !== undefined) timers.clearTimeout(episode.longWait);
      }
      episodes.clear();
    },
  };
}
