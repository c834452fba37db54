/**
 * Telegram `callback_data` for our inline buttons: at most 64 bytes, bound to one chat, and
 * impossible to alter without detection.
 *
 * Scheme. The normal form is `<tag><menuId>:<value>` where `tag` is the first 8 bytes of
 * HMAC-SHA256(key, [chatId, menuId, value]) in base64url (11 characters). It needs no server-side
 * state, so buttons keep working across restarts and on any instance, which matters because
 * dialogues outlive the process. The value stays readable, but changing it, or replaying the button
 * in another chat, breaks the tag. 64 bits of tag is far beyond what anyone can guess through
 * Telegram's rate limits.
 *
 * When that form would exceed 64 bytes (a long menu id or value), or the menu id contains `:`, the
 * button carries `~<token>` instead: 128 random bits that index a {@link CallbackTokenStore}. The
 * default store lives in memory and is bounded, so such buttons do not survive a restart: the press
 * is answered as an unknown button, which the runtime treats like any stale menu. Keep menu ids and
 * values short (together under ~50 bytes) to stay on the stateless path, or pass a persistent store.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LruMap } from '../lru.js';

/** What a button stands for, as handed back to the runtime. */
export interface CallbackChoice {
  value: string;
  menuId?: string;
}

/** A button stored server-side, for the few that do not fit the signed form. */
export interface CallbackEntry extends CallbackChoice {
  chatId: string;
}

/** Where `~<token>` buttons are kept. Synchronous so that a SQLite-backed store fits as is. */
export interface CallbackTokenStore {
  get(token: string): CallbackEntry | undefined;
  set(token: string, entry: CallbackEntry): void;
}

/** Encodes and checks callback data; see the module comment for the scheme. */
export interface CallbackCodec {
  encode(chatId: string, choice: CallbackChoice): string;
  /** The choice, or `undefined` when the data was forged, altered, or belongs to another chat. */
  decode(chatId: string, data: string): CallbackChoice | undefined;
}

/** Telegram's limit for `callback_data`. */
export const CALLBACK_DATA_MAX_BYTES = 64;

const TAG_BYTES = 8;
const TAG_CHARS = 11; // base64url of 8 bytes, unpadded
const TOKEN_PREFIX = '~'; // never the first character of a base64url tag

/** The default token store: in memory, the most recent `capacity` buttons. */
export function createMemoryTokenStore(capacity = 50_000): CallbackTokenStore {
  return new LruMap<string, CallbackEntry>(capacity);
}

/**
 * Creates the codec. `secret` is the engine's secret; a purpose-specific key is derived from it so
 * that the same secret can sign other things without one signature standing in for another.
 */
export function createCallbackCodec(options: { secret: string; store?: CallbackTokenStore }): CallbackCodec {
  if (options.secret.length === 0) throw new Error('telegram callback secret must not be empty');
  const key = createHmac('sha256', options.secret).update('altegio-bot/telegram-callback/v1').digest();
  const store = options.store ?? createMemoryTokenStore();

  const tag = (chatId: string, menuId: string, value: string): string =>
    createHmac('sha256', key)
      .update(JSON.stringify([chatId, menuId, value]))
      .digest()
      .subarray(0, TAG_BYTES)
      .toString('base64url');

  return {
    encode(chatId, choice) {
      const menuId = choice.menuId ?? '';
      const signed = `${tag(chatId, menuId, choice.value)}${menuId}:${choice.value}`;
      if (!menuId.includes(':') && Buffer.byteLength(signed, 'utf8') <= CALLBACK_DATA_MAX_BYTES)
        return signed;
      const token = randomBytes(16).toString('base64url');
      store.set(token, { chatId, value: choice.value, ...(choice.menuId === undefined ? {} : { menuId }) });
      return `${TOKEN_PREFIX}${token}`;
    },

    decode(chatId, data) {
      if (data.startsWith(TOKEN_PREFIX)) {
        const entry = store.get(data.slice(TOKEN_PREFIX.length));
        if (!entry || entry.chatId !== chatId) return undefined;
        return entry.menuId === undefined
          ? { value: entry.value }
          : { value: entry.value, menuId: entry.menuId };
      }
      const given = data.slice(0, TAG_CHARS);
      const rest = data.slice(TAG_CHARS);
      const colon = rest.indexOf(':');
      if (given.length !== TAG_CHARS || colon < 0) return undefined;
      const menuId = rest.slice(0, colon);
      const value = rest.slice(colon + 1);
      const expected = Buffer.from(tag(chatId, menuId, value), 'utf8');
      const actual = Buffer.from(given, 'utf8');
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
      return menuId === '' ? { value } : { value, menuId };
    },
  };
}
