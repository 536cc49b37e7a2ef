import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeKey, type KeyPair } from '@outpost/protocol';
import { eventView, gapView, iso, resultView, SEVERITY_RANK } from './api-views.js';
import type { ConsoleHandler } from './console-assets.js';
import type { Counters } from './counters.js';
import type { LiveFeed } from './live-feed.js';
import type { Logger } from './logger.js';
import { renderMetrics } from './metrics.js';
import type { NotificationRecord } from './notify/queue.js';
import { MAX_REMOTE_CONFIG_BYTES, setAgentConfig } from './remote-config.js';
import { cellHistoryView, segmentationView, type SegmentationSource } from './segmentation-views.js';
import type { StateEngine } from './state-engine.js';
import type { AgentStatus, CollectorStore, EventKind } from './store.js';

export interface ApiOptions {
  host: string;
  port: number;
  store: CollectorStore;
  engine: Pick<StateEngine, 'agentViews' | 'checkViews'>;
  counters: Counters;
  logger: Logger;
  feed: LiveFeed;
  /** The operator token: always needed to write; to read as well when `read` is 'token'. */
  token: string;
  read: 'open' | 'token';
  connectedAgents: () => Set<number>;
  notifications: { listAsync(limit: number, beforeId?: number): Promise<NotificationRecord[]>; depth(): { pending: number; failed: number } };
  console?: ConsoleHandler;
  /** Signs remote configs set through the API. */
  collectorKeyPair: KeyPair;
  startedAt: number;
  /** The segmentation matrix (docs/segmentation.md). */
  segmentation?: SegmentationSource;
}

/** The one error the API throws on purpose; anything else becomes a plain 500. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const MAX_LIVE_CLIENTS = 64;
const KEEPALIVE_MS = 15_000;
const MAX_BODY_BYTES = 64 * 1024;
const EVENT_KINDS: readonly EventKind[] = [
  'check', 'agent_silent', 'agent_back', 'summary', 'flapping_start', 'flapping_stop', 'segmentation_drift', 'unexpected_service',
];

function parseTime(name: string, text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new HttpError(400, `${name}: expected an ISO 8601 time or Unix milliseconds, got "${text}"`);
  return ms;
}

function parseLimit(text: string | null, fallback = 100, max = 10_000): number {
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, `limit: expected an integer 1..${max}, got "${text}"`);
  return n;
}

/** Cursors are opaque to clients: a position in the listing's order, base64url JSON. */
const encodeCursor = (position: number[]) => Buffer.from(JSON.stringify(position)).toString('base64url');

function decodeCursor(text: string | null, length: number): number[] | undefined {
  if (text === null || text === '') return undefined;
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === length && value.every((n) => Number.isSafeInteger(n))) return value as number[];
  } catch {
    // falls through to the error below
  }
  throw new HttpError(400, 'cursor: expected the "next" value of a previous page');
}

