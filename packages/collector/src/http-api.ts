import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeKey, statusName } from '@outpost/protocol';
import type { Counters } from './counters.js';
import type { Logger } from './logger.js';
import { renderMetrics } from './metrics.js';
import type { AgentRecord, CollectorStore } from './store.js';

export interface ApiOptions {
  host: string;
  port: number;
  store: CollectorStore;
  counters: Counters;
  logger: Logger;
  connectedAgents: () => Set<number>;
  startedAt: number;
}

/** The one error the API throws on purpose; anything else becomes a plain 500. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** ISO 8601 for a stored time; null for none, and for a value no Date can hold rather than a 500. */
const iso = (ms: number | null | undefined) => (ms && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null);

function parseTime(name: string, text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new HttpError(400, `${name}: expected an ISO 8601 time or Unix milliseconds, got "${text}"`);
  return ms;
}

function parseLimit(text: string | null, fallback: number, max: number): number {
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, `limit: expected an integer 1..${max}, got "${text}"`);
  return n;
}

/** An agent whose clock differs from the collector's by more than this is flagged. */
export const CLOCK_SKEW_FLAG_MS = 2_000;

function agentView(agent: AgentRecord, connected: boolean, gaps: { gaps: number; dropped: number } | undefined) {
  return {
    name: agent.name,
    key: encodeKey(agent.publicKey),
    status: agent.status,
    connected,
    lastSeen: iso(agent.lastSeenAt),
    remoteAddress: agent.remoteAddress,
    software: agent.software,
    configHash: agent.configHash,
    clockOffsetMs: agent.clockOffsetMs,
    clockSkewed: agent.clockOffsetMs !== null && Math.abs(agent.clockOffsetMs) > CLOCK_SKEW_FLAG_MS,
    backlog: agent.backlog,
    oldestUnsent: iso(agent.oldestUnsentMs),
    resultsStored: agent.resultsStored,
    duplicates: agent.duplicates,
    gaps: gaps?.gaps ?? 0,
    droppedReported: gaps?.dropped ?? 0,
    droppedAtAgent: agent.dropped ?? 0,
    lastBatchSeq: agent.lastBatchSeq,
    maxResultId: agent.maxResultId,
    createdAt: iso(agent.createdAt),
    approvedAt: iso(agent.approvedAt),
  };
}

/**
 * The collector's read-only HTTP JSON API, bound to loopback by default:
 * GET /api/v1/agents, /api/v1/checks, /api/v1/results, /api/v1/gaps, /api/v1/status.
 */
export class ApiServer {
  readonly #options: ApiOptions;
  readonly #server: Server;

  constructor(options: ApiOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      this.#route(req, res).catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        if (status === 500) options.logger.error({ err: err instanceof Error ? err.stack : String(err), url: req.url }, 'api error');
        const message = err instanceof HttpError ? err.message : 'internal error';
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: message }));
      });
    });
  }

  async start(): Promise<{ url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    return { url: `http://${this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host}:${port}` };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://api');
    if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed; the API is read-only`);
    if (url.pathname === '/metrics') {
      const text = await renderMetrics({ counters: this.#options.counters, store: this.#options.store, connectedAgents: this.#options.connectedAgents });
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    const { store } = this.#options;
    const q = url.searchParams;
    let body: unknown;
    switch (url.pathname) {
      case '/api/v1/agents': {
        const connected = this.#options.connectedAgents();
        const gaps = await store.gapTotals();
        body = { agents: (await store.listAgents()).map((agent) => agentView(agent, connected.has(agent.id), gaps.get(agent.id))) };
        break;
      }
      case '/api/v1/checks': {
        const states = await store.listCheckStates(q.get('agent') ?? undefined);
        body = {
          checks: states.map((s) => ({
            agent: s.agent,
            check: s.checkId,
            status: statusName(s.status),
            observation: s.observation,
            message: s.message,
            lastCheck: iso(s.startedAt),
            since: iso(s.since),
            resultId: s.resultId,
          })),
        };
        break;
      }
      case '/api/v1/results': {
        const rows = await store.queryResults({
          ...(q.get('agent') ? { agent: q.get('agent')! } : {}),
          ...(q.get('check') ? { checkId: q.get('check')! } : {}),
          ...(q.get('since') ? { since: parseTime('since', q.get('since'))! } : {}),
          ...(q.get('until') ? { until: parseTime('until', q.get('until'))! } : {}),
          limit: parseLimit(q.get('limit'), 100, 10_000),
        });
        body = {
          results: rows.map((r) => ({
            agent: r.agent,
            resultId: r.resultId,
            check: r.checkId,
            startedAt: iso(r.startedAt),
            startedAtMs: r.startedAt,
            durationUs: r.durationUs,
            status: statusName(r.status),
            observation: r.observation,
            message: r.message,
            metrics: r.metrics,
            configHash: r.configHash,
            batchSeq: r.batchSeq,
            receivedAt: iso(r.receivedAt),
          })),
        };
        break;
      }
      case '/api/v1/gaps': {
        const gaps = await store.listGaps(q.get('agent') ?? undefined, parseLimit(q.get('limit'), 100, 10_000));
        body = {
          gaps: gaps.map((g) => ({ ...g, first: iso(g.firstMs), last: iso(g.lastMs), receivedAt: iso(g.receivedAt) })),
        };
        break;
      }
      case '/api/v1/status':
        body = { startedAt: iso(this.#options.startedAt), connectedAgents: this.#options.connectedAgents().size, counters: this.#options.counters.toJSON() };
        break;
      default:
        throw new HttpError(404, `no such endpoint: ${url.pathname}`);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }
}
