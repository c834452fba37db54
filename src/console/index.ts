/**
 * The salon's web console, served by the engine's HTTP server under `/console` (and `/`). One
 * encapsulated fastify plugin: its form parser, security headers, sign-in check and CSRF check
 * apply to its routes only, never to webhooks or the admin API.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SettingsHolder } from '../config/settings-holder.js';
import type { Clock } from '../domain/clock.js';
import { sameSecret } from '../http/secret.js';
import type { Store } from '../store/index.js';
import type { AltegioData } from './altegio-data.js';
import { FormFields } from './form.js';
import type { Html } from './html.js';
import { consoleT, LANGUAGE_COOKIE, requestLanguage } from './i18n.js';
import { CONSOLE_NAV, type NavItem, type PageContext } from './layout.js';
import { registerDeliveryPages } from './pages/deliveries.js';
import { registerDialoguePages } from './pages/dialogues.js';
import { isSection, saveSection, settingsPage } from './pages/settings.js';
import { consoleOffPage, signInPage } from './pages/sign-in.js';
import { registerTaskPages } from './pages/tasks.js';
import { registerTemplatePages } from './pages/templates.js';
import {
  clearSessionCookie,
  createSessions,
  csrfMatches,
  parseCookies,
  type Session,
  setSessionCookie,
} from './session.js';
import { stopLayoutWorker } from './statechart.js';

export interface ConsoleOptions {
  /** Without it the console is off: its pages say so and nothing else is shown. */
  token: string | undefined;
  settings: SettingsHolder;
  store: Store;
  clock: Clock;
  altegio: AltegioData;
  /** The XState inspector's address when it runs (`--inspect`), linked from the dialogues. */
  inspectorUrl?: string | undefined;
  /** Links other modules add to the sidebar (the playground in sandbox mode). */
  extraNav?: readonly NavItem[];
  /** Whether `/` is the console's (default); the playground takes it over in sandbox mode. */
  serveRoot?: boolean;
}

/**
 * Same-origin everything: scripts and styles only from our own files (no inline script, no CDN),
 * no framing, forms only to us.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

const require = createRequire(import.meta.url);

function asset(path: string | URL): Buffer {
  return readFileSync(path);
}

const ASSET_FILES: Record<string, { type: string; body: () => Buffer }> = {
  'htmx.min.js': { type: 'text/javascript', body: () => asset(require.resolve('htmx.org/dist/htmx.min.js')) },
  'console.css': { type: 'text/css', body: () => asset(new URL('./assets/console.css', import.meta.url)) },
  'console.js': {
    type: 'text/javascript',
    body: () => asset(new URL('./assets/console.js', import.meta.url)),
  },
};

/** A path inside the console (or the playground) to return to after signing in; anything else goes to the settings. */
function safeNext(value: string | undefined): string {
  return value && /^\/(console\/[\w/-]*|playground)(\?[\w=&%.-]*)?$/.test(value)
    ? value
    : '/console/settings';
}

export interface ConsoleRequestContext {
  context: PageContext;
  session: Session | undefined;
}

/** What other modules (the playground) may ask of the console. */
export interface ConsoleAccess {
  /** Whether the request carries a signed-in admin's session. */
  isSignedIn(request: FastifyRequest): boolean;
}

