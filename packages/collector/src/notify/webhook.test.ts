import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookNotifierConfig } from './config.js';
import { alertEvent, refusedUrl, TestReceiver } from './notify-test-peers.js';
import type { NotificationPayload } from './types.js';
import { sendWebhook } from './webhook.js';

const receivers: TestReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(...args: Parameters<typeof TestReceiver.start>): Promise<TestReceiver> {
  const r = await TestReceiver.start(...args);
  receivers.push(r);
  return r;
}

function notifier(url: string, overrides: Partial<WebhookNotifierConfig> = {}): WebhookNotifierConfig {
  return { type: 'webhook', url, headers: {}, secret: undefined, timeoutMs: 5_000, retries: 0, backoffMinMs: 10, backoffMaxMs: 10, ...overrides };
}

const payload: NotificationPayload = { ...alertEvent({ labels: { segment: 'ot' } }), rule: 'critical-ot', notifier: 'ops-hook', sentAt: 1_700_000_001_000 };

describe('sendWebhook', () => {
  it('POSTs the payload as JSON with the configured headers and a verifiable signature', async () => {
    const r = await receiver();
    const outcome = await sendWebhook(notifier(r.url, { headers: { Authorization: 'Bearer abc' }, secret: 's3cret' }), payload);
    expect(outcome).toEqual({ ok: true, status: 200 });
    expect(r.requests).toHaveLength(1);
    const [request] = r.requests;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/hook');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toBe('outpost-collector');
    expect(request!.headers['authorization']).toBe('Bearer abc');
    expect(JSON.parse(request!.body)).toEqual(payload);
    // The receiver's side of the check: HMAC over the raw body bytes it got.
    const expected = `sha256=${createHmac('sha256', 's3cret').update(request!.body).digest('hex')}`;
    expect(request!.headers['x-outpost-signature']).toBe(expected);
    expect(`sha256=${createHmac('sha256', 'other').update(request!.body).digest('hex')}`).not.toBe(request!.headers['x-outpost-signature']);
  });

  it('sends no signature header without a secret, and keeps its own content type and user agent', async () => {
    const r = await receiver();
    await sendWebhook(notifier(r.url, { headers: { 'Content-Type': 'text/plain', 'User-Agent': 'curl', 'X-Team': 'ops' } }), payload);
    expect(r.requests[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'outpost-collector', 'x-team': 'ops' });
    expect(r.requests[0]!.headers['x-outpost-signature']).toBeUndefined();
  });

  it('reports a non-2xx answer with its status', async () => {
    const r = await receiver(() => 503);
    const outcome = await sendWebhook(notifier(r.url), payload);
    expect(outcome).toMatchObject({ ok: false, status: 503 });
    expect(outcome.error).toContain('HTTP 503');
  });

  it('does not follow redirects', async () => {
    const target = await receiver();
    const r = await receiver(() => ({ status: 307, location: target.url }));
    const outcome = await sendWebhook(notifier(r.url), payload);
    expect(outcome).toMatchObject({ ok: false, status: 307 });
    expect(outcome.error).toContain('not followed');
    expect(target.requests).toHaveLength(0);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const r = await receiver(() => 'hang');
    const outcome = await sendWebhook(notifier(r.url, { timeoutMs: 200 }), payload);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain('within 200 ms');
    expect(r.requests).toHaveLength(1);
  });

  it('reports a refused connection as data and keeps the query string out of the error', async () => {
    const url = `${await refusedUrl()}?token=secret-token`;
    const outcome = await sendWebhook(notifier(url), payload);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain('ECONNREFUSED');
    expect(outcome.error).not.toContain('secret-token');
  });

  it('stops at once when its signal aborts', async () => {
    const r = await receiver(() => 'hang');
    const controller = new AbortController();
    const pending = sendWebhook(notifier(r.url, { timeoutMs: 60_000 }), payload, { signal: controller.signal });
    while (r.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error('collector stopping'));
    expect(await pending).toEqual({ ok: false, error: 'aborted: collector stopping' });
  });
});
