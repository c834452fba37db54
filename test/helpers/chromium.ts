import { existsSync } from 'node:fs';
import { type BrowserContext, chromium } from 'playwright-core';
import { tempDir } from './tmp.js';

/** Debian's chromium: playwright's own browser download cannot work offline, so the system one is used. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless and quiet: no sandbox (containers), no GPU, no QUIC, nothing fetched in the background. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh browser profile each time, removed on close, so no cookie survives from one run to the next. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no chromium at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install chromium)`);
  }
  const profile = tempDir('altegio-bot-chromium-');
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
  });
  return {
    context,
    async close() {
      await context.close();
      profile.cleanup();
    },
  };
}
