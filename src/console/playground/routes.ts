/**
 * The playground's HTTP routes (sandbox mode only): the page, its two assets, the stream of new
 * chat messages (server-sent events), what the client does in a pane, and the sandbox controls.
 *
 * Who may open it: with `ADMIN_TOKEN` set, a signed-in admin; without it, only a browser on this
 * machine (a loopback peer that also names a loopback host, so a page elsewhere cannot reach it
 * through DNS rebinding). Changes need the session's CSRF token in `x-csrf-token`, and the
 * session cookie is `SameSite=Strict`, so another site cannot act for the visitor.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type WebAction, type WebChannel, webChatId } from '../../channels/web.js';
import { asLanguage, type Language, type Settings } from '../../domain/settings.js';
import { sameSecret } from '../../http/secret.js';
import type { Logger } from '../../log.js';
import type { Store } from '../../store/index.js';
import { type ConsoleT, consoleT, LANGUAGE_COOKIE, requestLanguage } from '../i18n.js';
import { CONTENT_SECURITY_POLICY } from '../index.js';
import { CONSOLE_NAV, type PageContext } from '../layout.js';
import { parseCookies } from '../session.js';
import type { ControlResult, PlaygroundClient, PlaygroundControls } from './controls.js';
import {
  PANES,
  type PaneName,
  PLAYGROUND_NAV,
  renderEntry,
  renderPlaygroundPage,
  renderRefusal,
} from './page.js';
import type { PlaygroundSession, PlaygroundSessions } from './sessions.js';

export interface PlaygroundRoutesOptions {
  web: WebChannel;
  sessions: PlaygroundSessions;
  controls: PlaygroundControls;
  store: Pick<Store, 'conversations'>;
  settings(): Settings;
  adminToken: string | undefined;
  /**
   * Whether the request comes from a signed-in admin (the console's session). Without it, an
   * `Authorization: Bearer $ADMIN_TOKEN` header counts.
   */
  isSignedIn?(request: FastifyRequest): boolean;
  reminderLeadMs: number;
  logger: Logger;
}

const ASSETS: Record<string, string> = {
  'playground.js': 'text/javascript; charset=utf-8',
  'playground.css': 'text/css; charset=utf-8',
};

const LOOPBACK_PEER = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

const paneSchema = z.enum(['tg', 'wa']);
const actionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().max(500) }),
  z.object({
    type: z.literal('press'),
    entryId: z.number().int().positive(),
    index: z.number().int().min(0),
  }),
  z.object({ type: z.literal('contact') }),
]);
const CONTROLS = ['reminder', 'came', 'birthday', 'birthday-now'] as const;
const controlSchema = z.enum(CONTROLS);

