// A table of events, newest first, shared by the events page and the check page. It keeps
// the events it shows, takes live ones at the top and older pages at the bottom.

import { getJson } from '../api.js';
import { ago, badge, checkHref, duration, h, ms, replace } from '../dom.js';

const KIND_TEXT = {
  check: 'status change',
  agent_silent: 'agent silent',
  agent_back: 'agent back',
  flapping_start: 'flapping',
  flapping_stop: 'flapping ended',
  summary: 'outage summary',
};

/**
 * @param {object} filter query parameters for /api/v1/events (agent, check)
 * @param {{ pageSize?: number, showCheck?: boolean }} options
 */
export function eventList(filter = {}, { pageSize = 50, showCheck = true } = {}) {
  const el = h('div', { class: 'events' }, h('p', { class: 'muted' }, 'Loading…'));
  const byId = new Map();
  let next = null;

  const matches = (e) => Object.entries(filter).every(([k, v]) => e[k] === v);

  const render = () => {
    const events = [...byId.values()].sort((a, b) => (ms(b.atMs, b.at) ?? 0) - (ms(a.atMs, a.at) ?? 0) || b.id - a.id);
    const more = next ? h('button', { type: 'button', class: 'more', onclick: loadMore }, 'Load more') : null;
    if (events.length === 0) {
      replace(el, h('p', { class: 'muted' }, 'No events.'));
      return;
    }
    replace(
      el,
      h(
        'table',
        { class: 'grid' },
        h('thead', {}, h('tr', {}, ['When', 'What', showCheck ? 'Where' : null, 'Change', 'Message'].filter(Boolean).map((t) => h('th', {}, t)))),
        h('tbody', {}, events.map((e) => row(e, showCheck))),
      ),
      more,
    );
  };

  const fetchPage = async (cursor) => {
    const body = await getJson('/api/v1/events', { ...filter, limit: pageSize, cursor });
    for (const e of body.events) byId.set(e.id, e);
    next = body.next ?? null;
    render();
  };

  async function loadMore(ev) {
    ev.target.disabled = true;
    try {
      await fetchPage(next);
    } catch (err) {
      ev.target.disabled = false;
      ev.target.after(h('span', { class: 'error' }, err.message));
    }
  }

  return {
    el,
    /** (Re)load the newest page; older pages already shown stay. */
    load: () => fetchPage(undefined),
    add(event) {
      if (!matches(event)) return;
      byId.set(event.id, event);
      render();
    },
    render,
  };
}

function row(e, showCheck) {
  const atMs = ms(e.atMs, e.at);
  const where = e.check ? h('a', { href: checkHref(e.agent, e.check) }, `${e.agent} / ${e.check}`) : e.agent;
  return h(
    'tr',
    { 'data-event': e.id, 'data-kind': e.kind, class: e.backfilled ? 'backfilled' : null },
    h('td', {}, ago(atMs), e.backfilled ? h('span', { class: 'tag', title: 'happened while the agent was silent; arrived later' }, 'backfilled') : null),
    h('td', {}, KIND_TEXT[e.kind] ?? e.kind),
    showCheck ? h('td', {}, where) : null,
    h(
      'td',
      { class: 'change' },
      e.from ? badge(e.from) : null,
      e.from || e.to ? ' → ' : null,
      e.to ? badge(e.to) : null,
      e.previousDurationMs ? h('span', { class: 'muted', title: 'how long the previous status lasted' }, ` after ${duration(e.previousDurationMs)}`) : null,
    ),
    h('td', { class: 'message' }, e.message ?? ''),
  );
}
