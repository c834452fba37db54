import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sameSecret } from '../http/secret.js';
import type { FormFields } from './form.js';

export const SESSION_COOKIE = 'console_session';
/** A console session lasts a working day; signing in again is cheap. */
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface Session {
  id: string;
  /** Sent back in a form field or the `X-CSRF-Token` header with every state-changing request. */
  csrf: string;
  expiresAt: number;
}

/** `Cookie:` header → name/value pairs. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    try {
      cookies[name] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      // A cookie someone else set with bad escapes is ignored, not a failed request.
    }
  }
  return cookies;
}

/**
 * Sessions live in memory: a restart signs everyone out, which is harmless for a salon's few
 * admins and keeps session ids out of the database. Ids are random and compared as secrets.
 */
export function createSessions(now: () => number = Date.now) {
  const sessions = new Map<string, Session>();
  const token = () => randomBytes(24).toString('base64url');
  return {
    create(): Session {
      for (const [id, session] of sessions) if (session.expiresAt <= now()) sessions.delete(id);
      const session = { id: token(), csrf: token(), expiresAt: now() + SESSION_TTL_MS };
      sessions.set(session.id, session);
      return session;
    },
    find(request: FastifyRequest): Session | undefined {
      const id = parseCookies(request.headers.cookie)[SESSION_COOKIE];
      if (!id) return undefined;
      const session = sessions.get(id);
      if (!session || !sameSecret(id, session.id)) return undefined;
      if (session.expiresAt <= now()) {
        sessions.delete(id);
        return undefined;
      }
      return session;
    },
    end(session: Session): void {
      sessions.delete(session.id);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

function cookie(request: FastifyRequest, name: string, value: string, maxAgeSeconds: number): string {
  // Secure only behind HTTPS: on the loopback address the console is served over plain HTTP.
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: Session): void {
  reply.header('set-cookie', cookie(request, SESSION_COOKIE, session.id, SESSION_TTL_MS / 1000));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', cookie(request, SESSION_COOKIE, '', 0));
}

/** The CSRF token of a state-changing request: htmx sends a header, a plain form a field. */
export function csrfMatches(
  request: FastifyRequest,
  session: Session,
  form: FormFields | undefined,
): boolean {
  const header = request.headers['x-csrf-token'];
  const given = typeof header === 'string' ? header : (form?.get('_csrf') ?? '');
  return typeof given === 'string' && given !== '' && sameSecret(given, session.csrf);
}