/** A page of `limit` rows from a query asked for `limit + 1`, and the cursor after its last row. */
function page<T>(rows: T[], limit: number, position: (row: T) => number[]): { rows: T[]; next: string | null } {
  if (rows.length <= limit) return { rows, next: null };
  const kept = rows.slice(0, limit);
  return { rows: kept, next: encodeCursor(position(kept[kept.length - 1]!)) };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Leaving the loop destroys the request stream: the rest of the body is never read.
    if (size > maxBytes) throw new HttpError(413, `request body larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw new HttpError(400, 'expected a JSON object as the request body');
}

/**
 * The collector's HTTP listener: JSON API (docs/api.md), Server-Sent Events for the
 * console, Prometheus metrics and the console's files. Loopback by default; writes always
 * need the operator token.
 */
export class ApiServer {
  readonly #o: ApiOptions;
  readonly #server: Server;
  readonly #live = new Set<ServerResponse>();

  constructor(options: ApiOptions) {
    this.#o = options;
    this.#server = createServer((req, res) => {
      this.#route(req, res).catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        // The stream may carry the token as a parameter: never into the log.
        const url = (req.url ?? '').replace(/([?&]access_token=)[^&]*/g, '$1[redacted]');
        if (status === 500) options.logger.error({ err: err instanceof Error ? err.stack : String(err), url }, 'api error');
        const message = err instanceof HttpError ? err.message : 'internal error';
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json', ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
        res.end(JSON.stringify({ error: message }));
      });
    });
  }

  async start(): Promise<{ url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    return { url: `http://${this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host}:${port}` };
  }

  async stop(): Promise<void> {
    for (const res of this.#live) res.end();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #authorise(req: IncomingMessage, url: URL, write: boolean): void {
    if (!write && this.#o.read === 'open') return;
    const header = req.headers.authorization ?? '';
    // EventSource cannot send headers: the stream alone also takes the token as a parameter.
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : url.pathname === '/api/v1/stream' ? (url.searchParams.get('access_token') ?? '') : '';
    if (given === '') throw new HttpError(401, `${write ? 'writes' : 'reads'} need the operator token: Authorization: Bearer <token> (outpost-collector api-token)`);
    if (!sameSecret(given, this.#o.token)) {
      this.#o.counters.add('rejected.api_token');
      throw new HttpError(401, 'wrong operator token');
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://api');
    const isApi = url.pathname.startsWith('/api/') || url.pathname === '/metrics';
    if (!isApi && (req.method === 'GET' || req.method === 'HEAD') && this.#o.console?.(req, res)) return;
    if (req.method === 'POST' || req.method === 'PUT') {
      this.#authorise(req, url, true);
      return req.method === 'PUT' ? this.#putConfig(req, res, url) : this.#write(req, res, url);
    }
    if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed`);
    this.#authorise(req, url, false);
    if (url.pathname === '/metrics') {
      const text = await renderMetrics({
        counters: this.#o.counters,
        store: this.#o.store,
        connectedAgents: this.#o.connectedAgents,
        checks: () => this.#o.engine.checkViews(),
        notificationDepth: () => this.#o.notifications.depth(),
        liveClients: () => this.#live.size,
      });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    if (url.pathname === '/api/v1/stream') return this.#stream(req, res);
    const body = await this.#read(url);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  async #read(url: URL): Promise<unknown> {
    const { store, engine } = this.#o;
    const q = url.searchParams;
    const limit = parseLimit(q.get('limit'));
    const config = /^\/api\/v1\/agents\/([^/]+)\/config$/.exec(url.pathname);
    if (config) return this.#config(decodeURIComponent(config[1]!));
    const history = /^\/api\/v1\/segmentation\/cells\/([^/]+)\/([^/]+)\/history$/.exec(url.pathname);
    if (history) return cellHistoryView(store, decodeURIComponent(history[1]!), decodeURIComponent(history[2]!), limit);
    if (url.pathname === '/api/v1/segmentation') {
      if (!this.#o.segmentation) throw new HttpError(404, 'no segmentation on this collector');
      return segmentationView(this.#o.segmentation);
    }
    switch (url.pathname) {
      case '/api/v1/agents':
        return { agents: await engine.agentViews() };
      case '/api/v1/checks': {
        let checks = await engine.checkViews(q.get('agent') ?? undefined, q.get('check') ?? undefined);
        const status = q.get('status');
        if (status) checks = checks.filter((c) => c.status === status.toUpperCase());
        if (q.get('problems') === '1' || q.get('problems') === 'true') {
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
        const rows = await this.#o.notifications.listAsync(limit + 1, before);
        const { rows: kept, next } = page(rows, limit, (n) => [n.id]);
        return {
          notifications: kept.map((n) => ({ ...n, createdAt: iso(n.createdAt), sentAt: iso(n.sentAt), nextAttemptAt: iso(n.nextAttemptAt) })),
          next,
        };
      }
      case '/api/v1/status':
        return {
          startedAt: iso(this.#o.startedAt),
          connectedAgents: this.#o.connectedAgents().size,
          notifications: this.#o.notifications.depth(),
          counters: this.#o.counters.toJSON(),
        };
      default:
        throw new HttpError(404, `no such endpoint: ${url.pathname}`);
    }
  }

  /** An agent's remote config: the newest version stored, the one it runs, why it refused the last. */
  async #config(name: string) {
    const agent = await this.#o.store.findAgentByName(name);
    if (!agent) throw new HttpError(404, `no agent named "${name}"`);
    const latest = await this.#o.store.latestAgentConfig(agent.id);
    return {
      agent: name,
      version: latest?.version ?? 0,
      createdAt: iso(latest?.createdAt),
      running: agent.configVersion ?? 0,
      configHash: agent.configHash,
      error: agent.configError,
      config: latest ? Buffer.from(latest.config).toString('utf8') : null,
    };
  }

  /** PUT /api/v1/agents/{name}/config with the YAML as the body: the next version, signed. */
  async #putConfig(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const match = /^\/api\/v1\/agents\/([^/]+)\/config$/.exec(url.pathname);
    if (!match) throw new HttpError(404, `no such endpoint: PUT ${url.pathname}`);
    const name = decodeURIComponent(match[1]!);
    if (!(await this.#o.store.findAgentByName(name))) throw new HttpError(404, `no agent named "${name}"`);
    const text = (await readBody(req, MAX_REMOTE_CONFIG_BYTES)).toString('utf8');
    let version: number;
    try {
      version = await setAgentConfig(this.#o.store, this.#o.collectorKeyPair, name, text, 'request body');
    } catch (err: unknown) {
      throw new HttpError(400, err instanceof Error ? err.message : String(err));
    }
    this.#o.logger.warn({ agent: name, version, remote: req.socket.remoteAddress }, 'agent config set through the API');
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ agent: name, version }));
  }

  /** POST /api/v1/agents/{name}/approve|revoke, optionally only for a key that starts with body.key. */
  async #write(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const match = /^\/api\/v1\/agents\/([^/]+)\/(approve|revoke)$/.exec(url.pathname);
    if (!match) throw new HttpError(404, `no such endpoint: POST ${url.pathname}`);
    const name = decodeURIComponent(match[1]!);
    const body = await readJsonBody(req);
    const agent = await this.#o.store.findAgentByName(name);
    if (!agent) throw new HttpError(404, `no agent named "${name}"`);
    const key = encodeKey(agent.publicKey);
    if (body['key'] !== undefined && (typeof body['key'] !== 'string' || !key.startsWith(body['key']))) {
      throw new HttpError(409, `agent "${name}" has key ${key}, which does not start with the key given`);
    }
    const status: AgentStatus = match[2] === 'approve' ? 'active' : 'revoked';
    await this.#o.store.setAgentStatus(name, status, Date.now());
    this.#o.logger.warn({ agent: name, status, remote: req.socket.remoteAddress }, 'agent status changed through the API');
    const view = (await this.#o.engine.agentViews()).find((a) => a.name === name);
    this.#o.feed.publish('agent', view);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ agent: view }));
  }

  #stream(req: IncomingMessage, res: ServerResponse): void {
    if (this.#live.size >= MAX_LIVE_CLIENTS) throw new HttpError(503, `more than ${MAX_LIVE_CLIENTS} live clients`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': outpost live feed\n\n');
    this.#live.add(res);
    let keepalive: NodeJS.Timeout | undefined;
    let unsubscribe = () => {};
    const done = () => {
      clearInterval(keepalive);
      unsubscribe();
      this.#live.delete(res);
      if (!res.writableEnded) res.end();
    };
    unsubscribe = this.#o.feed.subscribe((type, data) => {
      // A client that does not read is dropped rather than buffered without bound.
      if (res.writableLength > 1024 * 1024) return done();
      res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    });
    keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    req.once('close', done);
    res.once('error', done);
  }
}

