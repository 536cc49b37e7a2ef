// Overview: every agent grouped by network segment, with its health and its checks.

import { getJson } from '../api.js';
import { ago, badge, checkHref, h, ms, replace, SEVERITY, STATUSES, viewFrame } from '../dom.js';
import { checkKey, checkMap, countByStatus, HEALTH_TEXT, healthOf, lastSeenOf, segmentOf } from './model.js';

export function overviewView(root) {
  const frame = viewFrame(root, 'Overview');
  let agents = new Map();
  let checks = new Map();

  const render = () => {
    const bySegment = new Map();
    for (const agent of agents.values()) {
      const seg = segmentOf(agent);
      if (!bySegment.has(seg)) bySegment.set(seg, []);
      bySegment.get(seg).push(agent);
    }
    const checksByAgent = new Map();
    for (const c of checks.values()) checksByAgent.set(c.agent, [...(checksByAgent.get(c.agent) ?? []), c]);
    if (bySegment.size === 0) {
      replace(frame.body, h('p', { class: 'muted' }, 'No agents yet. Enrol one with outpost-agent init and approve it under Agents.'));
      return;
    }
    replace(
      frame.body,
      [...bySegment.keys()].sort().map((seg) => segmentSection(seg, bySegment.get(seg), checksByAgent)),
    );
  };

  return {
    frame,
    async load() {
      const [a, c] = await Promise.all([getJson('/api/v1/agents'), getJson('/api/v1/checks')]);
      agents = new Map(a.agents.map((x) => [x.name, x]));
      checks = checkMap(c.checks);
      render();
    },
    onMessage(type, data) {
      if (type === 'agent') agents.set(data.name, data);
      else if (type === 'check') checks.set(checkKey(data), data);
      else if (type === 'check_forgotten') checks.delete(checkKey(data));
      else return;
      render();
    },
    tick: render,
  };
}

function segmentSection(name, agents, checksByAgent) {
  const all = agents.flatMap((a) => checksByAgent.get(a.name) ?? []);
  return h(
    'section',
    { class: 'segment', 'data-segment': name },
    h('h2', {}, name, ' ', h('span', { class: 'muted' }, `${agents.length} agent${agents.length === 1 ? '' : 's'}`), ' ', counts(countByStatus(all))),
    h('div', { class: 'cards' }, agents.sort((a, b) => a.name.localeCompare(b.name)).map((a) => agentCard(a, checksByAgent.get(a.name) ?? []))),
  );
}

function agentCard(agent, checks) {
  const health = healthOf(agent);
  const silentMs = ms(agent.silentSinceMs, agent.silentSince);
  const backlog = agent.backlog ?? 0;
  return h(
    'article',
    { class: 'card agent', 'data-agent': agent.name, 'data-health': health },
    h('header', {}, h('h3', {}, agent.name), h('span', { class: 'health', 'data-health': health }, HEALTH_TEXT[health] ?? health)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'last seen'), h('dd', {}, lastSeenOf(agent)),
      silentMs !== null && health === 'silent' ? [h('dt', {}, 'silent since'), h('dd', {}, ago(silentMs))] : null,
      h('dt', {}, 'backlog'), h('dd', { class: backlog > 0 ? 'warn' : null }, backlog.toLocaleString()),
    ),
    counts(countByStatus(checks)),
    h('ul', { class: 'chips' }, checks.sort(chipOrder).map(checkChip)),
  );
}

/** Problems first so they are visible even when an agent has many checks. */
function chipOrder(a, b) {
  return (SEVERITY[a.status] ?? 9) - (SEVERITY[b.status] ?? 9) || a.check.localeCompare(b.check);
}

function checkChip(c) {
  const tip = [c.status, c.satelliteSilent ? 'satellite silent' : null, c.stale ? 'stale' : null, c.message].filter(Boolean).join(' · ');
  return h(
    'li',
    {},
    h('a', { class: 'chip', href: checkHref(c.agent, c.check), 'data-check': `${c.agent}/${c.check}`, 'data-status': c.status, 'data-silent': c.satelliteSilent || c.stale || null, title: tip }, c.check),
  );
}

function counts(byStatus) {
  return h('span', { class: 'counts' }, STATUSES.filter((s) => byStatus[s] > 0).map((s) => badge(s, `${byStatus[s]} ${s}`)));
}
