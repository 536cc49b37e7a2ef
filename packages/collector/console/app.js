// The Outpost console: a hash router over a few views, kept current by the live feed.
// No framework, no build step: the browser loads these modules straight from the collector.

import { getToken, setToken } from './api.js';
import { errorBox, replace } from './dom.js';
import { connectLive } from './live.js';
import { agentsView } from './views/agents.js';
import { checkView } from './views/check.js';
import { eventsView } from './views/events.js';
import { overviewView } from './views/overview.js';
import { problemsView } from './views/problems.js';
import { segmentationView } from './views/segmentation.js';

/** Relative times ("12 min ago") drift; re-render them this often. */
const TICK_MS = 15_000;
/** Without the live feed, reload the current view this often instead. */
const POLL_MS = 5_000;

const ROUTES = [
  { name: 'overview', match: /^#?\/?$/, create: (root) => overviewView(root) },
  { name: 'problems', match: /^#\/problems$/, create: (root) => problemsView(root) },
  { name: 'events', match: /^#\/events$/, create: (root) => eventsView(root) },
  { name: 'agents', match: /^#\/agents$/, create: (root) => agentsView(root) },
  { name: 'segmentation', match: /^#\/segmentation$/, create: (root) => segmentationView(root) },
  {
    name: 'check',
    match: /^#\/check\/([^/]+)\/([^/]+)$/,
    create: (root, m) => checkView(root, decodeURIComponent(m[1]), decodeURIComponent(m[2])),
  },
];

const root = document.getElementById('view');
const indicator = document.getElementById('live');
let current = null;
let liveState = 'connecting';

/**
 * A view is { frame, load(), onMessage?(type, data), tick?(), dispose?() }: `frame` from
 * dom.js's viewFrame(); load() is called again to refresh after a gap in the live feed.
 */
function route() {
  current?.dispose?.();
  current = null;
  const hash = location.hash;
  const found = ROUTES.map((r) => ({ r, m: hash.match(r.match) })).find((x) => x.m);
  for (const link of document.querySelectorAll('nav a')) {
    link.toggleAttribute('aria-current', found?.r.name === link.dataset.route);
  }
  if (!found) {
    replace(root, errorBox(new Error(`no such page: ${hash}`)));
    return;
  }
  const view = found.r.create(root, found.m);
  current = view;
  refresh(view);
}

async function refresh(view = current) {
  if (!view) return;
  try {
    await view.load();
    view.frame.showError(null);
  } catch (err) {
    // The view keeps what it already shows; the error appears above it.
    view.frame.showError(err);
  }
}

function setLiveState(state) {
  liveState = state;
  indicator.dataset.state = state;
  indicator.textContent = { connecting: 'connecting', live: 'live', reconnecting: 'reconnecting', offline: 'offline · polling' }[state];
}

window.addEventListener('hashchange', route);
const live = connectLive({
  onMessage: (type, data) => current?.onMessage?.(type, data),
  onState: setLiveState,
  onResync: () => refresh(),
});
setInterval(() => current?.tick?.(), TICK_MS);
setInterval(() => {
  if (liveState === 'offline' && document.visibilityState === 'visible') refresh();
}, POLL_MS);
wireToken();
route();

/** The token field in the top bar: saved on every keystroke, applied on Enter or leaving the field. */
function wireToken() {
  const input = document.getElementById('token');
  input.value = getToken();
  input.addEventListener('input', () => setToken(input.value.trim()));
  input.addEventListener('change', () => {
    live.reopen();
    refresh();
  });
  document.getElementById('token-form').addEventListener('submit', (e) => e.preventDefault());
}
