// Small pieces of client-side state shared by the views: agents and checks keyed the way
// the live feed identifies them, plus the fallbacks for fields older collectors lack.

import { ago, h, ms, SEVERITY, STATUSES } from '../dom.js';

export const checkKey = (c) => `${c.agent}\u0000${c.check}`;

/** Map of checks by agent/check, filled from a list and kept current by `check` messages. */
export function checkMap(list = []) {
  return new Map(list.map((c) => [checkKey(c), c]));
}

export function segmentOf(agent) {
  return agent.segment ?? agent.labels?.segment ?? 'default';
}

/** The agent's health as the API reports it, or the nearest thing when it does not. */
export function healthOf(agent) {
  if (agent.health) return agent.health;
  if (agent.status === 'pending' || agent.status === 'revoked') return agent.status;
  if (!agent.lastSeen) return 'never_seen';
  return agent.connected ? 'ok' : 'silent';
}

export const HEALTH_TEXT = { ok: 'ok', silent: 'satellite silent', never_seen: 'never seen', pending: 'pending approval', revoked: 'revoked' };

/**
 * Counts by status computed from the checks on the page rather than the agent's `checks`
 * field: `check` messages keep these current, while an agent message only comes on
 * connect, silence and the like.
 */
export function countByStatus(checks) {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const c of checks) counts[c.status] = (counts[c.status] ?? 0) + 1;
  return counts;
}

/** Most severe first, then the longest-standing first. */
export function byProblem(a, b) {
  return (SEVERITY[a.status] ?? 9) - (SEVERITY[b.status] ?? 9) || (ms(a.sinceMs, a.since) ?? 0) - (ms(b.sinceMs, b.since) ?? 0) || checkKey(a).localeCompare(checkKey(b));
}

/**
 * When the agent was last heard. A connected agent is heard now: its view comes only on
 * connect, silence and the like, so its `lastSeen` would age on a page left open.
 */
export function lastSeenOf(agent) {
  if (agent.connected && agent.health === 'ok') return h('span', { class: 'connected' }, 'now (connected)');
  return ago(ms(agent.lastSeenMs, agent.lastSeen));
}
