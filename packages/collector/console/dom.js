// DOM and formatting helpers. Every string from the API reaches the page through
// textContent or setAttribute here, never through innerHTML, so agent names, check ids
// and messages cannot inject markup.

/**
 * Create an element: h('a', { href: '#/', class: 'x' }, 'text', child).
 * Attributes starting with "on" are listeners; null/undefined/false attributes and children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export const STATUSES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

/** Problems first: the order in which an operator should look at them. */
export const SEVERITY = { CRITICAL: 0, UNKNOWN: 1, WARNING: 2, OK: 3 };

/** A coloured status badge; the colour comes from the stylesheet via data-status. */
export function badge(status, text = status) {
  return h('span', { class: 'badge', 'data-status': status }, text);
}

export function checkHref(agent, check) {
  return `#/check/${encodeURIComponent(agent)}/${encodeURIComponent(check)}`;
}

/** Milliseconds from a `…Ms` twin, else from the ISO string; null when neither is there. */
export function ms(ms, iso) {
  if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) return ms;
  const parsed = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(parsed) ? parsed : null;
}

/** "12 s", "12 min", "3 h 5 min", "2 d 4 h": compact ages for tables. */
export function duration(msValue) {
  if (msValue === null || msValue === undefined || !Number.isFinite(msValue)) return '–';
  const s = Math.max(0, Math.round(msValue / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
  const d = Math.floor(hours / 24);
  return hours % 24 ? `${d} d ${hours % 24} h` : `${d} d`;
}

/** A relative time with the exact time in its tooltip. */
export function ago(atMs) {
  if (atMs === null) return h('span', { class: 'muted' }, 'never');
  return h('time', { datetime: new Date(atMs).toISOString(), title: new Date(atMs).toLocaleString() }, `${duration(Date.now() - atMs)} ago`);
}

/** A short error line shown where a load failed, with the API's own text. */
export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err));
}

/**
 * The common skeleton of a view: a heading row (title + `tools`), an error line and a body.
 * showError(null) clears the error.
 */
export function viewFrame(root, title, ...tools) {
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const body = h('div', { class: 'view-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const heading = h('h1', {}, title);
  replace(root, h('div', { class: 'view-head' }, heading, h('div', { class: 'tools' }, ...tools)), error, body);
  return {
    body,
    heading,
    showError(err) {
      error.hidden = !err;
      error.textContent = err ? (err instanceof Error ? err.message : String(err)) : '';
    },
  };
}
