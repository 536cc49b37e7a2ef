import { createHmac } from 'node:crypto';
import type { WebhookNotifierConfig } from './config.js';
import type { DeliveryOutcome, NotificationPayload } from './types.js';

/** Header carrying `sha256=<hex HMAC-SHA256 of the exact body bytes>` when a secret is set. */
export const SIGNATURE_HEADER = 'x-outpost-signature';

export interface WebhookSendOptions {
  /** Aborts the request early (collector shutdown); the notifier's timeout applies anyway. */
  signal?: AbortSignal;
}

/** `sha256=<hex>`: what {@link SIGNATURE_HEADER} carries for `body` under `secret`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * POST one notification as JSON. Success is a 2xx answer within the notifier's timeout;
 * redirects are not followed (a receiver that moved is a config error, and following would
 * send the signed body somewhere nobody configured). Never throws for network outcomes.
 *
 * @example
 * const outcome = await sendWebhook(config.notifiers['ops-hook'], payload);
 * if (!outcome.ok) logger.warn({ error: outcome.error }, 'webhook failed');
 */
export async function sendWebhook(notifier: WebhookNotifierConfig, payload: NotificationPayload, options: WebhookSendOptions = {}): Promise<DeliveryOutcome> {
  const body = JSON.stringify(payload);
  // Headers is case-insensitive: a configured "Content-Type" is replaced, not doubled.
  const headers = new Headers(notifier.headers);
  headers.set('content-type', 'application/json');
  headers.set('user-agent', 'outpost-collector');
  if (notifier.secret !== undefined) headers.set(SIGNATURE_HEADER, signBody(notifier.secret, body));
  const timeout = AbortSignal.timeout(notifier.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  try {
    const response = await fetch(notifier.url, { method: 'POST', headers, body, redirect: 'manual', signal });
    // The answer body is of no use; drop it so the connection can be reused or closed.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const redirect = response.status >= 300 && response.status < 400 ? ` (redirect to ${response.headers.get('location') ?? '?'} not followed)` : '';
    return { ok: false, status: response.status, error: `HTTP ${response.status}${redirect} from ${redactedUrl(notifier.url)}` };
  } catch (err: unknown) {
    if (timeout.aborted) return { ok: false, error: `no answer from ${redactedUrl(notifier.url)} within ${notifier.timeoutMs} ms` };
    if (options.signal?.aborted) return { ok: false, error: `aborted: ${reason(options.signal.reason)}` };
    return { ok: false, error: `${redactedUrl(notifier.url)}: ${reason(err)}` };
  }
}

/** The URL without credentials or query, which may hold tokens and end up in logs. */
function redactedUrl(text: string): string {
  const url = new URL(text);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function reason(err: unknown): string {
  if (err instanceof Error) {
    // fetch wraps the socket error ("fetch failed"); the cause says what happened.
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
