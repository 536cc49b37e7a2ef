// One check: its current state, a status timeline and plots over a chosen range, its events.

import { allPages, getJson } from '../api.js';
import { ago, badge, duration, errorBox, h, ms, replace, viewFrame } from '../dom.js';
import { eventList } from './event-list.js';
import { checkPlots } from './plots.js';
import { renderTimeline } from './timeline.js';

const RANGES = [
  { label: '1 h', ms: 3_600_000 },
  { label: '6 h', ms: 6 * 3_600_000 },
  { label: '24 h', ms: 24 * 3_600_000 },
  { label: '7 d', ms: 7 * 24 * 3_600_000 },
];
/** Results per request and requests per range: at most 100,000 points in the browser. */
const PAGE_SIZE = 5_000;
const MAX_PAGES = 20;

/** The fields the charts need, from a stored result or from a live check state. */
const point = (r) => ({
  resultId: r.resultId,
  atMs: ms(r.startedAtMs ?? r.lastCheckMs, r.startedAt ?? r.lastCheck),
  status: r.reportedStatus ?? r.status,
  message: r.message,
  durationUs: r.durationUs,
  metrics: r.metrics ?? {},
});

export function checkView(root, agent, check) {
  let rangeMs = RANGES[0].ms;
  let state = null;
  let points = [];
  let truncated = false;

  const rangeButtons = RANGES.map((r) =>
    h('button', { type: 'button', class: 'range', 'aria-pressed': String(r.ms === rangeMs), onclick: () => setRange(r.ms) }, r.label),
  );
  const frame = viewFrame(root, `${agent} / ${check}`, h('span', { class: 'ranges', role: 'group', 'aria-label': 'time range' }, rangeButtons));
  const summary = h('div', { class: 'summary' });
  const note = h('p', { class: 'muted small' });
  const timeline = h('div', { class: 'timeline-box' });
  const plotsEl = h('div', { class: 'plots' });
  const plots = checkPlots(plotsEl);
  const events = eventList({ agent, check }, { pageSize: 20, showCheck: false });
  replace(frame.body, summary, h('h2', {}, 'Status'), timeline, note, h('h2', {}, 'Duration and metrics'), plotsEl, h('h2', {}, 'Events'), events.el);

  const renderCharts = () => {
    const now = Date.now();
    points = points.filter((p) => p.atMs >= now - rangeMs);
    // A check younger than the range gets a timeline of its whole life, like the plots'
    // auto-scaled axes, rather than a sliver at the right-hand end.
    renderTimeline(timeline, points, Math.max(now - rangeMs, points[0]?.atMs ?? now - rangeMs), now);
    plots.update(points);
    note.textContent = truncated
      ? `Showing the first ${points.length.toLocaleString()} results of this range; choose a shorter one to see the newest.`
      : `${points.length.toLocaleString()} results in the last ${RANGES.find((r) => r.ms === rangeMs).label}.`;
  };

  const renderSummary = () => {
    if (!state) {
      replace(summary, h('p', { class: 'muted' }, 'This check has not reported yet.'));
      return;
    }
    const sinceMs = ms(state.sinceMs, state.since);
    replace(
      summary,
      h('div', { class: 'current', 'data-check': `${agent}/${check}`, 'data-status': state.status }, badge(state.status), h('span', { class: 'message' }, state.message ?? state.observation ?? '')),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'since'), h('dd', {}, sinceMs ? duration(Date.now() - sinceMs) : '–'),
        h('dt', {}, 'last check'), h('dd', {}, ago(ms(state.lastCheckMs, state.lastCheck))),
        'lastOk' in state ? [h('dt', {}, 'last OK'), h('dd', {}, ago(ms(state.lastOkMs, state.lastOk)))] : null,
        state.satelliteSilent ? [h('dt', {}, 'agent'), h('dd', {}, h('span', { class: 'tag silent' }, `satellite silent, last reported ${state.reportedStatus}`))] : null,
        state.stale ? [h('dt', {}, 'reporting'), h('dd', {}, h('span', { class: 'tag silent' }, `stale: no result when due, last reported ${state.reportedStatus}`))] : null,
        state.flapping ? [h('dt', {}, 'flapping'), h('dd', {}, h('span', { class: 'tag' }, 'changing status often'))] : null,
      ),
    );
  };

  async function loadResults() {
    const since = Date.now() - rangeMs;
    const page = await allPages('/api/v1/results', { agent, check, since, limit: PAGE_SIZE }, 'results', MAX_PAGES);
    points = page.items.map(point).filter((p) => p.atMs !== null);
    truncated = page.truncated;
    renderCharts();
  }

  async function setRange(newMs) {
    rangeMs = newMs;
    rangeButtons.forEach((b, i) => b.setAttribute('aria-pressed', String(RANGES[i].ms === rangeMs)));
    try {
      await loadResults();
      frame.showError(null);
    } catch (err) {
      frame.showError(err);
    }
  }

  return {
    frame,
    async load() {
      const { checks } = await getJson('/api/v1/checks', { agent });
      state = checks.find((c) => c.agent === agent && c.check === check) ?? null;
      renderSummary();
      // Without events the rest of the page is still worth showing: the error goes in their place.
      await Promise.all([loadResults(), events.load().catch((err) => replace(events.el, errorBox(err)))]);
    },
    onMessage(type, data) {
      if (data.agent !== agent) return;
      if (type === 'event') events.add(data);
      if (type !== 'check' || data.check !== check) return;
      state = data;
      renderSummary();
      // A state carries its newest result: add it unless the page already has it.
      const p = point(data);
      if (p.atMs !== null && !points.some((q) => q.resultId === p.resultId) && (points.length === 0 || p.atMs >= points.at(-1).atMs)) {
        points.push(p);
        renderCharts();
      }
    },
    tick() {
      renderSummary();
      renderCharts();
      events.render();
    },
    dispose: () => plots.destroy(),
  };
}
