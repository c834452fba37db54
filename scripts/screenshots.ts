/**
 * `npm run screenshots`: starts the engine on the sandbox salon, opens the console in headless
 * Chromium (the same browser the tests use) and writes the pictures the README shows:
 * `docs/console-settings.png`, and `docs/playground.png` when the playground is there.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../src/index.js';
import { createLogger } from '../src/log.js';
import { launchChromium } from '../test/helpers/chromium.js';
import { tempDir } from '../test/helpers/tmp.js';

const out = new URL('../docs/', import.meta.url);
const dir = tempDir();
const token = randomBytes(16).toString('hex');
const settingsFile = join(dir.path, 'settings.yaml');
writeFileSync(settingsFile, 'variables:\n  language: en\n');
const engine = createEngine({
  // No Altegio token: sandbox mode, the fake salon.
  env: {
    ADMIN_TOKEN: token,
    DATABASE_PATH: join(dir.path, 'bot.sqlite'),
    SETTINGS_FILE: settingsFile,
    PORT: '0',
  },
  logger: createLogger({ level: 'warn' }),
});
const info = await engine.start();
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  await page.goto(`${info.url}/console/sign-in?lang=en`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('section#chatbot');
  await page.screenshot({ path: new URL('console-settings.png', out).pathname, fullPage: false });
  console.log('wrote docs/console-settings.png');
  const playground = await page.goto(`${info.url}/playground?lang=en`);
  if (playground?.ok()) {
    // A booking in the Telegram-like pane, then a reminder in the WhatsApp-like one.
    const pane = (name: string) => page.locator(`section.pane.${name}`);
    const last = (name: string) => pane(name).locator('li.bot').last();
    const tap = async (name: string, text: RegExp, label?: RegExp) => {
      await last(name).filter({ hasText: text }).waitFor();
      const buttons = last(name).locator('button.choice');
      await (label ? buttons.filter({ hasText: label }).first() : buttons.first()).click();
    };
    await pane('tg').locator('button[data-book]').click();
    for (const step of [
      /Which branch/,
      /Choose a service/,
      /Choose a specialist/,
      /Choose a day/,
      /free time/,
    ])
      await tap('tg', step);
    await tap('tg', /phone number/, /^Use/);
    await tap('tg', /check your booking/, /Confirm/);
    await last('tg')
      .filter({ hasText: /You are booked/ })
      .waitFor();
    await page.getByRole('button', { name: /reminder is due/ }).click();
    await last('wa').filter({ hasText: /1\. / }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: new URL('playground.png', out).pathname });
    console.log('wrote docs/playground.png');
  } else {
    console.log('no /playground here: docs/playground.png not taken');
  }
} finally {
  await browser.close();
  await engine.stop();
  dir.cleanup();
}
