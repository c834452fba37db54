import type { BotCall, FakeTelegramServer } from '../fakes/telegram-server.js';

export interface SeenMessage {
  messageId: number;
  text: string;
  buttons: Array<{ text: string; data: string }>;
  /** Labels of a reply keyboard (the contact request), if any. */
  replyKeyboard: string[];
  asksContact: boolean;
}

interface Markup {
  inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>>;
  keyboard?: Array<Array<{ text: string; request_contact?: boolean } | string>>;
}

/** A Telegram client in a test: reads what the bot sent to its chat and answers like a person. */
export class TelegramUser {
  private cursor = 0;
  last: SeenMessage | undefined;

  constructor(
    private readonly fake: FakeTelegramServer,
    readonly chatId: number,
    private readonly languageCode = 'en',
  ) {}

  /** Waits for the next message the bot sends to this chat. */
  async next(timeoutMs = 30_000): Promise<SeenMessage> {
    const call = await this.fake.waitFor(
      (candidate) => candidate.method === 'sendMessage' && candidate.chatId === String(this.chatId),
      timeoutMs,
      this.cursor,
    );
    this.cursor = this.fake.sent.indexOf(call) + 1;
    this.last = parse(call);
    return this.last;
  }

  /** Reads messages until one matches. */
  async nextMatching(predicate: (message: SeenMessage) => boolean, timeoutMs = 30_000): Promise<SeenMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await this.next(Math.max(1, deadline - Date.now()));
      if (predicate(message)) return message;
    }
  }

  send(text: string): number {
    return this.fake.userSends(this.chatId, text, { languageCode: this.languageCode });
  }

  /** Presses the button of the last menu whose label matches. */
  press(label: string | RegExp, message = this.last): number {
    if (!message) throw new Error('no message to press a button in');
    const button = message.buttons.find((candidate) =>
      typeof label === 'string' ? candidate.text === label : label.test(candidate.text),
    );
    if (!button) {
      throw new Error(`no button "${String(label)}" in: ${message.buttons.map((b) => b.text).join(' | ')}`);
    }
    return this.fake.userPresses(this.chatId, message.messageId, button.data, {
      languageCode: this.languageCode,
    });
  }

  /** Presses the first button of the last menu that is not navigation (Back, Cancel, paging). */
  pressFirstChoice(message = this.last): string {
    const button = message?.buttons.find(
      (candidate) => !/back|cancel|next|previous|«|»|‹|›|←|→/i.test(candidate.text),
    );
    if (!message || !button) throw new Error('no choice to press');
    this.fake.userPresses(this.chatId, message.messageId, button.data, { languageCode: this.languageCode });
    return button.text;
  }

  /**
   * From the day menu on, as a client in a hurry: the first free day and time, the phone typed,
   * Confirm. Answers the summary shown before Confirm and the confirmation.
   */
  async bookFirstSlot(phone: string): Promise<{ summary: SeenMessage; done: SeenMessage }> {
    this.pressFirstChoice();
    await this.next();
    this.pressFirstChoice();
    await this.next();
    this.send(phone);
    const summary = await this.nextMatching((message) => message.text.startsWith('Please check'));
    this.press('✔ Confirm');
    const done = await this.nextMatching((message) => message.text.startsWith('You are booked'));
    return { summary, done };
  }

  shareContact(phone: string): number {
    return this.fake.userSharesContact(this.chatId, phone, { languageCode: this.languageCode });
  }
}

function parse(call: BotCall): SeenMessage {
  const result = call.response.result as { message_id?: number } | undefined;
  const markup = call.params.reply_markup as Markup | string | undefined;
  const parsed: Markup = typeof markup === 'string' ? (JSON.parse(markup) as Markup) : (markup ?? {});
  const keyboard = parsed.keyboard?.flat() ?? [];
  return {
    messageId: result?.message_id ?? 0,
    text: String(call.params.text ?? ''),
    buttons: (parsed.inline_keyboard ?? [])
      .flat()
      .map((button) => ({ text: button.text, data: button.callback_data ?? '' })),
    replyKeyboard: keyboard.map((button) => (typeof button === 'string' ? button : button.text)),
    asksContact: keyboard.some((button) => typeof button !== 'string' && button.request_contact === true),
  };
}
