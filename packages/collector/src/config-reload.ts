import type { CollectorConfig } from './collector-config.js';

/** What a reloaded collector config changes, in words for the log. */
export interface ConfigChange {
  /** Applied at once, e.g. `notify.rules: added page-oncall; changed all-critical`. */
  applied: string[];
  /** Changed in the file but read only at start; the running values stay until a restart. */
  restartNeeded: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Added, removed and changed entries of two named collections. */
function byName<T>(what: string, before: Map<string, T>, after: Map<string, T>): string | undefined {
  const parts: string[] = [];
  const added = [...after.keys()].filter((name) => !before.has(name));
  const removed = [...before.keys()].filter((name) => !after.has(name));
  const changed = [...after.keys()].filter((name) => before.has(name) && !same(before.get(name), after.get(name)));
  if (added.length > 0) parts.push(`added ${added.join(', ')}`);
  if (removed.length > 0) parts.push(`removed ${removed.join(', ')}`);
  if (changed.length > 0) parts.push(`changed ${changed.join(', ')}`);
  return parts.length > 0 ? `${what}: ${parts.join('; ')}` : undefined;
}

/**
 * Compare the running config with a re-read one (SIGHUP). Notification rules and
 * notifiers, agent labels, the state engine's grace and summary delay, retention and the
 * segmentation policy apply live; flapping thresholds (held by the store) and API access are read at start.
 *
 * @example
 * const { applied, restartNeeded } = describeConfigChange(running, loadCollectorConfig(file));
 */
export function describeConfigChange(before: CollectorConfig, after: CollectorConfig): ConfigChange {
  const applied: (string | undefined)[] = [
    byName('notify.rules', new Map(before.notify.rules.map((r) => [r.name, r])), new Map(after.notify.rules.map((r) => [r.name, r]))),
    byName('notify.notifiers', new Map(Object.entries(before.notify.notifiers)), new Map(Object.entries(after.notify.notifiers))),
    before.notify.notifyBackfilled === after.notify.notifyBackfilled ? undefined : `notify.notify_backfilled: ${after.notify.notifyBackfilled}`,
    same(before.agents, after.agents) ? undefined : `agents: ${after.agents.length} label entries`,
    before.state.graceMs === after.state.graceMs ? undefined : `state.grace: ${after.state.graceMs ?? 'from heartbeats'}`,
    before.state.summaryAfterMs === after.state.summaryAfterMs ? undefined : `state.summary_after: ${after.state.summaryAfterMs} ms`,
    same(before.retention, after.retention) ? undefined : `retention: results ${after.retention.resultsMs} ms, events ${after.retention.eventsMs} ms`,
    same(before.segmentation, after.segmentation) ? undefined : `segmentation: ${after.segmentation ? `${after.segmentation.rules.length} rules (generated checks re-synced)` : 'removed'}`,
  ];
  const restartNeeded: (string | undefined)[] = [
    before.state.flapChanges === after.state.flapChanges ? undefined : 'state.flap_changes',
    before.state.flapWindowMs === after.state.flapWindowMs ? undefined : 'state.flap_window',
    before.api.read === after.api.read ? undefined : 'api.read',
  ];
  return { applied: applied.filter((s) => s !== undefined), restartNeeded: restartNeeded.filter((s) => s !== undefined) };
}
