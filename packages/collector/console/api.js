// The collector's JSON API (docs/api.md), from the same origin as the console.

const TOKEN_KEY = 'outpost.token';

/** The operator token lives in sessionStorage: gone when the tab closes. */
export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra = {}) {
  const token = getToken();
  // Sent on reads too: with api.read = token the collector needs it for GETs as well.
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

function url(path, params = {}) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  return u;
}

/** Throws an Error carrying the API's `{ error }` text, so the page can show it as is. */
async function parse(res) {
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error ? `${res.status}: ${body.error}` : `HTTP ${res.status} ${res.statusText}`);
  return body;
}

export async function getJson(path, params) {
  return parse(await fetch(url(path, params), { headers: headers(), cache: 'no-store' }));
}

export async function postJson(path, body = {}) {
  return parse(await fetch(url(path), { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) }));
}

/**
 * Follow `next` cursors, collecting `field` from each page, at most `maxPages` pages so a
 * long range cannot keep the browser busy forever. `truncated` says the bound was hit.
 */
export async function allPages(path, params, field, maxPages = 20) {
  const items = [];
  let cursor;
  for (let page = 0; page < maxPages; page++) {
    const body = await getJson(path, { ...params, cursor });
    items.push(...(body[field] ?? []));
    cursor = body.next;
    if (!cursor) return { items, truncated: false };
  }
  return { items, truncated: true };
}