/** Registers the playground on the engine's HTTP server, and `GET /` leading to it. */
export function registerPlaygroundRoutes(app: FastifyInstance, options: PlaygroundRoutesOptions): void {
  const { web, sessions, controls, logger } = options;
  const assets = new Map(
    Object.keys(ASSETS).map((name) => [
      name,
      readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8'),
    ]),
  );
  // Without ADMIN_TOKEN the console's pages are off, so the sidebar offers only the playground.
  const nav = options.adminToken === undefined ? [PLAYGROUND_NAV] : [...CONSOLE_NAV, PLAYGROUND_NAV];

  /** The language of an answer: the page's own (sent by its script), else as the console picks it. */
  const languageOf = (request: FastifyRequest): Language => {
    const header = request.headers['x-playground-lang'];
    return (
      asLanguage(typeof header === 'string' ? header : undefined) ??
      requestLanguage(request, parseCookies(request.headers.cookie))
    );
  };

  /** The console's page context: `?lang=` picks (and remembers) the language, as on its pages. */
  const contextOf = (request: FastifyRequest, reply: FastifyReply): PageContext => {
    const cookies = parseCookies(request.headers.cookie);
    const picked = asLanguage((request.query as { lang?: string } | undefined)?.lang);
    if (picked) {
      cookies[LANGUAGE_COOKIE] = picked;
      void reply.header(
        'set-cookie',
        `${LANGUAGE_COOKIE}=${picked}; Path=/; SameSite=Strict; Max-Age=31536000`,
      );
    }
    const language = requestLanguage(request, cookies);
    const path = request.url.replace(/([?&])lang=\w+&?/, '$1').replace(/[?&]$/, '');
    return { t: consoleT(language), language, nav, path };
  };

  const signedIn = (request: FastifyRequest): boolean => {
    if (options.isSignedIn?.(request)) return true;
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    return options.adminToken !== undefined && given !== undefined && sameSecret(given, options.adminToken);
  };

  type Refusal = { status: 401 | 403; why: 'signIn' | 'loopbackOnly' };
  /** Undefined when the request may use the playground; else why not. */
  const refusal = (request: FastifyRequest): Refusal | undefined => {
    if (options.adminToken !== undefined) {
      return signedIn(request) ? undefined : { status: 401, why: 'signIn' };
    }
    const peer = request.socket.remoteAddress ?? '';
    const host = request.headers.host ?? '';
    return LOOPBACK_PEER.test(peer) && LOOPBACK_HOST.test(host)
      ? undefined
      : { status: 403, why: 'loopbackOnly' };
  };
  const refusalText = (t: ConsoleT, refused: Refusal): string =>
    refused.why === 'signIn' ? t('playground.access.signIn') : t('playground.access.loopbackOnly');

  /** The session for a change: access, session cookie and CSRF token checked. */
  const authorised = (request: FastifyRequest, reply: FastifyReply): PlaygroundSession | undefined => {
    const refused = refusal(request);
    const t = consoleT(languageOf(request));
    if (refused) {
      void reply.code(refused.status).send({ error: refusalText(t, refused) });
      return undefined;
    }
    const session = sessions.find(request.headers.cookie);
    if (!session || !sessions.checkCsrf(session, request.headers['x-csrf-token'])) {
      logger.warn(
        { route: request.routeOptions.url },
        'playground change without a valid session or CSRF token refused',
      );
      void reply.code(403).send({ error: t('playground.result.forbidden') });
      return undefined;
    }
    return session;
  };

  const clientOf = (session: PlaygroundSession, language: Language): PlaygroundClient => ({
    phone: session.phone,
    name: consoleT(language)('playground.guestName', { digits: session.phone.slice(-4) }),
  });

  /** The first pane imitating a channel of `general.channelPriority` gets the notifications. */
  const notifiedPane = (): PaneName =>
    options.settings().general.channelPriority[0] === 'telegram' ? 'tg' : 'wa';

  const chatOf = (session: PlaygroundSession, pane: PaneName): string =>
    webChatId(pane === 'tg' ? 'telegram' : 'whatsapp', session.chatKey);

  app.get('/', async (_request, reply) => reply.redirect('/playground', 302));

  app.get('/playground/assets/:file', async (request, reply) => {
    const name = (request.params as { file: string }).file;
    const body = assets.get(name);
    const type = ASSETS[name];
    if (body === undefined || type === undefined) return reply.code(404).send({ error: 'no such file' });
    return reply
      .type(type)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  app.get('/playground', async (request, reply) => {
    const context = contextOf(request, reply);
    void reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', CONTENT_SECURITY_POLICY);
    const refused = refusal(request);
    // An admin who is not signed in signs in first and comes back here.
    if (refused?.why === 'signIn') {
      return reply.code(303).header('location', '/console/sign-in?next=%2Fplayground').send();
    }
    if (refused) {
      return reply.code(refused.status).send(renderRefusal(context, refusalText(context.t, refused)).value);
    }
    const { session, fresh } = sessions.open(request.headers.cookie);
    // Both panes are this client's chats from the start, as a WhatsApp chat is its phone: the
    // engine's notifications for the phone find them, and the booking offers it in one tap.
    for (const { style } of PANES) {
      const chatId = webChatId(style, session.chatKey);
      await options.store.conversations.upsert('web', chatId, {
        phone: session.phone,
        language: context.language,
      });
      web.open(chatId, { languageCode: context.language });
    }
    if (fresh) void reply.header('set-cookie', sessions.cookie(session));
    const client = clientOf(session, context.language);
    const page = renderPlaygroundPage(context, {
      csrf: session.csrf,
      phone: client.phone,
      name: client.name,
      reminderLeadSeconds: Math.round(options.reminderLeadMs / 1000),
      notifiedPane: notifiedPane(),
      timeZone: options.settings().general.timezone,
      history: { tg: web.history(chatOf(session, 'tg')), wa: web.history(chatOf(session, 'wa')) },
    });
    return reply.send(page.value);
  });

  app.get('/playground/events', async (request, reply) => {
    const refused = refusal(request);
    const session = sessions.find(request.headers.cookie);
    if (refused || !session) return reply.code(refused?.status ?? 403).send({ error: 'not allowed' });
    const t = consoleT(languageOf(request));
    const query = request.query as Record<string, unknown>;
    const chats = new Map<string, PaneName>(PANES.map(({ pane }) => [chatOf(session, pane), pane]));
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const push = (pane: PaneName, entry: Parameters<typeof renderEntry>[1]) => {
      const data = JSON.stringify({
        pane,
        id: entry.id,
        html: renderEntry(pane, entry, t, options.settings().general.timezone).value,
      });
      raw.write(`event: entry\ndata: ${data}\n\n`);
    };
    // What arrived between the page's rendering and this stream: entries after the ids it shows.
    for (const [chatId, pane] of chats) {
      const after = Number(query[pane] ?? 0) || 0;
      for (const entry of web.history(chatId)) if (entry.id > after) push(pane, entry);
    }
    const unsubscribe = web.subscribe((chatId, entry) => {
      const pane = chats.get(chatId);
      if (pane) push(pane, entry);
    });
    // A comment now and then keeps proxies and the browser from closing an idle stream.
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });

  app.post('/playground/chat/:pane', async (request, reply) => {
    const session = authorised(request, reply);
    if (!session) return reply;
    const language = languageOf(request);
    const pane = paneSchema.safeParse((request.params as { pane: unknown }).pane);
    const body = actionSchema.safeParse(request.body);
    if (!pane.success || !body.success) {
      return reply.code(400).send({
        error: 'expected {type: "text", text} | {type: "press", entryId, index} | {type: "contact"}',
      });
    }
    const action: WebAction =
      body.data.type === 'contact'
        ? { type: 'contact', phone: session.phone, label: consoleT(language)('playground.sharePhone') }
        : body.data;
    const result = web.receive(chatOf(session, pane.data), action, {
      languageCode: language,
      displayName: clientOf(session, language).name,
    });
    return result.ok ? { ok: true, id: result.entry.id } : reply.code(409).send({ error: result.reason });
  });

  app.post('/playground/controls/:name', async (request, reply) => {
    const session = authorised(request, reply);
    if (!session) return reply;
    const language = languageOf(request);
    const t = consoleT(language);
    const name = controlSchema.safeParse((request.params as { name: unknown }).name);
    if (!name.success)
      return reply.code(404).send({ error: `no such control; one of ${CONTROLS.join(', ')}` });
    const client = clientOf(session, language);
    let result: ControlResult;
    try {
      if (name.data === 'reminder') result = await controls.remindSoon(client);
      else if (name.data === 'came') result = await controls.markCame(client);
      else result = await controls.birthdayToday(client, { now: name.data === 'birthday-now' });
    } catch (error) {
      logger.warn({ err: error, control: name.data }, 'playground control failed');
      const reason = error instanceof Error ? error.message : String(error);
      return reply.code(502).send({ ok: false, message: t('playground.result.failed', { reason }) });
    }
    return { ok: result.ok, message: t(result.key, result.params ?? {}), offerNow: result.offerNow === true };
  });

  app.post('/playground/new-client', async (request, reply) => {
    if (!authorised(request, reply)) return reply;
    const { session } = sessions.open(undefined);
    return reply.header('set-cookie', sessions.cookie(session)).send({ ok: true });
  });
}
