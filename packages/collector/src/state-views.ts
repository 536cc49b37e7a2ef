import { agentView, checkView } from './api-views.js';
import type { StatusName } from './notify/types.js';
import type { AgentRecord, CheckStateRecord, CollectorStore } from './store.js';

// The current state as the API and the console show it: every agent with its health and its
// checks counted, and checks with their status, UNKNOWN while their satellite is silent or
// while they are stale.

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

/** A check is stale once this late: three of its intervals, plus time for a slow run and the uplink. */
export const STALE_INTERVALS = 3;
export const STALE_SLACK_MS = 30_000;

export function staleAfterMs(everyMs: number): number {
  return STALE_INTERVALS * everyMs + STALE_SLACK_MS;
}

/**
 * When (collector clock) a check that stopped reporting owed a newer result, or undefined
 * while it is not stale. Stale means: its agent is heard from (not silent) and was last
 * heard more than `staleAfterMs` after the check's newest result arrived, and one interval
 * and the slack after its current connection began (a returning agent runs its checks
 * within that; its cadence is its own, so a reconnect does not restart it), and everything
 * the agent made up to the moment the next result was due has arrived: its heartbeat since
 * it last connected says its oldest unsent result is newer (agent clock against agent
 * clock), so a newer result is not merely waiting behind a backlog. Both comparisons stay
 * on one clock: an agent behind a relay has no measured offset. A check removed from the
 * agent's config turns stale this way; so does one whose runs hang.
 */
export function staleDueBy(state: CheckStateRecord, agent: AgentRecord | undefined, agents: ReadonlyMap<string, AgentRecord> = new Map()): number | undefined {
  if (!agent || agent.silentSince !== null || agent.lastSeenAt === null || agent.backlog === null) return undefined;
  if (state.everyMs === null || state.reportedAt === null) return undefined;
  const late = staleAfterMs(state.everyMs);
  const delivered = !agent.oldestUnsentMs || agent.oldestUnsentMs > state.startedAt + late;
  const dueBy = Math.max(state.reportedAt + late, (agent.connectedAt ?? 0) + state.everyMs + STALE_SLACK_MS);
  return agent.lastSeenAt > dueBy && delivered && !relayHolds(agent, agents) ? dueBy : undefined;
}

/**
 * Whether a relay on the agent's path holds relayed batches it has not delivered (its own
 * heartbeat says so): the agent's results may wait there, while its heartbeats, which
 * relays pass on at once, make it look heard.
 */
function relayHolds(agent: AgentRecord, agents: ReadonlyMap<string, AgentRecord>): boolean {
  return (agent.relayPath ?? []).some((relay) => (agents.get(relay)?.relayBacklog ?? 0) > 0);
}

/** A check's view given the agents, by name. */
function viewOf(state: CheckStateRecord, agents: ReadonlyMap<string, AgentRecord>) {
  const agent = agents.get(state.agent);
  return checkView(state, { satelliteSilent: agent?.silentSince != null, staleDueBy: staleDueBy(state, agent, agents) });
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
  const byName = new Map(agents.map((a) => [a.name, a]));
  const counts = new Map<string, Record<StatusName, number>>();
  for (const s of states) {
    const c = counts.get(s.agent) ?? { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0 };
    c[viewOf(s, byName).status as StatusName] += 1;
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

/** The stale checks, as the API shows them, from a scan for overdue ones (no view of every check). */
export async function listStaleCheckViews(store: CollectorStore) {
  const [agents, overdue] = await Promise.all([store.listAgents(), store.listOverdueChecks(STALE_INTERVALS, STALE_SLACK_MS)]);
  const byName = new Map(agents.map((a) => [a.name, a]));
  return overdue.map((s) => viewOf(s, byName)).filter((view) => view.stale);
}

/** Checks as the API shows them: UNKNOWN while their satellite is silent or while they are stale. */
export async function listCheckViews(store: CollectorStore, agent?: string, checkId?: string) {
  const [agents, states] = await Promise.all([store.listAgents(), store.listCheckStates(agent, checkId)]);
  const byName = new Map(agents.map((a) => [a.name, a]));
  return states.map((s) => viewOf(s, byName));
}

/** Why a forget did not happen: no such agent or check, refused (not stale), or a result came meanwhile. */
export type ForgetOutcome =
  | { forgotten: true; wasStale: boolean }
  | { forgotten: false; reason: 'no_agent' | 'no_check' | 'not_stale' | 'reported'; message: string };

/**
 * Forget a check's state as an operator asked (`checks forget`, DELETE /api/v1/checks/…).
 * Only a stale check is surely one its agent stopped running, so any other needs `force`
 * (`forceOption` names it as the caller spells it). Only the state that was judged goes: a
 * result that came meanwhile keeps the check.
 */
export async function forgetCheck(store: CollectorStore, agentName: string, checkId: string, force: boolean, forceOption: string): Promise<ForgetOutcome> {
  const agent = await store.findAgentByName(agentName);
  if (!agent) return { forgotten: false, reason: 'no_agent', message: `no agent named "${agentName}"` };
  const [view] = await listCheckViews(store, agentName, checkId);
  if (!view) return { forgotten: false, reason: 'no_check', message: `agent "${agentName}" has no check "${checkId}"` };
  if (!view.stale && !force) {
    const why = view.satelliteSilent
      ? 'its satellite is silent, and its backlog may bring the check back'
      : 'it still reports: its next result would bring it back as a first result, and a failing one pages again';
    return { forgotten: false, reason: 'not_stale', message: `${agentName}/${checkId} is not stale: ${why}; forget it anyway with ${forceOption}` };
  }
  if (!(await store.forgetCheck(agent.id, checkId, view.resultId))) return { forgotten: false, reason: 'reported', message: `${agentName}/${checkId} reported meanwhile: not forgotten` };
  return { forgotten: true, wasStale: view.stale };
}
