// Segmentation: the matrix of source segments (rows) by targets (columns), each cell
// coloured as the policy holds (green), a denied path open (red), an allowed path
// blocked (amber) or no data (grey). Clicking a cell shows its evidence and history.

import { getJson } from '../api.js';
import { ago, h, replace, viewFrame } from '../dom.js';

const COLOUR_TEXT = { green: 'as policy', red: 'denied path open', amber: 'allowed path blocked', grey: 'no data' };

function portText(p) {
  const extra = [p.service, p.banner ? `"${p.banner.slice(0, 60)}"` : null].filter(Boolean).join(' ');
  return `${p.host}:${p.port} ${p.state}${extra ? ` (${extra})` : ''}`;
}

function evidence(cell) {
  return h('ul', { class: 'seg-evidence' }, cell.agents.map((a) =>
    h('li', {}, `${a.agent}: ${a.colour} — ${a.reason}`, a.checkedAtMs ? ` · checked ${ago(a.checkedAtMs)}` : '',
      a.ports.length ? h('ul', {}, a.ports.map((p) => h('li', {}, portText(p)))) : null)));
}

export function segmentationView(root) {
  const frame = viewFrame(root, 'Segmentation');
  const detail = h('section', { class: 'seg-detail', hidden: true });
  let matrix = null;
  let selected = null;

  async function showCell(cell) {
    selected = `${cell.from}\u0000${cell.to}`;
    const { history } = await getJson(`/api/v1/segmentation/cells/${encodeURIComponent(cell.from)}/${encodeURIComponent(cell.to)}/history`, { limit: 50 });
    detail.hidden = false;
    replace(detail,
      h('h2', {}, `${cell.from} → ${cell.to} (${cell.action} ${cell.ports.join(',')})`),
      h('p', {}, h('span', { class: `seg-cell seg-${cell.colour}` }, COLOUR_TEXT[cell.colour]), cell.sinceMs ? ` since ${ago(cell.sinceMs)}` : ''),
      evidence(cell),
      h('h3', {}, 'History'),
      h('ol', { class: 'seg-history' }, history.map((e) => h('li', {}, h('span', { class: `seg-dot seg-${e.colour}` }), ` ${e.colour} · ${new Date(e.atMs).toLocaleString()}`))));
  }

  function render() {
    if (!matrix) return;
    if (matrix.segments.length === 0) {
      replace(frame.body, h('p', { class: 'muted' }, 'No segmentation policy: add a segmentation: section to the collector config (docs/segmentation.md).'));
      return;
    }
    const byKey = new Map(matrix.cells.map((c) => [`${c.from}\u0000${c.to}`, c]));
    const table = h('table', { class: 'seg-matrix' },
      h('thead', {}, h('tr', {}, h('th', {}, 'from \\ to'), matrix.targets.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, matrix.segments.map((s) => h('tr', {}, h('th', { scope: 'row' }, s), matrix.targets.map((t) => {
        const cell = byKey.get(`${s}\u0000${t}`);
        if (!cell) return h('td', { class: 'seg-none' }, '');
        const title = cell.agents.flatMap((a) => a.ports.map(portText)).join('\n') || COLOUR_TEXT[cell.colour];
        return h('td', {}, h('button', { class: `seg-cell seg-${cell.colour}`, title, 'data-cell': `${s}/${t}`, onclick: () => showCell(cell) }, `${cell.action} · ${COLOUR_TEXT[cell.colour]}`));
      })))));
    replace(frame.body, table, detail);
  }

  async function load() {
    matrix = await getJson('/api/v1/segmentation');
    render();
    const cell = selected && matrix.cells.find((c) => `${c.from}\u0000${c.to}` === selected);
    if (cell) await showCell(cell);
  }

  return {
    frame,
    load,
    onMessage(type) {
      if (type === 'segmentation' || (type === 'event')) void load().catch((err) => frame.showError(err));
    },
    tick: render,
  };
}
