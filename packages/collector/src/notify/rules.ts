import type { NotifyConfig, NotifyRule } from './config.js';
import type { AlertEvent, AlertKind } from './types.js';

/** One delivery the routing decided on. */
export interface Route {
  rule: string;
  notifier: string;
}

/**
 * Which (rule, notifier) pairs get this event, each pair once, in rule order.
 *
 * - Every given `match` field must match; a field the event does not have (no check, no
 *   status) does not exclude it, so `checks: [web*]` still lets `agent_silent` through.
 * - A recovery (`X -> OK` with X not OK, or `agent_back`) matches a rule with `statuses` when
 *   the status it recovers from is listed and `recoveries` is on; `recoveries: false`
 *   without `statuses` sends no recoveries at all.
 * - Backfilled events only where `notify_backfilled` (the rule's, else the global one).
 * - `test` events are never routed (only `testRule` sends them). A `reminder` goes to the
 *   rules with a `reminder` interval that match the problem it repeats.
 *
 * @example
 * for (const { rule, notifier } of routeEvent(config, event)) queue.enqueue(...);
 */
export function routeEvent(config: NotifyConfig, event: AlertEvent): Route[] {
  if (event.kind === 'test') return [];
  const routes: Route[] = [];
  const seen = new Set<string>();
  for (const rule of config.rules) {
    if (!ruleMatches(config, rule, event)) continue;
    for (const notifier of rule.notify) {
      const key = `${rule.name}\u0000${notifier}`;
      if (seen.has(key)) continue;
      seen.add(key);
      routes.push({ rule: rule.name, notifier });
    }
  }
  return routes;
}

/** True when `rule` wants `event` (see {@link routeEvent} for the semantics). */
export function ruleMatches(config: NotifyConfig, rule: NotifyRule, event: AlertEvent): boolean {
  if (event.kind === 'test') return false;
  if (event.backfilled && !(rule.notifyBackfilled ?? config.notifyBackfilled)) return false;
  if (event.kind === 'reminder' && rule.reminderMs === undefined) return false;
  const { match } = rule;
  if (match.kinds !== undefined && !match.kinds.includes(matchedKind(event))) return false;
  if (match.agents !== undefined && !match.agents.some((pattern) => globMatches(pattern, event.agent))) return false;
  if (match.checks !== undefined && event.check !== null && !match.checks.some((pattern) => globMatches(pattern, event.check!))) return false;
  if (match.labels !== undefined) {
    for (const [key, value] of Object.entries(match.labels)) {
      if (!Object.hasOwn(event.labels, key) || event.labels[key] !== value) return false;
    }
  }
  return statusMatches(rule, event);
}

function statusMatches(rule: NotifyRule, event: AlertEvent): boolean {
  const recoveredFrom = recoveryOf(event);
  const statuses = rule.match.statuses;
  if (statuses === undefined) return recoveredFrom === null || rule.recoveries;
  if (event.to !== null && statuses.includes(event.to)) return true;
  if (recoveredFrom !== null) return rule.recoveries && statuses.includes(recoveredFrom);
  // Events that carry no status (summary, agent-level flapping) are not filtered by it.
  return event.to === null;
}

/** The bad status this event recovers from, or null when it is not a recovery. */
function recoveryOf(event: AlertEvent): AlertEvent['from'] {
  // agent_silent is sent as UNKNOWN, so coming back is the recovery from UNKNOWN.
  if (event.kind === 'agent_back') return 'UNKNOWN';
  if (event.to === 'OK' && event.from !== null && event.from !== 'OK') return event.from;
  return null;
}

/** A reminder is matched as the problem it repeats: a check, or a silent agent. */
function matchedKind(event: AlertEvent): AlertKind {
  if (event.kind !== 'reminder') return event.kind;
  return event.check === null ? 'agent_silent' : 'check';
}

const globCache = new Map<string, RegExp>();

/** Glob with `*` (any run, also empty) and `?` (one character); everything else literal. */
export function globMatches(pattern: string, text: string): boolean {
  let regex = globCache.get(pattern);
  if (regex === undefined) {
    const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (char) => (char === '*' ? '.*' : char === '?' ? '.' : `\\${char}`));
    regex = new RegExp(`^${body}$`, 's');
    // Patterns come from one config file, so the cache stays as small as the config.
    if (globCache.size < 10_000) globCache.set(pattern, regex);
  }
  return regex.test(text);
}
