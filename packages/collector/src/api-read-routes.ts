import { agentConfigView } from './api-agent-routes.js';
import { decodeCursor, HttpError, page, parseLimit, parseTime } from './api-request.js';
import { eventView, gapView, iso, resultView, SEVERITY_RANK } from './api-views.js';
import type { ApiOptions } from './http-api.js';
import { cellHistoryView, segmentationView } from './segmentation-views.js';
import { isConnected } from './state-views.js';
import type { EventKind } from './store.js';

// The API's JSON reads (docs/api.md): agents, checks, results, events, gaps, notifications,
// status and segmentation, each a GET that answers one object. Listings page by cursor.

const EVENT_KINDS: readonly EventKind[] = [
  'check', 'agent_silent', 'agent_back', 'summary', 'flapping_start', 'flapping_stop', 'segmentation_drift', 'unexpected_service',
];

/**
 * The JSON body for GET `url`, or HttpError 400 (bad parameter) / 404 (no such endpoint).
 *
 * @example
 * const body = await readRoute(options, new URL('http://api/api/v1/events?kind=agent_silent&limit=50'));
 */
export async function readRoute(o: ApiOptions, url: URL): Promise<unknown> {
  const { store, engine } = o;
  const q = url.searchParams;
  const limit = parseLimit(q.get('limit'));
  const config = /^\/api\/v1\/agents\/([^/]+)\/config$/.exec(url.pathname);
  if (config) return agentConfigView(o, decodeURIComponent(config[1]!));
  const history = /^\/api\/v1\/segmentation\/cells\/([^/]+)\/([^/]+)\/history$/.exec(url.pathname);
  if (history) return cellHistoryView(store, decodeURIComponent(history[1]!), decodeURIComponent(history[2]!), limit);
  if (url.pathname === '/api/v1/segmentation') {
    if (!o.segmentation) throw new HttpError(404, 'no segmentation on this collector');
    return segmentationView(o.segmentation);
  }
  switch (url.pathname) {
    case '/api/v1/agents':
      return { agents: await engine.agentViews() };
    case '/api/v1/checks': {
      let checks = await engine.checkViews(q.get('agent') ?? undefined, q.get('check') ?? undefined);
      const status = q.get('status');
      if (status && !Object.hasOwn(SEVERITY_RANK, status.toUpperCase())) {
        throw new HttpError(400, `status: expected one of ${Object.keys(SEVERITY_RANK).join(', ')}, got "${status}"`);
      }
      if (status) checks = checks.filter((c) => c.status === status.toUpperCase());
      const problems = q.get('problems');
      if (problems !== null && !['1', 'true', '0', 'false'].includes(problems)) throw new HttpError(400, `problems: expected 1, true, 0 or false, got "${problems}"`);
      if (problems === '1' || problems === 'true') {
        checks = checks.filter((c) => c.status !== 'OK').sort((a, b) => SEVERITY_RANK[a.status]! - SEVERITY_RANK[b.status]! || a.sinceMs - b.sinceMs);
      }
      return { checks };
    }
    case '/api/v1/results': {
      const after = decodeCursor(q.get('cursor'), 3);
      const rows = await store.queryResults({
        ...(q.get('agent') ? { agent: q.get('agent')! } : {}),
        ...(q.get('check') ? { checkId: q.get('check')! } : {}),
        ...(q.get('since') ? { since: parseTime('since', q.get('since'))! } : {}),
        ...(q.get('until') ? { until: parseTime('until', q.get('until'))! } : {}),
        ...(after ? { after: { startedAt: after[0]!, agentId: after[1]!, resultId: after[2]! } } : {}),
        limit: limit + 1,
      });
      const { rows: kept, next } = page(rows, limit, (r) => [r.startedAt, r.agentId, r.resultId]);
      return { results: kept.map(resultView), next };
    }
    case '/api/v1/events': {
      const kind = q.get('kind');
      if (kind && !EVENT_KINDS.includes(kind as EventKind)) throw new HttpError(400, `kind: expected one of ${EVENT_KINDS.join(', ')}, got "${kind}"`);
      const before = decodeCursor(q.get('cursor'), 2);
      const rows = await store.queryEvents({
        ...(q.get('agent') ? { agent: q.get('agent')! } : {}),
        ...(q.get('check') ? { checkId: q.get('check')! } : {}),
        ...(kind ? { kind: kind as EventKind } : {}),
        ...(q.get('since') ? { since: parseTime('since', q.get('since'))! } : {}),
        ...(q.get('until') ? { until: parseTime('until', q.get('until'))! } : {}),
        ...(before ? { before: { at: before[0]!, id: before[1]! } } : {}),
        limit: limit + 1,
      });
      const { rows: kept, next } = page(rows, limit, (e) => [e.at, e.id]);
      return { events: kept.map(eventView), next };
    }
    case '/api/v1/gaps': {
      const offset = decodeCursor(q.get('cursor'), 1)?.[0] ?? 0;
      const rows = (await store.listGaps(q.get('agent') ?? undefined, offset + limit + 1)).slice(offset);
      const { rows: kept, next } = page(rows, limit, () => [offset + limit]);
      return { gaps: kept.map(gapView), next };
    }
    case '/api/v1/notifications': {
      const before = decodeCursor(q.get('cursor'), 1)?.[0];
      const rows = await o.notifications.listAsync(limit + 1, before);
      const { rows: kept, next } = page(rows, limit, (n) => [n.id]);
      return {
        notifications: kept.map((n) => ({ ...n, createdAt: iso(n.createdAt), sentAt: iso(n.sentAt), nextAttemptAt: iso(n.nextAttemptAt) })),
        next,
      };
    }
    case '/api/v1/status':
      return {
        startedAt: iso(o.startedAt),
        connectedAgents: (await store.listAgents()).filter((a) => isConnected(a, o.connectedAgents())).length,
        notifications: o.notifications.depth(),
        counters: o.counters.toJSON(),
      };
    default:
      throw new HttpError(404, `no such endpoint: ${url.pathname}`);
  }
}
