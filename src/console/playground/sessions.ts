/**
 * Playground sessions: each browser is one made-up client of the sandbox salon, with a phone of
 * its own. Nothing is stored: the phone and the CSRF token are derived from the session id in
 * the cookie, so a restart keeps the client (and its chats in the database) and a new cookie
 * ("start over") is a new client.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'playground_session';
const SESSION_ID = /^[0-9a-f]{32}$/;

export interface PlaygroundSession {
  id: string;
  /** Digits with country code: `7999` and seven digits from the id (a number no one answers). */
  phone: string;
  /**
   * Names the session's chats (`tg:<chatKey>`, `wa:<chatKey>`). Derived, not the id itself: chat
   * ids are shown in the console's dialogues, and the id in the cookie is a secret.
   */
  chatKey: string;
  /** Sent back by the page in `x-csrf-token` with every change. */
  csrf: string;
}

export interface PlaygroundSessions {
  /** The session a cookie names, or a new one (`fresh`) when it names none. */
  open(cookieHeader: string | undefined): { session: PlaygroundSession; fresh: boolean };
  /** The session a cookie names; undefined without a valid one. */
  find(cookieHeader: string | undefined): PlaygroundSession | undefined;
  /** Whether `token` is the session's CSRF token. */
  checkCsrf(session: PlaygroundSession, token: unknown): boolean;
  /** The `Set-Cookie` value that keeps the session in this browser. */
  cookie(session: PlaygroundSession): string;
}

/** One cookie's value from a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** Creates the session helper; `secret` signs the CSRF tokens (a new one per process is fine). */
export function createPlaygroundSessions(
  secret: string = randomBytes(32).toString('hex'),
): PlaygroundSessions {
  const make = (id: string): PlaygroundSession => {
    const digest = createHash('sha256').update(`playground-phone:${id}`).digest();
    const seven = String(digest.readUInt32BE(0) % 10_000_000).padStart(7, '0');
    return {
      id,
      phone: `7999${seven}`,
      chatKey: digest.subarray(8, 20).toString('hex'),
      csrf: createHmac('sha256', secret).update(`playground-csrf:${id}`).digest('hex'),
    };
  };
  const find = (header: string | undefined) => {
    const id = readCookie(header, SESSION_COOKIE);
    return id !== undefined && SESSION_ID.test(id) ? make(id) : undefined;
  };
  return {
    find,
    open(header) {
      const known = find(header);
      return known
        ? { session: known, fresh: false }
        : { session: make(randomBytes(16).toString('hex')), fresh: true };
    },
    checkCsrf(session, token) {
      if (typeof token !== 'string' || token.length !== session.csrf.length) return false;
      return timingSafeEqual(Buffer.from(token), Buffer.from(session.csrf));
    },
    cookie: (session) => `${SESSION_COOKIE}=${session.id}; Path=/playground; HttpOnly; SameSite=Strict`,
  };
}