export function registerConsole(app: FastifyInstance, options: ConsoleOptions): ConsoleAccess {
  const sessions = createSessions(() => options.clock.now());
  const nav = [...CONSOLE_NAV, ...(options.extraNav ?? [])];
  const assets = new Map(
    Object.entries(ASSET_FILES).map(([name, file]) => [name, { type: file.type, body: file.body() }]),
  );

  const contextOf = (
    request: FastifyRequest,
    reply: FastifyReply,
    session: Session | undefined,
  ): PageContext => {
    const cookies = parseCookies(request.headers.cookie);
    const picked = (request.query as Record<string, unknown> | undefined)?.lang;
    if (picked === 'en' || picked === 'ru' || picked === 'uk') {
      cookies[LANGUAGE_COOKIE] = picked;
      reply.header('set-cookie', `${LANGUAGE_COOKIE}=${picked}; Path=/; SameSite=Strict; Max-Age=31536000`);
    }
    const language = requestLanguage(request, cookies);
    const path = request.url.replace(/([?&])lang=\w+&?/, '$1').replace(/[?&]$/, '');
    return { t: consoleT(language), language, csrf: session?.csrf, nav, path };
  };

  const send = (reply: FastifyReply, body: Html, status = 200) =>
    reply.code(status).type('text/html; charset=utf-8').send(body.value);

  // The statechart layout worker ends with the server, so that a stopped engine leaves nothing running.
  app.addHook('onClose', async () => stopLayoutWorker());
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => done(null, FormFields.parse(String(body))),
    );
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    });

    scope.get('/console/assets/:file', async (request, reply) => {
      const file = assets.get((request.params as { file: string }).file);
      if (!file) return reply.code(404).type('text/plain').send('not found');
      return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
    });

    // Every other console route: off without a token, sign-in without a session, CSRF on changes.
    const guard = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!options.token) return send(reply, consoleOffPage(contextOf(request, reply, undefined)), 404);
      const session = sessions.find(request);
      if (!session) {
        const next = request.method === 'GET' ? request.url : '/console/settings';
        const target = `/console/sign-in?next=${encodeURIComponent(safeNext(next))}`;
        if (request.headers['hx-request']) return reply.code(401).header('hx-redirect', target).send();
        return reply.code(303).header('location', target).send();
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        const form = request.body instanceof FormFields ? request.body : undefined;
        if (!csrfMatches(request, session, form)) {
          request.log.warn(
            { route: request.routeOptions.url },
            'console request without a valid CSRF token refused',
          );
          return reply
            .code(403)
            .type('text/plain')
            .send(contextOf(request, reply, session).t('common.csrf'));
        }
      }
      (request as FastifyRequest & { consoleSession?: Session }).consoleSession = session;
    };
    const sessionOf = (request: FastifyRequest): Session | undefined =>
      (request as FastifyRequest & { consoleSession?: Session }).consoleSession;
    const formOf = (request: FastifyRequest): FormFields =>
      request.body instanceof FormFields ? request.body : FormFields.parse('');

    scope.get('/console/sign-in', async (request, reply) => {
      if (!options.token) return send(reply, consoleOffPage(contextOf(request, reply, undefined)), 404);
      const next = safeNext((request.query as { next?: string }).next);
      return send(reply, signInPage(contextOf(request, reply, undefined), { next, failed: false }));
    });
    scope.post('/console/sign-in', async (request, reply) => {
      if (!options.token) return send(reply, consoleOffPage(contextOf(request, reply, undefined)), 404);
      const form = formOf(request);
      const next = safeNext(form.get('next'));
      const given = form.get('token') ?? '';
      if (!given || !sameSecret(given, options.token)) {
        request.log.warn('console sign-in with a wrong token refused');
        return send(reply, signInPage(contextOf(request, reply, undefined), { next, failed: true }), 401);
      }
      const session = sessions.create();
      setSessionCookie(request, reply, session);
      request.log.info('console sign-in');
      return reply.code(303).header('location', next).send();
    });
    scope.post('/console/sign-out', { preHandler: guard }, async (request, reply) => {
      const session = sessionOf(request);
      if (session) sessions.end(session);
      clearSessionCookie(request, reply);
      return reply.code(303).header('location', '/console/sign-in').send();
    });

    const settingsDeps = {
      holder: options.settings,
      altegio: options.altegio,
      logger: app.log,
      store: options.store,
    };
    const showSettings = async (request: FastifyRequest, reply: FastifyReply) =>
      send(reply, await settingsPage(contextOf(request, reply, sessionOf(request)), settingsDeps));
    scope.get('/console', { preHandler: guard }, async (_request, reply) =>
      reply.code(303).header('location', '/console/settings').send(),
    );
    scope.get('/console/settings', { preHandler: guard }, showSettings);
    scope.post('/console/settings/:section', { preHandler: guard }, async (request, reply) => {
      const { section } = request.params as { section: string };
      if (!isSection(section)) return reply.code(404).type('text/plain').send('no such settings section');
      const context = contextOf(request, reply, sessionOf(request));
      const fragment = request.headers['hx-request'] === 'true';
      return send(reply, await saveSection(context, settingsDeps, section, formOf(request), fragment));
    });

    if (options.serveRoot !== false) {
      // `/` answers 200 with HTML whatever the state: the console off, the sign-in, or the settings.
      scope.get('/', async (request, reply) => {
        if (!options.token) return send(reply, consoleOffPage(contextOf(request, reply, undefined)));
        const session = sessions.find(request);
        if (!session) {
          return send(
            reply,
            signInPage(contextOf(request, reply, undefined), { next: '/console/settings', failed: false }),
          );
        }
        (request as FastifyRequest & { consoleSession?: Session }).consoleSession = session;
        return showSettings(request, reply);
      });
    }

    const pageDeps = {
      store: options.store,
      settings: options.settings,
      clock: options.clock,
      altegio: options.altegio,
      inspectorUrl: options.inspectorUrl,
    };
    registerTemplatePages(scope, { ...pageDeps, guard, contextOf, sessionOf, formOf, send });
    registerTaskPages(scope, { ...pageDeps, guard, contextOf, sessionOf, formOf, send });
    registerDialoguePages(scope, { ...pageDeps, guard, contextOf, sessionOf, formOf, send });
    registerDeliveryPages(scope, { ...pageDeps, guard, contextOf, sessionOf, formOf, send });
  });
  return { isSignedIn: (request) => options.token !== undefined && sessions.find(request) !== undefined };
}
