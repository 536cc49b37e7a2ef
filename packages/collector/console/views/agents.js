// Agents: enrollment status and keys, with approve and revoke for the operator.

import { getJson, postJson } from '../api.js';
import { ago, h, ms, replace, viewFrame } from '../dom.js';
import { HEALTH_TEXT, healthOf, lastSeenOf, segmentOf } from './model.js';

export function agentsView(root) {
  const frame = viewFrame(root, 'Agents');
  let agents = new Map();
  /** The last API error per agent, shown in its row until the next action on it. */
  const errors = new Map();

  const render = () => {
    const list = [...agents.values()].sort((a, b) => a.name.localeCompare(b.name));
    if (list.length === 0) {
      replace(frame.body, h('p', { class: 'muted' }, 'No agents have enrolled yet.'));
      return;
    }
    replace(
      frame.body,
      h(
        'table',
        { class: 'grid agents' },
        h('thead', {}, h('tr', {}, ['Agent', 'Enrollment', 'Health', 'Segment', 'Key', 'Address', 'Last seen', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, list.map((a) => row(a, errors.get(a.name), act))),
      ),
    );
  };

  async function act(agent, action) {
    if (action === 'revoke' && !confirm(`Revoke ${agent.name}? It will be disconnected and refused until approved again.`)) return;
    if (action === 'approve' && agent.status === 'revoked' && !confirm(`Re-admit ${agent.name} with its revoked key ${agent.key}? Only if that key is known not to be lost or stolen; otherwise enroll a new key under a new name.`)) return;
    errors.delete(agent.name);
    try {
      // The key prefix guards against approving a different key that enrolled under this name meanwhile.
      const body = action === 'approve' ? { key: agent.key } : {};
      const res = await postJson(`/api/v1/agents/${encodeURIComponent(agent.name)}/${action}`, body);
      agents.set(res.agent.name, res.agent);
    } catch (err) {
      errors.set(agent.name, err.message);
    }
    render();
  }

  return {
    frame,
    async load() {
      agents = new Map((await getJson('/api/v1/agents')).agents.map((a) => [a.name, a]));
      render();
    },
    onMessage(type, data) {
      if (type !== 'agent') return;
      agents.set(data.name, data);
      render();
    },
    tick: render,
  };
}

function row(agent, error, act) {
  const health = healthOf(agent);
  const canApprove = agent.status === 'pending';
  const canRevoke = agent.status === 'pending' || agent.status === 'active';
  return h(
    'tr',
    { 'data-agent': agent.name },
    h('td', {}, h('strong', {}, agent.name), agent.software ? h('div', { class: 'muted small' }, agent.software) : null),
    h('td', {}, h('span', { class: 'enrollment', 'data-enrollment': agent.status }, agent.status)),
    h('td', {}, h('span', { class: 'health', 'data-health': health }, HEALTH_TEXT[health] ?? health)),
    h('td', {}, segmentOf(agent)),
    h('td', {}, h('code', { class: 'key', title: agent.key }, agent.key)),
    h('td', {}, agent.remoteAddress ?? '–'),
    h(
      'td',
      {},
      lastSeenOf(agent),
      // A pending (or revoked) agent is never seen; whether it still knocks is what the operator needs.
      agent.status !== 'active' && agent.lastRefused ? h('div', { class: 'muted small' }, 'tried ', ago(ms(agent.lastRefusedMs, agent.lastRefused))) : null,
    ),
    h(
      'td',
      { class: 'actions' },
      canApprove ? h('button', { type: 'button', class: 'approve', onclick: () => act(agent, 'approve') }, 'Approve') : null,
      canRevoke ? h('button', { type: 'button', class: 'revoke danger', onclick: () => act(agent, 'revoke') }, 'Revoke') : null,
      error ? h('div', { class: 'error small', role: 'alert' }, error) : null,
    ),
  );
}
