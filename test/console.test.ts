import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { openBrowser, type RecordingBrowser } from './support/browser.js';
import { TestDeployment } from './support/deployment.js';
import { eventually } from './support/processes.js';

interface ChecksView {
  checks: { agent: string; check: string; status: string }[];
}

/** The stylesheet's status colours, as getComputedStyle reports them. */
const GREEN = 'rgb(46, 158, 91)';
const RED = 'rgb(214, 69, 69)';
/** Collector, agent, check interval and browser all share 2 slow cores: be patient. */
const UI_TIMEOUT_MS = 45_000;

let deployment: TestDeployment | undefined;
let browser: RecordingBrowser | undefined;
let target: { server: Server; sockets: Set<Socket> } | undefined;

afterEach(async () => {
  await browser?.close();
  await deployment?.cleanup();
  if (target) await closeTarget(target);
  browser = deployment = target = undefined;
});

/** A TCP service on loopback for the agent's check to find open, until the test closes it. */
async function openTarget(): Promise<{ server: Server; sockets: Set<Socket>; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, sockets, port: (server.address() as { port: number }).port };
}

async function closeTarget(t: { server: Server; sockets: Set<Socket> }): Promise<void> {
  for (const s of t.sockets) s.destroy();
  await new Promise<void>((resolve) => (t.server.listening ? t.server.close(() => resolve()) : resolve()));
}

/** A computed style property of an element, read in the page (the test's own tsconfig has no DOM types). */
function computed(locator: Locator, property: string): Promise<string> {
  return locator.evaluate((el, prop) => {
    const view = globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> };
    return view.getComputedStyle(el)[prop] ?? '';
  }, property);
}

describe('web console in a real browser', () => {
  it('shows agents and checks, follows a check turning CRITICAL live, and plots its history', async () => {
    const t = (target = await openTarget());
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    await d.initAgent('lab-1', { checks: [{ id: 'web', type: 'tcp', target: `127.0.0.1:${t.port}`, expect: 'open', interval: '1s', jitter: '0%' }] });
    d.startAgent('lab-1');
    await eventually('web OK in the API', async () => {
      const { checks } = await d.api<ChecksView>('/api/v1/checks?agent=lab-1');
      return checks.find((c) => c.check === 'web' && c.status === 'OK');
    });

    const b = (browser = await openBrowser());
    const { page } = b;
    let loads = 0;
    page.on('load', () => loads++);
    const index = await page.goto(`${d.apiUrl}/`);
    expect(index?.status(), 'the collector serves the console at /').toBe(200);
    expect(index?.headers()['content-security-policy']).toContain("default-src 'self'");

    // Overview: the agent's card in its segment, the check as a green chip.
    const card = page.locator('article.agent[data-agent="lab-1"]');
    await card.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await card.getAttribute('data-health')).toBe('ok');
    // A connected agent is heard now, however long the page stays open.
    expect(await card.locator('span.connected').textContent()).toBe('now (connected)');
    expect(await page.locator('section.segment[data-segment="default"]').count()).toBe(1);
    const chip = card.locator('a.chip[data-check="lab-1/web"]');
    await chip.and(page.locator('[data-status="OK"]')).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await computed(chip, 'borderTopColor')).toBe(GREEN);
    // The live feed is connected: what follows arrives over /api/v1/stream.
    await page.locator('#live[data-state="live"]').waitFor({ timeout: UI_TIMEOUT_MS });

    // The service goes away: the chip turns red in place, without a reload.
    await closeTarget(t);
    await chip.and(page.locator('[data-status="CRITICAL"]')).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await computed(chip, 'backgroundColor')).toBe(RED);
    expect(loads).toBe(1);

    // The check page: a timeline with both statuses, a plot canvas, the status change event.
    await chip.click();
    await page.waitForURL(/#\/check\/lab-1\/web$/);
    await page.locator('.current[data-status="CRITICAL"]').waitFor({ timeout: UI_TIMEOUT_MS });
    const timeline = page.locator('.timeline');
    await timeline.locator('.band[data-status="OK"]').first().waitFor({ timeout: UI_TIMEOUT_MS });
    await timeline.locator('.band[data-status="CRITICAL"]').first().waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await computed(timeline.locator('.band[data-status="CRITICAL"]').last(), 'backgroundColor')).toBe(RED);
    await page.locator('.plots figure[data-series="duration (ms)"] canvas').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.locator('.events tr[data-kind="check"]').first().waitFor({ timeout: UI_TIMEOUT_MS });
    expect(loads).toBe(1);

    // The events list and the segmentation page render (this collector has no policy).
    await page.goto(`${d.apiUrl}/#/events`);
    await page.locator('tr[data-kind="check"]').first().waitFor({ timeout: UI_TIMEOUT_MS });
    await page.goto(`${d.apiUrl}/#/segmentation`);
    await page.getByText('No segmentation policy').waitFor({ timeout: UI_TIMEOUT_MS });

    // Everything came from the collector itself, and nothing went wrong on the way.
    expect(b.requests.length).toBeGreaterThan(5);
    expect(b.requests.filter((url) => !url.startsWith(`${d.apiUrl}/`))).toEqual([]);
    expect(b.errors).toEqual([]);
  }, 180_000);
});
