/**
 * A fake Telegram Bot API on 127.0.0.1, good enough for real telegraf to poll it, send to it and be
 * driven by a test as if clients were typing. It answers `POST /bot<token>/<method>` with the Bot
 * API envelope (`{ ok: true, result }` or `{ ok: false, error_code, description, parameters }`), keeps
 * every call in {@link FakeTelegramServer.sent}, and validates what the real API would refuse
 * (empty text, callback data over 64 bytes, more than 100 inline buttons, unchanged edits), so a
 * test fails here rather than in production.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendLimiter, type SendLimits } from './telegram-limits.js';

/** One call the bot made, in arrival order. */
export interface BotCall {
  method: string;
  params: Record<string, unknown>;
  /** `params.chat_id` as a string, when the method has one. */
  chatId?: string;
  /** The bot token in the call's path: which bot made it. */
  token: string;
  /** What the fake answered: the `result`, or the error envelope. */
  response: { ok: boolean; result?: unknown; error_code?: number; description?: string };
  /** Milliseconds since the server started. */
  at: number;
}

/** A Bot API error to answer with instead of the normal result. */
export interface InjectedFault {
  error_code: number;
  description?: string;
  retry_after?: number;
}

/** A message as the fake keeps it (what the client sees in the chat). */
export interface StoredMessage {
  message_id: number;
  chatId: number;
  text: string;
  reply_markup?: unknown;
  fromBot: boolean;
}

interface QueuedUpdate {
  update: Record<string, unknown> & { update_id: number };
  /** Delivered even below the confirmed offset: simulates Telegram sending an update twice. */
  force: boolean;
}

interface PendingPoll {
  offset: number;
  limit: number;
  respond(updates: QueuedUpdate[]): void;
}

/** Options of {@link FakeTelegramServer}. */
export interface FakeTelegramOptions {
  /** Requests for another token get 401 like the real API; any token is accepted when unset. */
  token?: string;
  /** Upper bound of how long a `getUpdates` is held, whatever `timeout` it asks for (default 1000). */
  maxPollMs?: number;
  botUsername?: string;
  /**
   * Limit mode: `sendMessage` beyond Telegram's rate limits gets 429 with `retry_after`, as the real
   * API answers (`true` for the defaults, 30/s overall and 1/s per chat).
   */
  limits?: SendLimits | boolean;
}

const BOT_ID = 7_000_000_001;

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Form fields arrive as strings; the JSON ones (reply_markup…) are objects in the real API. */
function parseFormValue(value: string): unknown {
  if (value.startsWith('{') || value.startsWith('[')) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

function parseMultipart(body: string, boundary: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const part of body.split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const name = /name="([^"]+)"/.exec(part.slice(0, split))?.[1];
    if (!name) continue;
    fields[name] = parseFormValue(part.slice(split + 4).replace(/\r\n$/, ''));
  }
  return fields;
}

async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (body.length === 0) return {};
  if (type.includes('application/json')) {
    const parsed: unknown = JSON.parse(body);
    return isRecord(parsed) ? parsed : {};
  }
  if (type.includes('application/x-www-form-urlencoded')) {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(body)) fields[key] = parseFormValue(value);
    return fields;
  }
  const boundary = /boundary=([^;]+)/.exec(type)?.[1];
  if (type.includes('multipart/form-data') && boundary) return parseMultipart(body, boundary);
  return {};
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
  ) {
    super(description);
  }
}

/**
 * The fake server. `start()` it, pass `apiRoot` to the code under test, then play the client with
 * `userSends`, `userPresses`, `userSharesContact`, and look at what the bot did with `sent` and
 * `waitFor`.
 */
export class FakeTelegramServer {
  /** Every call the bot made, in order, including failed and injected-fault ones. */
  readonly sent: BotCall[] = [];

  /** In limit mode, what was refused with 429 (see {@link FakeTelegramOptions.limits}). */
  readonly limiter: SendLimiter | undefined;
  /** Command menus registered with `setMyCommands`, by `language_code` ('' for the default). */
  readonly commands = new Map<string, Array<{ command: string; description: string }>>();

