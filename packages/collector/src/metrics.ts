import type { Counters } from './counters.js';
import { isConnected } from './state-views.js';
import type { CollectorStore } from './store.js';

export interface MetricsSources {
  counters: Counters;
  store: CollectorStore;
  connectedAgents: () => Set<number>;
  /** Checks with their effective status (UNKNOWN while the satellite is silent or the check is stale). */
  checks: () => Promise<{ status: string; flapping: boolean; stale: boolean }[]>;
  notificationDepth: () => { pending: number; failed: number };
  liveClients: () => number;
}

/** Counter names become families by their first word: rejected.bad_frame → outpost_rejected_total{reason="bad_frame"}. */
const FAMILIES: Record<string, { metric: string; label: string; help: string }> = {
  rejected: { metric: 'outpost_rejected_total', label: 'reason', help: 'Connections or frames rejected, by reason.' },
  refused: { metric: 'outpost_refused_total', label: 'reason', help: 'Verified agents turned away at admission, by reason.' },
  ingest: { metric: 'outpost_ingest_total', label: 'kind', help: 'Batches, results stored and duplicates absorbed.' },
  connections: { metric: 'outpost_connections_total', label: 'event', help: 'Connection events.' },
  sessions: { metric: 'outpost_sessions_total', label: 'event', help: 'Agent session events.' },
  agents: { metric: 'outpost_agent_events_total', label: 'event', help: 'Agent events such as key rotations.' },
  state: { metric: 'outpost_state_total', label: 'kind', help: 'State engine: events recorded, agents silenced, errors.' },
  notify: { metric: 'outpost_notifications_total', label: 'outcome', help: 'Notifications enqueued, sent, retried and failed.' },
};

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * The collector's state in the Prometheus text exposition format (version 0.0.4): every
 * counter by family and label, connected agents, agents by status, checks by status.
 */
export async function renderMetrics(sources: MetricsSources): Promise<string> {
  const lines: string[] = [];
  const byFamily = new Map<string, [string, number][]>();
  for (const [name, value] of Object.entries(sources.counters.toJSON())) {
    const dot = name.indexOf('.');
    const family = name.slice(0, dot);
    if (!FAMILIES[family]) continue;
    const list = byFamily.get(family) ?? [];
    list.push([name.slice(dot + 1), value]);
    byFamily.set(family, list);
  }
  for (const [family, { metric, label, help }] of Object.entries(FAMILIES)) {
    lines.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} counter`);
    for (const [key, value] of byFamily.get(family) ?? []) lines.push(`${metric}{${label}="${escapeLabel(key)}"} ${value}`);
  }
  const agents = await sources.store.listAgents();
  const routed = sources.connectedAgents();
  lines.push('# HELP outpost_agents Agents known to the collector, by enrollment status.', '# TYPE outpost_agents gauge');
  for (const status of ['active', 'pending', 'revoked'] as const) {
    lines.push(`outpost_agents{status="${status}"} ${agents.filter((a) => a.status === status).length}`);
  }
  lines.push('# HELP outpost_connected_agents Agents with a live session.', '# TYPE outpost_connected_agents gauge', `outpost_connected_agents ${agents.filter((a) => isConnected(a, routed)).length}`);
  lines.push('# HELP outpost_agent_backlog Results waiting in each agent outbox, from its last heartbeat.', '# TYPE outpost_agent_backlog gauge');
  for (const agent of agents) if (agent.backlog !== null) lines.push(`outpost_agent_backlog{agent="${escapeLabel(agent.name)}"} ${agent.backlog}`);
  const silent = agents.filter((a) => a.status === 'active' && a.silentSince !== null).length;
  lines.push('# HELP outpost_silent_agents Active agents past their grace period.', '# TYPE outpost_silent_agents gauge', `outpost_silent_agents ${silent}`);
  const checks = await sources.checks();
  const counts = new Map<string, number>();
  for (const check of checks) counts.set(check.status, (counts.get(check.status) ?? 0) + 1);
  lines.push('# HELP outpost_checks Checks by current (effective) status.', '# TYPE outpost_checks gauge');
  for (const status of ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']) lines.push(`outpost_checks{status="${status}"} ${counts.get(status) ?? 0}`);
  lines.push('# HELP outpost_checks_flapping Checks marked flapping.', '# TYPE outpost_checks_flapping gauge', `outpost_checks_flapping ${checks.filter((c) => c.flapping).length}`);
  lines.push(
    '# HELP outpost_checks_stale Checks that stopped reporting while their agent reports (removed from its config, or runs that hang).',
    '# TYPE outpost_checks_stale gauge',
    `outpost_checks_stale ${checks.filter((c) => c.stale).length}`,
  );
  const depth = sources.notificationDepth();
  lines.push('# HELP outpost_notification_queue Notifications waiting for delivery, and given up.', '# TYPE outpost_notification_queue gauge');
  lines.push(`outpost_notification_queue{state="pending"} ${depth.pending}`, `outpost_notification_queue{state="failed"} ${depth.failed}`);
  lines.push('# HELP outpost_live_clients Console live feeds open.', '# TYPE outpost_live_clients gauge', `outpost_live_clients ${sources.liveClients()}`);
  return `${lines.join('\n')}\n`;
}
