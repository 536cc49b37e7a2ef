import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, OutpostError } from '@outpost/protocol';
import type { Logger } from './logger.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `HOST:PORT`, `[v6]:PORT` or `:PORT`. A bare `:PORT` means loopback: metrics name
 * internal hosts (check ids), so exposing them beyond the machine is a deliberate choice.
 */
export function parseMetricsListen(text: string, option = 'metrics'): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65_535) {
    throw new OutpostError(ErrorCode.CONFIG, `--${option} ${JSON.stringify(text)}: expected HOST:PORT with a port in 1-65535, such as 127.0.0.1:9464 or :9464`);
  }
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

export interface MetricsServerOptions extends ListenAddress {
  /** The exposition text, built at each scrape. */
  render: () => string;
  /** A scrape that has not sent its request within this is cut off. */
  requestTimeoutMs?: number;
  /** Where a failing render is reported; the scraper only sees a 500. */
  logger?: Pick<Logger, 'error'>;
}

/**
 * A small HTTP listener for Prometheus: `GET /metrics` answers with the text format
 * (0.0.4), any other path is 404 and any other method on /metrics is 405.
 *
 * @example
 * const server = new MetricsServer({ host: '127.0.0.1', port: 9464, render: () => metrics.render() });
 * const { port } = await server.start();
 * await server.stop();
 */
export class MetricsServer {
  readonly #options: MetricsServerOptions;
  readonly #server: Server;

  constructor(options: MetricsServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.requestTimeout = options.requestTimeoutMs ?? 10_000;
    this.#server.headersTimeout = Math.min(this.#server.requestTimeout, 5_000);
    // Scrapers come one at a time; more than this is a mistake or an attack.
    this.#server.maxConnections = 32;
  }

  /** Listen; rejects (e.g. EADDRINUSE) with the address in the message. */
  start(): Promise<AddressInfo> {
    const { host, port } = this.#options;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`cannot serve metrics on ${host}:${port}: ${err.message}`));
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  stop(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return plain(res, 404, 'not found: metrics are at GET /metrics\n');
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return plain(res, 405, `method ${req.method ?? ''} not allowed: use GET\n`);
    }
    let body: string;
    try {
      body = this.#options.render();
    } catch (err: unknown) {
      this.#options.logger?.error({ err: err instanceof Error ? err.message : String(err) }, 'rendering metrics failed');
      return plain(res, 500, 'internal error\n');
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
