/**
 * The playground in a real headless Chromium (Debian's, driven by playwright-core) against the
 * engine in sandbox mode: a visitor books a visit in the Telegram-style pane with buttons, makes
 * a visit whose reminder comes at once and confirms it in the WhatsApp-style pane by typing `1`,
 * marks it as came and rates it `5`. The waits are shortened through the engine's playground
 * options; every wait is for something to show on the page.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type EngineInfo } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { type Browser, launchChromium } from '../helpers/chromium.js';
import { tempDir } from '../helpers/tmp.js';

/** Generous: the machine is shared, and nothing here waits longer than its condition needs. */
const UI_WAIT_MS = 60_000;

let engine: Engine;
let info: EngineInfo;
let browser: Browser;
let page: Page;
const dir = tempDir();

beforeAll(async () => {
  const settingsFile = join(dir.path, 'settings.yaml');
  writeFileSync(settingsFile, 'general:\n  timezone: Europe/Moscow\n');
  engine = createEngine({
    // No Altegio token: sandbox mode; no ADMIN_TOKEN: the playground is open on loopback only.
    env: {
      DATABASE_PATH: join(dir.path, 'bot.sqlite'),
      SETTINGS_FILE: settingsFile,
      PORT: '0',
      LOG_LEVEL: 'silent',
    },
    logger: createLogger({ level: 'silent' }),
    playground: { reminderLeadMs: 1_000, feedbackLeadMs: 0 },
  });
  info = await engine.start();
  browser = await launchChromium();
  page = await browser.context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await engine?.stop();
  dir.cleanup();
});

const pane = (name: 'tg' | 'wa'): Locator => page.locator(`section.pane.${name}`);
const lastBot = (name: 'tg' | 'wa'): Locator => pane(name).locator('li.bot').last();

/** Waits for the pane's newest bot message to say `text`, then taps its button matching `label`. */
async function tap(name: 'tg' | 'wa', text: RegExp, label?: RegExp): Promise<void> {
  const message = lastBot(name);
  await expect.poll(() => message.textContent(), { timeout: UI_WAIT_MS }).toMatch(text);
  const buttons = message.locator('button.choice');
  await (label ? buttons.filter({ hasText: label }).first() : buttons.first()).click();
}

/** Types in the pane and sends, as a client answering a numbered menu. */
async function type(name: 'tg' | 'wa', text: string): Promise<void> {
  await pane(name).locator('input[name="text"]').fill(text);
  await pane(name).locator('button[type="submit"]').click();
}

async function sandboxRecords(): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${info.sandboxUrl}/__sandbox/state`);
  const body = (await response.json()) as { data: { records: Array<Record<string, unknown>> } };
  return body.data.records;
}

describe('playground in a browser', () => {
  it('leads from / to the playground, with both chats and a masked phone', async () => {
    await page.goto(`${info.url}/`);
    await expect.poll(() => page.url()).toContain('/playground');
    // The browser's language (en-US) is the page's.
    await expect.poll(() => page.locator('h1').textContent()).toBe('Playground');
    await expect.poll(() => page.locator('.sidebar a[aria-current="page"]').textContent()).toBe('Playground');
    await expect.poll(() => pane('tg').locator('h2').textContent()).toBe('Telegram');
    await expect.poll(() => pane('wa').locator('h2').textContent()).toBe('WhatsApp');
    const who = await page.locator('.who').textContent();
    expect(who).toMatch(/\+7\*\*\*\d{4}/);
    expect(who).not.toMatch(/7999\d{7}/);

    // "Start over" is another client, with another phone.
    await page.getByRole('button', { name: 'Start over as a new client' }).click();
    await expect.poll(() => page.locator('.who').textContent(), { timeout: UI_WAIT_MS }).not.toBe(who);
    expect(await page.locator('.who').textContent()).toMatch(/\+7\*\*\*\d{4}/);
  });

  it('books, confirms and rates a visit', { timeout: 180_000 }, async () => {
    await page.goto(`${info.url}/playground?lang=en`);
    const phone = /\+7\*\*\*(\d{4})/.exec((await page.locator('.who').textContent()) ?? '')?.[1] ?? '';

    // Book in the Telegram-style pane, with buttons only.
    await pane('tg').locator('button[data-book]').click();
    await tap('tg', /Which branch/);
    await tap('tg', /Choose a service/);
    await tap('tg', /Choose a specialist/);
    await tap('tg', /Choose a day/);
    await tap('tg', /free time/);
    await tap('tg', /phone number/, /^Use \+7\*\*\*/);
    await tap('tg', /check your booking/, /Confirm/);
    await expect.poll(() => lastBot('tg').textContent(), { timeout: UI_WAIT_MS }).toMatch(/You are booked/);
    const booked = (await sandboxRecords()).filter((record) =>
      String((record.client as { phone?: unknown } | null)?.phone ?? '').endsWith(phone),
    );
    expect(booked).toHaveLength(1);

    // The salon's side: a visit whose reminder is due now; it arrives in the WhatsApp-style pane.
    await page.getByRole('button', { name: /reminder is due/ }).click();
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: UI_WAIT_MS })
      .toMatch(/reminder is due at/);
    await expect
      .poll(() => lastBot('wa').textContent(), { timeout: UI_WAIT_MS })
      .toMatch(/1\. ✔ Confirm\n2\. ✖ Cancel/);
    await type('wa', '1');
    await expect.poll(() => lastBot('wa').textContent(), { timeout: UI_WAIT_MS }).toMatch(/is confirmed/);
    // The made-up visit is confirmed in Altegio (attendance 2); the booked one is left as it was.
    // The write follows the acknowledgement from a durable queue, so it is waited for.
    const attendances = async () =>
      (await sandboxRecords())
        .filter((record) =>
          String((record.client as { phone?: unknown } | null)?.phone ?? '').endsWith(phone),
        )
        .map((record) => [record.id === booked[0]?.id, record.attendance]);
    await expect.poll(attendances, { timeout: UI_WAIT_MS }).toEqual([
      [true, 0],
      [false, 2],
    ]);

    // Came: the feedback request follows, and a rating of 5 is thanked.
    await page.getByRole('button', { name: 'Mark my visit as came' }).click();
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: UI_WAIT_MS })
      .toMatch(/marked as came/);
    await expect.poll(() => lastBot('wa').textContent(), { timeout: UI_WAIT_MS }).toMatch(/\n5\. /);
    await type('wa', '5');
    await expect
      .poll(() => lastBot('wa').textContent(), { timeout: UI_WAIT_MS })
      .toMatch(/Thank you for your rating/);

    // Everything the client typed or tapped shows in its pane, and no phone in full anywhere.
    expect(await pane('wa').locator('li.client .text').allInnerTexts()).toEqual(['1', '5']);
    expect(await page.locator('body').textContent()).not.toMatch(/7999\d{7}/);

    // A birthday today: the greeting comes now, or at the sending time unless asked for now.
    await page.getByRole('button', { name: 'My birthday is today' }).click();
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: UI_WAIT_MS })
      .toMatch(/birthday is today now/);
    const sendNow = page.getByRole('button', { name: 'Send the greeting now' });
    if (await sendNow.isVisible()) await sendNow.click();
    // The default birthday template is Russian.
    await expect.poll(() => lastBot('wa').textContent(), { timeout: UI_WAIT_MS }).toMatch(/с днём рождения/);
  });
});
