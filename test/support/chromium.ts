/**
 * Debian's chromium driven by playwright-core, the one way the browser tests start a browser:
 * headless, no sandbox (containers), nothing that reaches the network on its own (no QUIC,
 * background networking, component updates or sync), and a new empty profile each time.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser with a fresh profile under `dir`; `args` adds flags (e.g. host resolver rules). */
export function launchChromium(dir: string, options: { viewport: { width: number; height: number }; args?: string[] }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(dir, 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: options.viewport,
    args: [...CHROMIUM_FLAGS, ...(options.args ?? [])],
  });
}
