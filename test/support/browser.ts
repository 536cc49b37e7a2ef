import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that keep Chromium from phoning home: the console test allows only loopback traffic. */
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A headless Chromium page that records every request it makes and every error it reports. */
export interface RecordingBrowser {
  page: Page;
  /** URLs of all requests the page made, in order. */
  requests: string[];
  /** Console errors and uncaught exceptions, as text. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Launch Debian's Chromium (playwright-core brings no browser of its own). Each launch gets
 * a fresh temporary profile from Playwright, removed when the browser closes.
 */
export async function openBrowser(): Promise<RecordingBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} not found: install Debian package chromium`);
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`page: ${err.message}`));
    return { page, requests, errors, close: () => browser.close() };
  } catch (err: unknown) {
    await browser.close();
    throw err;
  }
}
