import { statusName } from '@outpost/protocol';
import { agentView, checkView } from './api-views.js';
import type { StatusName } from './notify/types.js';
import type { AgentRecord, CollectorStore } from './store.js';

// The current state as the API and the console show it: every agent with its health and its
// checks counted, and checks with their status, UNKNOWN while their satellite is silent.

/** What an agent's view needs besides the store. */
export interface AgentViewSources {
  store: CollectorStore;
  connectedAgents: () => Set<number>;
  graceFor(agent: AgentRecord): number;
  labelsFor(agent: string): Record<string, string>;
}

/**
 * Whether an agent counts as connected, given the agents with a live route (a session of
 * their own or the relay session that last carried them). Behind a relay the route says
 * nothing of the agent itself once it stopped being heard (silent) or was revoked.
 */
export function isConnected(agent: AgentRecord, routed: ReadonlySet<number>): boolean {
  return routed.has(agent.id) && (agent.relayPath === null || (agent.silentSince === null && agent.status === 'active'));
}

/**
 * Every agent as the API shows it.
 *
 * @example
 * const views = await listAgentViews({ store, connectedAgents, graceFor: () => 40_000, labelsFor: () => ({}) });
 */
export async function listAgentViews(sources: AgentViewSources) {
  const { store } = sources;
  const [agents, gaps, states] = await Promise.all([store.listAgents(), store.gapTotals(), store.listCheckStates()]);
  const silent = new Set(agents.filter((a) => a.silentSince !== null).map((a) => a.name));
  const counts = new Map<string, Record<StatusName, number>>();
  for (const s of states) {
    const c = counts.get(s.agent) ?? { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 };
    c[(silent.has(s.agent) ? 'UNKNOWN' : statusName(s.status)) as StatusName] += 1;
    counts.set(s.agent, c);
  }
  const connected = sources.connectedAgents();
  return agents.map((a) =>
    agentView(a, {
      connected: isConnected(a, connected),
      graceMs: sources.graceFor(a),
      labels: sources.labelsFor(a.name),
      gaps: gaps.get(a.id),
      checks: counts.get(a.name) ?? { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 },
    }),
  );
}

/** Checks as the API shows them: UNKNOWN while their satellite is silent. */
export async function listCheckViews(store: CollectorStore, agent?: string, checkId?: string) {
  const [agents, states] = await Promise.all([store.listAgents(), store.listCheckStates(agent, checkId)]);
  const silent = new Set(agents.filter((a) => a.silentSince !== null).map((a) => a.name));
  return states.map((s) => checkView(s, silent.has(s.agent)));
}
