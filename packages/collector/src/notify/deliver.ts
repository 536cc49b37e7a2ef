import { runCommand } from './command.js';
import type { NotifierConfig } from './config.js';
import type { DeliveryOutcome, NotificationPayload } from './types.js';
import { sendWebhook } from './webhook.js';

/** One attempt through one notifier, whatever its type. Never throws for delivery outcomes. */
export function deliverOnce(notifier: NotifierConfig, payload: NotificationPayload, signal?: AbortSignal): Promise<DeliveryOutcome> {
  const options = signal === undefined ? {} : { signal };
  return notifier.type === 'webhook' ? sendWebhook(notifier, payload, options) : runCommand(notifier, payload, options);
}

/**
 * Delay before attempt `failedAttempts + 1`: `min * 2^(failedAttempts - 1)` capped at `max`,
 * then jittered down by up to half, so receivers that come back are not hit by every
 * collector queue at the same instant.
 */
export function backoffMs(notifier: NotifierConfig, failedAttempts: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 40);
  const base = Math.min(notifier.backoffMaxMs, notifier.backoffMinMs * 2 ** exponent);
  return Math.round(base / 2 + (random() * base) / 2);
}
