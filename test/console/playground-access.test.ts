/**
 * Who may use the playground, over real HTTP against the engine: only in sandbox mode; without
 * ADMIN_TOKEN only from this machine (also refusing a foreign Host, as DNS rebinding would send);
 * with ADMIN_TOKEN only a signed-in admin; and no change without the session's CSRF token.
 */

import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PARTNER_TOKEN, startSandbox } from '../../src/altegio/sandbox/index.js';
import { createEngine, type Engine } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../helpers/tmp.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with any headers (fetch may not set `Host`). */
function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const cookieOf = (answer: Answer, name: string): string => {
  const all = ([] as string[]).concat(answer.headers['set-cookie'] ?? []);
  const found = all.find((cookie) => cookie.startsWith(`${name}=`));
  return found?.split(';')[0] ?? '';
};

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function engineWith(env: NodeJS.ProcessEnv): Promise<string> {
  const dir = tempDir();
  stops.push(() => dir.cleanup());
  const settingsFile = join(dir.path, 'settings.yaml');
  writeFileSync(settingsFile, 'variables:\n  language: en\n');
  const engine: Engine = createEngine({
    env: {
      DATABASE_PATH: join(dir.path, 'bot.sqlite'),
      PORT: '0',
      SETTINGS_FILE: settingsFile,
      ...env,
    },
    logger: createLogger({ level: 'silent' }),
  });
  const info = await engine.start();
  stops.push(() => engine.stop());
  return info.url;
}

describe('playground access', () => {
  it('without ADMIN_TOKEN: open from this machine, refused for a foreign Host, changes need the CSRF token', async () => {
    const url = await engineWith({});
    const root = await call(`${url}/`);
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/playground');

    const page = await call(`${url}/playground?lang=en`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    const session = cookieOf(page, 'playground_session');
    expect(session).toMatch(/^playground_session=[0-9a-f]{32}$/);
    const csrf = /data-csrf="([0-9a-f]+)"/.exec(page.body)?.[1] ?? '';
    expect(csrf).not.toBe('');

    const rebound = await call(`${url}/playground?lang=en`, { headers: { host: 'evil.example' } });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('only from this machine');

    const json = { 'content-type': 'application/json', cookie: session };
    const body = JSON.stringify({ type: 'text', text: '/start' });
    const noToken = await call(`${url}/playground/chat/tg`, { method: 'POST', headers: json, body });
    expect(noToken.status).toBe(403);
    const wrongToken = await call(`${url}/playground/chat/tg`, {
      method: 'POST',
      headers: { ...json, 'x-csrf-token': '0'.repeat(csrf.length) },
      body,
    });
    expect(wrongToken.status).toBe(403);
    const bad = await call(`${url}/playground/chat/tg`, {
      method: 'POST',
      headers: { ...json, 'x-csrf-token': csrf },
      body: JSON.stringify({ type: 'press', entryId: 'x' }),
    });
    expect(bad.status).toBe(400);
    const sent = await call(`${url}/playground/chat/tg`, {
      method: 'POST',
      headers: { ...json, 'x-csrf-token': csrf },
      body,
    });
    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.body)).toMatchObject({ ok: true });
  });

  it('with ADMIN_TOKEN: a visitor is sent to sign in, and a signed-in admin gets the page', async () => {
    const url = await engineWith({ ADMIN_TOKEN: 'secret-admin-token' });
    const anonymous = await call(`${url}/playground`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/console/sign-in?next=%2Fplayground');

    const signIn = await call(`${url}/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=secret-admin-token&next=%2Fplayground',
    });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.location).toBe('/playground');
    const page = await call(`${url}/playground?lang=en`, {
      headers: { cookie: cookieOf(signIn, 'console_session') },
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('The salon&#39;s side');
    // Signed in, the console's own pages are in the sidebar too; the token is nowhere on the page.
    expect(page.body).toContain('href="/console/settings"');
    expect(page.body).not.toContain('secret-admin-token');
  });

  it('does not exist outside sandbox mode', async () => {
    const sandbox = await startSandbox({ logger: createLogger({ level: 'silent' }) });
    stops.push(() => sandbox.stop());
    const url = await engineWith({
      ALTEGIO_API_URL: sandbox.url,
      ALTEGIO_PARTNER_TOKEN: DEFAULT_PARTNER_TOKEN,
    });
    expect((await call(`${url}/playground`)).status).toBe(404);
    expect((await call(`${url}/playground/assets/playground.js`)).status).toBe(404);
  });
});
