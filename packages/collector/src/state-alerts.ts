import { Status, statusName } from '@outpost/protocol';
import type { AlertEvent, ProblemSnapshot, StatusName } from './notify/types.js';
import { staleDueBy } from './state-views.js';
import type { CollectorStore, EventRecord } from './store.js';

// What the state engine hands the notification service: stored events as alert events with
// the agent's labels (the rules route on them), and the open problems for reminders.

/** The agent's labels from the collector config, for rule matching. */
export type LabelsFor = (agent: string) => Record<string, string>;

/**
 * Stored events as the notification service takes them.
 *
 * @example
 * alerts.submit(toAlertEvents(events.filter((e) => e.suppressed === null), (agent) => labelsFor(config, agent)));
 */
export function toAlertEvents(events: readonly EventRecord[], labelsFor: LabelsFor): AlertEvent[] {
  return events.map((e) => ({
    id: e.id,
    kind: e.kind,
    agent: e.agent,
    check: e.checkId,
    at: e.at,
    from: e.from === null ? null : (statusName(e.from) as StatusName),
    to: e.to === null ? null : (statusName(e.to) as StatusName),
    previousDurationMs: e.previousDurationMs,
    backfilled: e.backfilled,
    message: e.message,
    labels: labelsFor(e.agent),
  }));
}

/**
 * What is wrong now, for reminders: silent satellites, then checks not OK (flapping and
 * silent agents' checks aside, and stale ones: staleness is not notified, and their last
 * word is no longer news).
 */
export async function problemSnapshots(store: CollectorStore, labelsFor: LabelsFor): Promise<ProblemSnapshot[]> {
  const agents = await store.listAgents();
  const silent = agents.filter((a) => a.silentSince !== null);
  const problems: ProblemSnapshot[] = silent.map((a) => ({
    agent: a.name, check: null, status: 'UNKNOWN', since: a.silentSince!, labels: labelsFor(a.name), message: `${a.name}: satellite silent`,
  }));
  const silentNames = new Set(silent.map((a) => a.name));
  const byName = new Map(agents.map((a) => [a.name, a]));
  for (const s of await store.listCheckStates()) {
    if (s.status === Status.OK || s.flapping || silentNames.has(s.agent) || staleDueBy(s, byName.get(s.agent), byName) !== undefined) continue;
    problems.push({ agent: s.agent, check: s.checkId, status: statusName(s.status) as StatusName, since: s.since, labels: labelsFor(s.agent), message: s.message });
  }
  return problems;
}
