// uPlot charts for one check: its duration and each of its metrics, one small chart each
// so a metric in bytes does not flatten one in milliseconds.

import uPlot from '/vendor/uplot.js';
import { h, replace } from '../dom.js';

const HEIGHT_PX = 150;

/** Series present in `results`: duration first, then each metric name in order of appearance. */
function seriesOf(results) {
  const names = new Set();
  for (const r of results) for (const k of Object.keys(r.metrics ?? {})) names.add(k);
  return [{ label: 'duration (ms)', value: (r) => (typeof r.durationUs === 'number' ? r.durationUs / 1000 : null) }].concat(
    [...names].map((name) => ({ label: name, value: (r) => (typeof r.metrics?.[name] === 'number' ? r.metrics[name] : null) })),
  );
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The plots in `el`; update(results) redraws, keeping charts whose series did not change. */
export function checkPlots(el) {
  let charts = [];
  let labels = '';
  // The figure's padding and border sit inside the container.
  const width = () => Math.max(200, el.clientWidth - 12);
  const resize = new ResizeObserver(() => charts.forEach((c) => c.plot.setSize({ width: width(), height: HEIGHT_PX })));
  resize.observe(el);

  const build = (series) => {
    charts.forEach((c) => c.plot.destroy());
    const axis = { stroke: cssVar('--fg-muted'), grid: { stroke: cssVar('--grid') }, ticks: { stroke: cssVar('--grid') } };
    charts = series.map((s) => {
      const box = h('figure', { class: 'plot', 'data-series': s.label });
      const plot = new uPlot(
        {
          width: width(),
          height: HEIGHT_PX,
          series: [{}, { label: s.label, stroke: cssVar('--accent'), width: 1.5, spanGaps: false, points: { size: 4 } }],
          axes: [axis, { ...axis, size: 60 }],
          scales: { x: { time: true } },
          legend: { live: true },
        },
        [[], []],
        box,
      );
      return { plot, box, series: s };
    });
    replace(el, charts.map((c) => c.box));
  };

  return {
    update(results) {
      const series = seriesOf(results);
      const key = series.map((s) => s.label).join('\u0000');
      if (key !== labels) {
        labels = key;
        build(series);
      }
      const xs = results.map((r) => r.atMs / 1000); // uPlot's time scale is in seconds
      for (const c of charts) c.plot.setData([xs, results.map(c.series.value)]);
    },
    destroy() {
      resize.disconnect();
      charts.forEach((c) => c.plot.destroy());
    },
  };
}
