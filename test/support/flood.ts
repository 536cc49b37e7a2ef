import { randomBytes } from 'node:crypto';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** What a flooding connection does once TLS is up. */
export type FloodKind = 'idle-tls' | 'silent-upgrade' | 'garbage';

export interface FloodOptions {
  host: string;
  port: number;
  /** Connections started in all. */
  total: number;
  /** Open at the same time, at most. */
  concurrency: number;
  /** Starts are spread evenly over this window; no connection starts after it. */
  windowMs: number;
  /** A connection the collector has not closed after this long is cut by the client. */
  holdMs: number;
  kinds: readonly FloodKind[];
}

/** How each connection ended, as its client saw it. */
export interface FloodOutcome {
  kind: FloodKind;
  /** TLS completed before the collector closed the connection. */
  tls: boolean;
  /** First line of an HTTP answer, if any (101, 400, 503 ...). */
  answer: string | undefined;
  /** The collector closed it (true) or the client cut it at `holdMs` (false). */
  closedByCollector: boolean;
}

const UPGRADE =
  'GET /outpost/v1 HTTP/1.1\r\nHost: collector\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/**
 * Unauthenticated connections against the collector, bounded in count, concurrency and
 * time. Every socket is tracked and destroyed by `stop` (also when a test fails midway).
 *
 * @example
 * const flood = new Flood({ host: '127.0.0.1', port, total: 2_000, concurrency: 200, windowMs: 15_000, holdMs: 6_000, kinds: ['idle-tls'] });
 * const outcomes = await flood.run();
 */
export class Flood {
  readonly #options: FloodOptions;
  readonly #sockets = new Set<TLSSocket>();
  #stopped = false;

  constructor(options: FloodOptions) {
    this.#options = options;
  }

  get open(): number {
    return this.#sockets.size;
  }

  async run(): Promise<FloodOutcome[]> {
    const { total, concurrency, windowMs, kinds } = this.#options;
    const startedAt = Date.now();
    const outcomes: FloodOutcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!this.#stopped && next < total) {
          const index = next++;
          const due = startedAt + (index * windowMs) / total;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          if (Date.now() > startedAt + windowMs + 1_000) break; // a slow machine does fewer, never longer
          outcomes.push(await this.#connect(kinds[index % kinds.length]!));
        }
      }),
    );
    return outcomes;
  }

  /** Destroy every socket still open. */
  stop(): void {
    this.#stopped = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  #connect(kind: FloodKind): Promise<FloodOutcome> {
    return new Promise((resolve) => {
      const outcome: FloodOutcome = { kind, tls: false, answer: undefined, closedByCollector: true };
      const socket = tlsConnect({ host: this.#options.host, port: this.#options.port, rejectUnauthorized: false });
      this.#sockets.add(socket);
      const timer = setTimeout(() => {
        outcome.closedByCollector = false;
        socket.destroy();
      }, this.#options.holdMs);
      socket.on('secureConnect', () => {
        outcome.tls = true;
        if (kind === 'silent-upgrade') socket.write(UPGRADE);
        if (kind === 'garbage') socket.write(Buffer.concat([randomBytes(64), Buffer.from('\r\n\r\n')]));
      });
      socket.on('data', (chunk: Buffer) => {
        outcome.answer ??= chunk.toString('latin1').split('\r\n')[0];
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        if (this.#stopped) outcome.closedByCollector = false;
        this.#sockets.delete(socket);
        resolve(outcome);
      });
    });
  }
}
