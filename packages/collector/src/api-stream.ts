import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './api-request.js';
import type { LiveFeed } from './live-feed.js';

// GET /api/v1/stream: the live feed as Server-Sent Events for the console. Bounded in clients
// and in what one client may leave unread.

const MAX_LIVE_CLIENTS = 64;
const KEEPALIVE_MS = 15_000;

/**
 * The open event streams: each subscribed to the feed until its client goes.
 *
 * @example
 * const live = new LiveClients(feed);
 * live.serve(req, res); // throws HttpError 503 past 64 clients
 * live.closeAll();      // on stop
 */
export class LiveClients {
  readonly #feed: LiveFeed;
  readonly #live = new Set<ServerResponse>();

  constructor(feed: LiveFeed) {
    this.#feed = feed;
  }

  /** Streams open now (a Prometheus gauge). */
  get size(): number {
    return this.#live.size;
  }

  /** End every stream; their clients see the connection close. */
  closeAll(): void {
    for (const res of this.#live) res.end();
  }

  serve(req: IncomingMessage, res: ServerResponse): void {
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
    unsubscribe = this.#feed.subscribe((type, data) => {
      // A client that does not read is dropped rather than buffered without bound.
      if (res.writableLength > 1024 * 1024) return done();
      res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    });
    keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    req.once('close', done);
    res.once('error', done);
  }
}
