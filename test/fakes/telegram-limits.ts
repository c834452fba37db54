/**
 * The rate limits the real Bot API enforces on sending, as the fake applies them in limit mode:
 * about 30 messages per second overall and one per second per chat
 * (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this). A message
 * beyond either gets 429 with `retry_after`; refused messages do not count.
 */
export interface SendLimits {
  /** Messages accepted per sliding second, bot-wide (default 30). */
  globalPerSecond?: number;
  /** Messages accepted per sliding second in one chat (default 1). */
  perChatPerSecond?: number;
}

export class SendLimiter {
  /** 429 answers given, overall and per chat. */
  refused = 0;
  readonly refusedByChat = new Map<string, number>();
  private readonly global: number[] = [];
  private readonly byChat = new Map<string, number[]>();
  private readonly globalLimit: number;
  private readonly chatLimit: number;

  constructor(limits: SendLimits = {}) {
    this.globalLimit = limits.globalPerSecond ?? 30;
    this.chatLimit = limits.perChatPerSecond ?? 1;
  }

  /**
   * Admits a message to `chatId` arriving at `now` (ms), or answers how many whole seconds to wait
   * (the Bot API's `retry_after` is an integer).
   */
  admit(chatId: string, now: number): { ok: true } | { ok: false; retryAfter: number } {
    const chat = this.byChat.get(chatId) ?? [];
    prune(this.global, now);
    prune(chat, now);
    const waitMs = Math.max(
      this.global.length >= this.globalLimit
        ? (this.global[this.global.length - this.globalLimit] ?? now) + 1000 - now
        : 0,
      chat.length >= this.chatLimit ? (chat[chat.length - this.chatLimit] ?? now) + 1000 - now : 0,
    );
    if (waitMs > 0) {
      this.refused++;
      this.refusedByChat.set(chatId, (this.refusedByChat.get(chatId) ?? 0) + 1);
      return { ok: false, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    this.global.push(now);
    chat.push(now);
    this.byChat.set(chatId, chat);
    return { ok: true };
  }
}

/** Drops arrivals a full second old. */
function prune(times: number[], now: number): void {
  let drop = 0;
  while (drop < times.length && (times[drop] ?? 0) <= now - 1000) drop++;
  if (drop > 0) times.splice(0, drop);
}