  private readonly options: Required<Omit<FakeTelegramOptions, 'token' | 'limits'>> & { token?: string };
  /** Chats whose client blocked the bot: every send there gets 403. */
  private readonly blocked = new Set<string>();
  /** While set, every `getUpdates` gets 409, as when another process polls with the same token. */
  private conflicting = false;
  private server: Server | undefined;
  /** `Date.now()` when the server was made: a call's `at` counts from here. */
  readonly startedAt = Date.now();
  private nextUpdateId = 100_000;
  private nextMessageId = 1;
  private nextCallbackId = 1;
  private confirmedOffset = 0;
  private queue: QueuedUpdate[] = [];
  private polls: PendingPoll[] = [];
  private readonly faults = new Map<string, InjectedFault[]>();
  private readonly waiters = new Set<() => void>();
  private readonly messagesById = new Map<string, StoredMessage>();
  private readonly delivered = new Map<number, Record<string, unknown>>();

  constructor(options: FakeTelegramOptions = {}) {
    this.options = {
      maxPollMs: options.maxPollMs ?? 1000,
      botUsername: options.botUsername ?? 'salon_test_bot',
      ...(options.token === undefined ? {} : { token: options.token }),
    };
    const limits = options.limits;
    this.limiter = limits ? new SendLimiter(limits === true ? {} : limits) : undefined;
  }

  /** Listens on 127.0.0.1 at a free port; `apiRoot` ends with `/`, as telegraf needs. */
  async start(): Promise<{ apiRoot: string }> {
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { apiRoot: `http://127.0.0.1:${port}/` };
  }

