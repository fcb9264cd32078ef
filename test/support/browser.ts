import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Where tests keep screenshots (gitignored). */
export const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');

/** Debian's headless Chromium driven by playwright-core, with the flags that keep it off the network. */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
  return {
    browser,
    // playwright gives each launch a fresh, temporary profile and removes it on close
    close: () => browser.close(),
  };
}
