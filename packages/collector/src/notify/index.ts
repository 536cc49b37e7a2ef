/**
 * Notifications: routes the state engine's events through the `notify:` rules to webhooks
 * and commands, through a durable queue in the collector's database.
 *
 * @example
 * import { NotificationService, notifyConfigSchema } from './notify/index.js';
 * const notify = new NotificationService({ db, config: notifyConfigSchema.parse(section), logger, counters });
 * notify.start();
 * notify.submit(events);
 */
export type { AlertEvent, AlertKind, DeliveryOutcome, NotificationPayload, NotifyCounters, ProblemSnapshot, QueuedPayload, StatusName } from './types.js';
export {
  notifyConfigSchema,
  type CommandNotifierConfig,
  type NotifierConfig,
  type NotifyConfig,
  type NotifyConfigInput,
  type NotifyRule,
  type RuleMatch,
  type WebhookNotifierConfig,
} from './config.js';
export { globMatches, routeEvent, ruleMatches, type Route } from './rules.js';
export { sendWebhook, signBody, SIGNATURE_HEADER, type WebhookSendOptions } from './webhook.js';
export { runCommand, KILL_GRACE_MS, MAX_STDERR_BYTES, type CommandRunOptions } from './command.js';
export { backoffMs, deliverOnce } from './deliver.js';
export { NOTIFICATIONS_SCHEMA, NotificationQueue, type NotificationRecord, type NotificationState } from './queue.js';
export { NotificationService, type NotificationServiceOptions } from './service.js';
export { testRule, type TestRuleOptions, type TestRuleOutcome } from './test-rule.js';
