import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { formatInTimeZone } from 'date-fns-tz';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createCachedAltegio } from '../../src/altegio/cache.js';
import { createAltegioClient } from '../../src/altegio/client.js';
import { DEFAULT_PARTNER_TOKEN, DEFAULT_USER_TOKEN, startSandbox } from '../../src/altegio/sandbox/index.js';
import { createSettingsHolder, type SettingsHolder } from '../../src/config/settings-holder.js';
import { html, raw } from '../../src/console/html.js';
import { CONTENT_SECURITY_POLICY, registerConsole } from '../../src/console/index.js';
import { defaultSettings } from '../../src/domain/settings.js';
import { createHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { createStore, type SqliteStore as Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/tmp.js';

const TOKEN = 'console-secret-token';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Posts the sign-in form with `payload` (`token=…&next=…`). */
const postSignIn = (app: FastifyInstance, payload: string) =>
  app.inject({ method: 'POST', url: '/console/sign-in', headers: FORM, payload });

describe('web console over HTTP', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function harness(
    token: string | undefined,
  ): Promise<{ app: FastifyInstance; holder: SettingsHolder; file: string; store: Store }> {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const logger = createLogger({ level: 'silent' });
    const sandbox = await startSandbox({ logger });
    cleanups.push(() => sandbox.stop());
    const altegio = createCachedAltegio(
      createAltegioClient({
        baseUrl: sandbox.url,
        partnerToken: DEFAULT_PARTNER_TOKEN,
        userToken: DEFAULT_USER_TOKEN,
      }),
    );
    const file = join(dir.path, 'settings.yaml');
    writeFileSync(file, '{}\n');
    const holder = createSettingsHolder(defaultSettings(), file);
    const store = createStore(join(dir.path, 'bot.sqlite'));
    cleanups.push(() => store.close());
    const app = createHttpServer({ logger, metrics: createMetrics() });
    registerConsole(app, {
      token,
      settings: holder,
      store,
      clock: { now: () => Date.now() },
      altegio: { altegio, servedBranchIds: async () => [101, 102] },
    });
    await app.ready();
    cleanups.push(() => app.close());
    return { app, holder, file, store };
  }

  async function signIn(app: FastifyInstance): Promise<{ cookie: string; csrf: string }> {
    const response = await postSignIn(app, `token=${TOKEN}&next=/console/settings`);
    expect(response.statusCode).toBe(303);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0] as string;
    const page = await app.inject({ method: 'GET', url: '/console/settings', headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    expect(csrf).not.toBe('');
    return { cookie, csrf };
  }

  it('is off without ADMIN_TOKEN: / says so with 200 HTML, the pages answer 404', async () => {
    const { app } = await harness(undefined);
    const root = await app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(200);
    expect(root.headers['content-type']).toMatch(/text\/html/);
    expect(root.body).toContain('ADMIN_TOKEN');
    const settings = await app.inject({ method: 'GET', url: '/console/settings' });
    expect(settings.statusCode).toBe(404);
    const signIn = await postSignIn(app, 'token=x');
    expect(signIn.statusCode).toBe(404);
  });

  it('sends a visitor without a session to the sign-in page and refuses a wrong token', async () => {
    const { app } = await harness(TOKEN);
    const page = await app.inject({ method: 'GET', url: '/console/tasks' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/console/sign-in?next=%2Fconsole%2Ftasks');
    const wrong = await postSignIn(app, 'token=guess');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a change without the CSRF token and changes nothing', async () => {
    const { app, holder, file } = await harness(TOKEN);
    const { cookie, csrf } = await signIn(app);
    const before = readFileSync(file, 'utf8');
    const payload = `records.cancellation=delete&_version=${holder.version()}`;
    for (const headers of [
      { cookie, ...FORM },
      { cookie, ...FORM, 'x-csrf-token': 'forged' },
    ]) {
      const response = await app.inject({
        method: 'POST',
        url: '/console/settings/records',
        headers,
        payload,
      });
      expect(response.statusCode).toBe(403);
    }
    expect(holder.get().records.cancellation).toBe('no-show');
    expect(readFileSync(file, 'utf8')).toBe(before);
    const accepted = await app.inject({
      method: 'POST',
      url: '/console/settings/records',
      headers: { cookie, ...FORM, 'x-csrf-token': csrf, 'hx-request': 'true' },
      payload: `${payload}&records.confirmation=status&records.confirmedColor=%232ecc71&records.confirmMenuTtl=24h&records.cancelNotLaterThan=9h&records.groupingWindow=5m`,
    });
    expect(accepted.statusCode).toBe(200);
    expect(holder.get().records.cancellation).toBe('delete');
  });

  it('sends a Content-Security-Policy that forbids inline script and other origins, and never shows the token', async () => {
    const { app } = await harness(TOKEN);
    const { cookie } = await signIn(app);
    for (const url of [
      '/console/settings',
      '/console/templates',
      '/console/tasks',
      '/console/dialogues',
      '/console/deliveries',
    ]) {
      const response = await app.inject({ method: 'GET', url, headers: { cookie } });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-security-policy'], url).toBe(CONTENT_SECURITY_POLICY);
      expect(response.body, url).not.toContain(TOKEN);
      expect(response.body, url).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(response.body, url).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)[a-z]/i);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
  });

  it("shows each branch's last sync in the salon's zone, or none yet with the last failure", async () => {
    const { app, holder, store } = await harness(TOKEN);
    const { cookie } = await signIn(app);
    const syncedAt = Date.UTC(2026, 2, 14, 21, 30);
    store.sync.syncs.succeeded(101, syncedAt, 3, true);
    store.sync.syncs.failed(102, 'Altegio answered 503 for +79161234567');
    const page = await app.inject({ method: 'GET', url: '/console/settings?lang=en', headers: { cookie } });
    const cards = page.body.split('<article class="card"').slice(1);
    const centre = cards.find((card) => card.includes('branch-id-101')) ?? '';
    const second = cards.find((card) => card.includes('branch-id-102')) ?? '';
    const zone = holder.get().general.timezone;
    expect(centre).toContain(`>${formatInTimeZone(syncedAt, zone, 'yyyy-MM-dd HH:mm')}</time>`);
    expect(centre).not.toContain('failed');
    expect(second).toContain('not yet synced');
    expect(second).toContain('The last sync attempt failed');
    // The error is shown with its phone masked, like every phone in the console.
    expect(second).toContain('+7***4567');
    expect(page.body).not.toContain('9161234567');
  });

  it('serves htmx from node_modules', async () => {
    const { app } = await harness(TOKEN);
    const response = await app.inject({ method: 'GET', url: '/console/assets/htmx.min.js' });
    expect(response.statusCode).toBe(200);
    const file = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');
    expect(response.body).toBe(readFileSync(file, 'utf8'));
  });
});

describe('html template', () => {
  it('escapes every value unless it is markup we made', () => {
    const name = '<img src=x onerror=alert(1)> & "quotes"';
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;</p>',
    );
    expect(html`<div>${raw('<svg></svg>')}${[html`<b>${'1<2'}</b>`, null, false]}</div>`.value).toBe(
      '<div><svg></svg><b>1&lt;2</b></div>',
    );
  });
});
