// Problems: every check that is not OK, worst first, then oldest first.

import { getJson } from '../api.js';
import { badge, checkHref, duration, h, ms, replace, viewFrame } from '../dom.js';
import { byProblem, checkKey, checkMap } from './model.js';

export function problemsView(root) {
  const frame = viewFrame(root, 'Problems');
  let checks = new Map();

  // The page keeps order and membership itself: a live `check` message can turn a check OK
  // (it leaves the list) or bad (it joins it) without another request.
  const render = () => {
    const problems = [...checks.values()].filter((c) => c.status !== 'OK').sort(byProblem);
    frame.heading.textContent = problems.length ? `Problems (${problems.length})` : 'Problems';
    if (problems.length === 0) {
      replace(frame.body, h('p', { class: 'all-ok' }, 'No problems: every check is OK.'));
      return;
    }
    replace(
      frame.body,
      h(
        'table',
        { class: 'grid problems' },
        h('thead', {}, h('tr', {}, ['Status', 'Agent', 'Check', 'Message', 'Since'].map((t) => h('th', {}, t)))),
        h('tbody', {}, problems.map(row)),
      ),
    );
  };

  return {
    frame,
    async load() {
      checks = checkMap((await getJson('/api/v1/checks', { problems: 1 })).checks);
      render();
    },
    onMessage(type, data) {
      if (type === 'check') checks.set(checkKey(data), data);
      else if (type === 'check_forgotten') checks.delete(checkKey(data));
      else return;
      render();
    },
    tick: render,
  };
}

function row(c) {
  const sinceMs = ms(c.sinceMs, c.since);
  return h(
    'tr',
    { 'data-check': `${c.agent}/${c.check}`, 'data-status': c.status },
    h('td', {}, badge(c.status), c.flapping ? h('span', { class: 'tag', title: 'changing status often' }, 'flapping') : null),
    h('td', {}, c.agent, c.satelliteSilent ? h('span', { class: 'tag silent' }, 'satellite silent') : null),
    h('td', {}, h('a', { href: checkHref(c.agent, c.check) }, c.check), c.stale ? h('span', { class: 'tag silent', title: 'no result when due' }, 'stale') : null),
    h('td', { class: 'message' }, c.message ?? c.observation ?? ''),
    h('td', { title: sinceMs ? new Date(sinceMs).toLocaleString() : null }, sinceMs ? duration(Date.now() - sinceMs) : '–'),
  );
}
