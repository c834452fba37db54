/**
 * Two salons' consoles on one deployment, in a real headless Chromium: an admin opens their
 * salon's link, signs in with its token and changes its settings; the other salon's console asks
 * for its own token and keeps its own settings.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createTenantHost, type TenantHost } from '../../src/tenants/host.js';
import { type Browser, launchChromium } from '../helpers/chromium.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';

const OPERATOR = 'operator-token';
const BROWSER_TEST_MS = 90_000;

let server: TestPostgres;
let database: TestDatabase;
let host: TenantHost;
let base = '';
let browser: Browser;
let page: Page;
const tokens: Record<string, string> = {};

const settingsOf = async (id: string) => {
  const response = await fetch(`${base}/t/${id}/api/settings`, {
    headers: { authorization: `Bearer ${tokens[id]}` },
  });
  return (await response.json()) as { feedback: { menuTtl: string } };
};

beforeAll(async () => {
  server = await startTestPostgres();
  database = await server.createDatabase();
  host = createTenantHost({
    env: { DATABASE_URL: database.url, OPERATOR_TOKEN: OPERATOR },
    port: 0,
    pollMs: 500,
    logger: createLogger({ level: 'silent' }),
  });
  base = (await host.start()).url;
  for (const id of ['salon-a', 'salon-b']) {
    const created = await fetch(`${base}/operator/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, settings: { variables: { language: 'en' } } }),
    });
    tokens[id] = ((await created.json()) as { adminToken: string }).adminToken;
  }
  browser = await launchChromium();
  page = await browser.context.newPage();
}, BROWSER_TEST_MS);

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  await database?.drop();
  await server?.stop();
});

describe("salons' consoles in a browser", () => {
  it(
    "changes only the signed-in salon's settings, and another salon asks for its own token",
    async () => {
      await page.goto(`${base}/t/salon-a/console/settings?lang=en`);
      await page.getByLabel('Admin token').fill(tokens['salon-a'] ?? '');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const feedback = page.locator('section#feedback');
      await feedback.getByLabel('Rating menu lifetime').fill('7h');
      await feedback.getByRole('button', { name: 'Save' }).first().click();
      await feedback.locator('.saved').waitFor();
      expect((await settingsOf('salon-a')).feedback.menuTtl).toBe('7h');
      expect((await settingsOf('salon-b')).feedback.menuTtl).toBe('24h');

      // The other salon's link: its console does not know salon A's session, nor its token.
      await page.goto(`${base}/t/salon-b/console/settings?lang=en`);
      await page.getByLabel('Admin token').fill(tokens['salon-a'] ?? '');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('That is not the admin token').waitFor();
      await page.getByLabel('Admin token').fill(tokens['salon-b'] ?? '');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(
        page.locator('section#feedback').getByLabel('Rating menu lifetime').inputValue(),
      ).resolves.toBe('24h');
    },
    BROWSER_TEST_MS,
  );
});
