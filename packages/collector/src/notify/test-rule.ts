import { ErrorCode, OutpostError } from '@outpost/protocol';
import type { Logger } from 'pino';
import type { NotifyConfig } from './config.js';
import { deliverOnce } from './deliver.js';
import type { AlertEvent } from './types.js';

export interface TestRuleOptions {
  logger: Logger;
  /** Clock in Unix ms (default Date.now). */
  now?: () => number;
  signal?: AbortSignal;
}

export interface TestRuleOutcome {
  notifier: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * Send one synthetic `test` event through each notifier of a rule, directly: no queue, one
 * attempt each, no retries. For `outpost-collector notify test RULE`.
 *
 * @example
 * for (const r of await testRule(config.notify, 'critical-ot', { logger })) console.log(r.notifier, r.ok ? 'ok' : r.error);
 */
export async function testRule(config: NotifyConfig, ruleName: string, options: TestRuleOptions): Promise<TestRuleOutcome[]> {
  const rule = config.rules.find((r) => r.name === ruleName);
  if (rule === undefined) {
    const known = config.rules.map((r) => r.name);
    throw new OutpostError(ErrorCode.CONFIG, `notify rule "${ruleName}" is not defined (defined: ${known.length > 0 ? known.join(', ') : 'none'})`);
  }
  const now = options.now ?? Date.now;
  const event: AlertEvent = {
    id: 0,
    kind: 'test',
    agent: 'outpost-test',
    check: null,
    at: now(),
    from: null,
    to: null,
    previousDurationMs: null,
    backfilled: false,
    message: `test notification for rule ${rule.name} from outpost-collector`,
    labels: {},
  };
  return Promise.all(
    rule.notify.map(async (name): Promise<TestRuleOutcome> => {
      const notifier = config.notifiers[name];
      // The schema guarantees the name exists; a hand-built config may not.
      if (notifier === undefined) return { notifier: name, ok: false, attempts: 0, error: `notifier "${name}" is not defined` };
      const outcome = await deliverOnce(notifier, { ...event, rule: rule.name, notifier: name, sentAt: now() }, options.signal);
      if (outcome.ok) options.logger.info({ rule: rule.name, notifier: name }, 'test notification sent');
      else options.logger.warn({ rule: rule.name, notifier: name, error: outcome.error }, 'test notification failed');
      return outcome.ok ? { notifier: name, ok: true, attempts: 1 } : { notifier: name, ok: false, attempts: 1, error: outcome.error ?? 'failed' };
    }),
  );
}