  /** Answers held polls with nothing, drops open connections, and closes. */
  async stop(): Promise<void> {
    for (const poll of this.polls.splice(0)) poll.respond([]);
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // === The client's side

  /** The client types `text` (a `/command` gets a bot_command entity like the real API). */
  userSends(chatId: number, text: string, options: { languageCode?: string } = {}): number {
    const message: Record<string, unknown> = {
      message_id: this.nextMessageId++,
      date: this.unixTime(),
      chat: this.chat(chatId),
      from: this.user(chatId, options.languageCode),
      text,
    };
    const command = /^\/\S+/.exec(text);
    if (command) message.entities = [{ type: 'bot_command', offset: 0, length: command[0].length }];
    this.store({ message_id: message.message_id as number, chatId, text, fromBot: false });
    return this.enqueue({ message });
  }

  /**
   * The client presses the inline button carrying `callbackData` under message `messageId`. The
   * update carries the message as the client sees it (text and keyboard), as Telegram does.
   */
  userPresses(
    chatId: number,
    messageId: number,
    callbackData: string,
    options: { languageCode?: string; fromUserId?: number } = {},
  ): number {
    const stored = this.messagesById.get(`${chatId}:${messageId}`);
    const message: Record<string, unknown> = {
      message_id: messageId,
      date: this.unixTime(),
      chat: this.chat(chatId),
      from: this.botUser(),
      text: stored?.text ?? '',
    };
    if (stored?.reply_markup !== undefined) message.reply_markup = stored.reply_markup;
    return this.enqueue({
      callback_query: {
        id: String(this.nextCallbackId++),
        from: this.user(options.fromUserId ?? chatId, options.languageCode),
        message,
        chat_instance: `ci${chatId}`,
        data: callbackData,
      },
    });
  }

  /**
   * The client shares a contact. By default it is their own (`user_id` = their id), as the
   * request_contact button sends it; pass `userId` to share someone else's card.
   */
  userSharesContact(
    chatId: number,
    phone: string,
    options: { userId?: number; languageCode?: string } = {},
  ): number {
    const contact: Record<string, unknown> = { phone_number: phone, first_name: `Client${chatId}` };
    const userId = options.userId === undefined ? chatId : options.userId;
    if (userId !== 0) contact.user_id = userId;
    return this.enqueue({
      message: {
        message_id: this.nextMessageId++,
        date: this.unixTime(),
        chat: this.chat(chatId),
        from: this.user(chatId, options.languageCode),
        contact,
      },
    });
  }

  /**
   * Queues an update that was already delivered once, with the same `update_id`, and hands it out
   * even though the bot confirmed it: what Telegram does after a crash before the offset was
   * confirmed, or on a webhook retry.
   */
  redeliver(updateId: number): void {
    const update = this.delivered.get(updateId);
    if (!update) throw new Error(`update ${updateId} was never queued`);
    this.queue.push({ update: { ...update, update_id: updateId }, force: true });
    this.flushPolls();
  }

  /** The update object as queued, e.g. to post it to a webhook. */
  updateById(updateId: number): Record<string, unknown> & { update_id: number } {
    const update = this.delivered.get(updateId);
    if (!update) throw new Error(`update ${updateId} was never queued`);
    return { ...update, update_id: updateId };
  }

  /** Makes the next call(s) to `method` fail with this error, once per call of this function. */
  failNext(method: string, fault: InjectedFault): void {
    const list = this.faults.get(method) ?? [];
    list.push(fault);
    this.faults.set(method, list);
  }

  /** The client blocks the bot (`true`) or unblocks it: sends to the chat get 403 meanwhile. */
  setBlocked(chatId: number, blocked: boolean): void {
    if (blocked) this.blocked.add(String(chatId));
    else this.blocked.delete(String(chatId));
  }

  /**
   * Another process polls with this token (`true`), as during a deploy: every `getUpdates` gets
   * 409 Conflict until it is set back to `false`.
   */
  setConflict(conflicting: boolean): void {
    this.conflicting = conflicting;
  }

  /** The message as the client sees it now (after edits). */
  message(chatId: number, messageId: number): StoredMessage | undefined {
    return this.messagesById.get(`${chatId}:${messageId}`);
  }

  /** Updates queued and not yet confirmed by the bot's offset. */
  get pendingUpdates(): number {
    return this.queue.length;
  }

  /**
   * Resolves with the first recorded call (from index `after` on) that matches, waiting for one to
   * arrive; rejects after `timeoutMs`.
   */
  waitFor(predicate: (call: BotCall) => boolean, timeoutMs = 2000, after = 0): Promise<BotCall> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.sent.slice(after).find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters.delete(onCall);
        resolve(found);
        return true;
      };
      const onCall = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(onCall);
        const methods = this.sent.map((call) => call.method).join(', ');
        reject(new Error(`no matching bot call within ${timeoutMs} ms; calls so far: ${methods}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(onCall);
    });
  }

  // === The Bot API's side

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? '').split('?')[0] ?? '');
    let params: Record<string, unknown> = {};
    try {
      params = await readParams(req);
    } catch {
      this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid body' });
      return;
    }
    if (!match || req.method !== 'POST') {
      this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    const [, token = '', method = ''] = match;
    const call: BotCall = { method, params, token, response: { ok: false }, at: Date.now() - this.startedAt };
    if (params.chat_id !== undefined) call.chatId = String(params.chat_id);

    if (this.options.token !== undefined && token !== this.options.token) {
      this.finish(call, res, { error_code: 401, description: 'Unauthorized' });
      return;
    }
    const fault = this.faults.get(method)?.shift();
    if (fault) {
      const description = fault.description ?? defaultDescription(fault);
      this.finish(call, res, {
        error_code: fault.error_code,
        description,
        ...(fault.retry_after === undefined ? {} : { retry_after: fault.retry_after }),
      });
      return;
    }
    if (method === 'getUpdates' && this.conflicting) {
      this.finish(call, res, {
        error_code: 409,
        description:
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      });
      return;
    }
    if (method === 'sendMessage' && call.chatId !== undefined && this.blocked.has(call.chatId)) {
      this.finish(call, res, { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
      return;
    }
    if (method === 'sendMessage' && this.limiter) {
      const admitted = this.limiter.admit(call.chatId ?? '', Date.now());
      if (!admitted.ok) {
        this.finish(call, res, {
          error_code: 429,
          description: `Too Many Requests: retry after ${admitted.retryAfter}`,
          retry_after: admitted.retryAfter,
        });
        return;
      }
    }
    if (method === 'getUpdates') {
      // Not recorded in `sent` while held: tests look for what the bot said, and polls are noise.
      this.poll(params, res);
      return;
    }
    try {
      const result = this.execute(method, params);
      call.response = { ok: true, result };
      this.record(call);
      this.reply(res, 200, { ok: true, result });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.finish(call, res, { error_code: error.code, description: error.description });
    }
  }

  private finish(
    call: BotCall,
    res: ServerResponse,
    error: { error_code: number; description: string; retry_after?: number },
  ): void {
    const body: Record<string, unknown> = {
      ok: false,
      error_code: error.error_code,
      description: error.description,
    };
    if (error.retry_after !== undefined) body.parameters = { retry_after: error.retry_after };
    call.response = { ok: false, error_code: error.error_code, description: error.description };
    this.record(call);
    this.reply(res, error.error_code, body);
  }

  private record(call: BotCall): void {
    this.sent.push(call);
    for (const waiter of [...this.waiters]) waiter();
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private execute(method: string, params: Record<string, unknown>): unknown {
    switch (method) {
      case 'getMe':
        return this.botUser();
      case 'deleteWebhook':
      case 'setWebhook':
      case 'answerCallbackQuery':
      case 'sendChatAction':
        return true;
      case 'deleteMessage':
        this.messagesById.delete(`${Number(params.chat_id)}:${Number(params.message_id)}`);
        return true;
      case 'sendMessage':
        return this.sendMessage(params);
      case 'setMyCommands':
        return this.setMyCommands(params);
      case 'editMessageText':
      case 'editMessageReplyMarkup':
        return this.edit(method, params);
      default:
        throw new ApiError(404, 'Not Found: method not found');
    }
  }

  private sendMessage(params: Record<string, unknown>): unknown {
    const chatId = Number(params.chat_id);
    const text = typeof params.text === 'string' ? params.text : '';
    if (!Number.isFinite(chatId)) throw new ApiError(400, 'Bad Request: chat not found');
    if (text.trim().length === 0) throw new ApiError(400, 'Bad Request: message text is empty');
    if (text.length > 4096) throw new ApiError(400, 'Bad Request: message is too long');
    validateMarkup(params.reply_markup);
    const stored: StoredMessage = { message_id: this.nextMessageId++, chatId, text, fromBot: true };
    // Only inline keyboards stay attached to a message; reply keyboards live in the client's app.
    if (isRecord(params.reply_markup) && 'inline_keyboard' in params.reply_markup) {
      stored.reply_markup = params.reply_markup;
    }
    this.store(stored);
    return this.messageResult(stored);
  }

  private setMyCommands(params: Record<string, unknown>): true {
    const commands = params.commands;
    if (!Array.isArray(commands) || commands.length > 100) {
      throw new ApiError(400, 'Bad Request: commands must be an array of at most 100 BotCommand');
    }
    const parsed = commands.map((entry) => {
      const command = isRecord(entry) ? entry.command : undefined;
      const description = isRecord(entry) ? entry.description : undefined;
      if (typeof command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(command)) {
        throw new ApiError(400, 'Bad Request: BOT_COMMAND_INVALID');
      }
      if (typeof description !== 'string' || description.length < 1 || description.length > 256) {
        throw new ApiError(400, 'Bad Request: BOT_COMMAND_DESCRIPTION_INVALID');
      }
      return { command, description };
    });
    const language = typeof params.language_code === 'string' ? params.language_code : '';
    this.commands.set(language, parsed);
    return true;
  }

  private edit(method: string, params: Record<string, unknown>): unknown {
    const chatId = Number(params.chat_id);
    const key = `${chatId}:${Number(params.message_id)}`;
    const stored = this.messagesById.get(key);
    if (!stored) throw new ApiError(400, 'Bad Request: message to edit not found');
    validateMarkup(params.reply_markup);
    const markup = isRecord(params.reply_markup) ? params.reply_markup : undefined;
    const text = method === 'editMessageText' && typeof params.text === 'string' ? params.text : stored.text;
    if (method === 'editMessageText' && text.trim().length === 0) {
      throw new ApiError(400, 'Bad Request: message text is empty');
    }
    if (text === stored.text && JSON.stringify(markup) === JSON.stringify(stored.reply_markup)) {
      throw new ApiError(
        400,
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    const next: StoredMessage = { ...stored, text };
    if (markup === undefined) delete next.reply_markup;
    else next.reply_markup = markup;
    this.messagesById.set(key, next);
    return this.messageResult(next);
  }

  private poll(params: Record<string, unknown>, res: ServerResponse): void {
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeoutMs = Math.min(Number(params.timeout ?? 0) * 1000, this.options.maxPollMs);
    if (offset > 0) this.confirm(offset);
    const ready = this.take(offset, limit);
    if (ready.length > 0 || timeoutMs <= 0 || !this.server) {
      this.reply(res, 200, { ok: true, result: ready.map((item) => item.update) });
      return;
    }
    const poll: PendingPoll = {
      offset,
      limit,
      respond: (updates) => {
        clearTimeout(timer);
        this.polls = this.polls.filter((other) => other !== poll);
        this.reply(res, 200, { ok: true, result: updates.map((item) => item.update) });
      },
    };
    const timer = setTimeout(() => poll.respond([]), timeoutMs);
    // A client that gave up (telegraf aborts its poll on stop) must not swallow the next update.
    res.on('close', () => {
      clearTimeout(timer);
      this.polls = this.polls.filter((other) => other !== poll);
    });
    this.polls.push(poll);
  }

  /** `getUpdates` with an offset confirms every update below it, as the real API does. */
  private confirm(offset: number): void {
    this.confirmedOffset = Math.max(this.confirmedOffset, offset);
    this.queue = this.queue.filter((item) => item.force || item.update.update_id >= offset);
  }

  private take(offset: number, limit: number): QueuedUpdate[] {
    const ready = this.queue.filter((item) => item.force || item.update.update_id >= offset).slice(0, limit);
    // A forced duplicate goes out once; ordinary updates stay until confirmed by a later offset.
    this.queue = this.queue.filter((item) => !(item.force && ready.includes(item)));
    return ready;
  }

  private flushPolls(): void {
    for (const poll of [...this.polls]) {
      const ready = this.take(poll.offset, poll.limit);
      if (ready.length === 0) continue;
      poll.respond(ready);
    }
  }

  private enqueue(body: Record<string, unknown>): number {
    const update_id = this.nextUpdateId++;
    const update = { update_id, ...body };
    this.delivered.set(update_id, update);
    this.queue.push({ update, force: false });
    this.flushPolls();
    return update_id;
  }

  private store(message: StoredMessage): void {
    this.messagesById.set(`${message.chatId}:${message.message_id}`, message);
  }

  private messageResult(message: StoredMessage): Record<string, unknown> {
    const result: Record<string, unknown> = {
      message_id: message.message_id,
      date: this.unixTime(),
      chat: this.chat(message.chatId),
      from: this.botUser(),
      text: message.text,
    };
    if (message.reply_markup !== undefined) result.reply_markup = message.reply_markup;
    return result;
  }

  private user(id: number, languageCode?: string): Record<string, unknown> {
    const user: Record<string, unknown> = {
      id,
      is_bot: false,
      first_name: `Client${id}`,
      username: `client${id}`,
    };
    if (languageCode !== undefined) user.language_code = languageCode;
    return user;
  }

  private chat(id: number): Record<string, unknown> {
    return { id, type: 'private', first_name: `Client${id}`, username: `client${id}` };
  }

  private botUser(): Record<string, unknown> {
    return {
      id: BOT_ID,
      is_bot: true,
      first_name: 'Salon',
      username: this.options.botUsername,
      can_join_groups: false,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    };
  }

  private unixTime(): number {
    return Math.floor(Date.now() / 1000);
  }
}

function defaultDescription(fault: InjectedFault): string {
  if (fault.error_code === 429) return `Too Many Requests: retry after ${fault.retry_after ?? 1}`;
  if (fault.error_code === 403) return 'Forbidden: bot was blocked by the user';
  if (fault.error_code >= 500) return 'Internal Server Error';
  return 'Bad Request';
}

/** What the real API refuses in a keyboard: callback data over 64 bytes, over 100 inline buttons. */
function validateMarkup(markup: unknown): void {
  if (!isRecord(markup)) return;
  const rows = markup.inline_keyboard;
  if (!Array.isArray(rows)) return;
  let count = 0;
  for (const row of rows) {
    if (!Array.isArray(row))
      throw new ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array of Arrays');
    for (const button of row) {
      count++;
      if (!isRecord(button) || typeof button.text !== 'string' || button.text.length === 0) {
        throw new ApiError(400, 'Bad Request: text buttons are unallowed in the inline keyboard');
      }
      const data = button.callback_data;
      if (typeof data === 'string' && (byteLength(data) > 64 || byteLength(data) === 0)) {
        throw new ApiError(400, 'Bad Request: BUTTON_DATA_INVALID');
      }
    }
  }
  if (count > 100) throw new ApiError(400, 'Bad Request: too many inline buttons');
}
