// A status timeline: one coloured band per run of equal statuses over a time range.

import { duration, h, replace } from '../dom.js';

/**
 * Render `results` (oldest first, each { atMs, status, message }) into `el` for the range
 * [fromMs, toMs]. A run lasts until the next result of another status; the last one until
 * `toMs`. Before the first result the bar stays empty (no data).
 */
export function renderTimeline(el, results, fromMs, toMs) {
  const span = Math.max(1, toMs - fromMs);
  const runs = [];
  for (const r of results) {
    const last = runs.at(-1);
    if (last && last.status === r.status) last.count++;
    else {
      if (last) last.endMs = r.atMs;
      runs.push({ status: r.status, startMs: r.atMs, endMs: toMs, count: 1, message: r.message });
    }
  }
  const pct = (t) => `${(((Math.min(Math.max(t, fromMs), toMs) - fromMs) / span) * 100).toFixed(3)}%`;
  const bands = runs.map((run) => {
    const band = h('div', {
      class: 'band',
      'data-status': run.status,
      title: `${run.status} for ${duration(run.endMs - run.startMs)} (${run.count} result${run.count === 1 ? '' : 's'}) from ${new Date(run.startMs).toLocaleString()}${run.message ? ` · ${run.message}` : ''}`,
    });
    // CSSOM properties, not a style attribute: the CSP forbids inline style attributes.
    band.style.left = pct(run.startMs);
    band.style.width = `calc(${pct(run.endMs)} - ${pct(run.startMs)})`;
    return band;
  });
  replace(
    el,
    h('div', { class: 'timeline', role: 'img', 'aria-label': `status timeline with ${runs.length} period${runs.length === 1 ? '' : 's'}` }, bands),
    h('div', { class: 'timeline-axis muted small' }, h('span', {}, new Date(fromMs).toLocaleString()), h('span', {}, 'now')),
  );
}
