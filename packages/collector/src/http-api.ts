import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyPair } from '@outpost/protocol';
import { deleteCheck, postAgentStatus, putAgentConfig } from './api-agent-routes.js';
import { readRoute } from './api-read-routes.js';
import { HttpError } from './api-request.js';
import { LiveClients } from './api-stream.js';
import type { ConsoleHandler } from './console-assets.js';
import type { Counters } from './counters.js';
import type { LiveFeed } from './live-feed.js';
import type { Logger } from './logger.js';
import { renderMetrics } from './metrics.js';
import type { NotificationRecord } from './notify/queue.js';
import type { SegmentationSource } from './segmentation-views.js';
import type { StateEngine } from './state-engine.js';
import type { CollectorStore } from './store.js';

// The HTTP server itself: listening, the operator token, which method and path go to which
// route (api-read-routes.ts, api-agent-routes.ts, api-stream.ts), /metrics, the console's
// files, and how an error becomes an answer.

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

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The collector's HTTP listener: JSON API (docs/api.md), Server-Sent Events for the
 * console, Prometheus metrics and the console's files. Loopback by default; writes always
 * need the operator token.
 *
 * @example
 * const api = new ApiServer({ host: '127.0.0.1', port: 0, store, engine, counters, logger, feed, token, read: 'open', ... });
 * const { url } = await api.start(); // http://127.0.0.1:PORT
 * await api.stop();
 */
export class ApiServer {
  readonly #o: ApiOptions;
  readonly #server: Server;
  readonly #live: LiveClients;

  constructor(options: ApiOptions) {
    this.#o = options;
    this.#live = new LiveClients(options.feed);
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
    this.#live.closeAll();
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
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'DELETE') {
      this.#authorise(req, url, true);
      if (req.method === 'DELETE') return deleteCheck(this.#o, req, res, url);
      return req.method === 'PUT' ? putAgentConfig(this.#o, req, res, url) : postAgentStatus(this.#o, req, res, url);
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
    if (url.pathname === '/api/v1/stream') return this.#live.serve(req, res);
    const body = await readRoute(this.#o, url);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }
}
