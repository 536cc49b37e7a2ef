import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { ErrorCode, NonceCache, WS_PATH, type ProtocolLimits } from '@outpost/protocol';
import { WebSocketServer } from 'ws';
import { ConnectionGate } from './connection-gate.js';
import type { Counters } from './counters.js';
import type { CollectorIdentity } from './data-dir.js';
import type { Logger } from './logger.js';
import { AgentSession, type SessionObserver } from './session.js';
import { ThrottledLog } from './throttled-log.js';
import type { CollectorStore } from './store.js';
import { IngestBudget } from './ingest-budget.js';

export interface CollectorServerOptions {
  host: string;
  port: number;
  /** Plain ws:// without TLS. Results then cross the network readable by anyone on the path. */
  insecure: boolean;
  identity: CollectorIdentity;
  store: CollectorStore;
  /** The state engine: hears admissions, commits, heartbeats and disconnects. */
  state: SessionObserver & { agentDisconnected(name: string): void };
  counters: Counters;
  logger: Logger;
  limits: ProtocolLimits;
  /** Connections that have not finished the handshake, in total and per source address. */
  maxUnauthenticated: number;
  maxUnauthenticatedPerAddress: number;
  maxQueuedMessagesPerSession: number;
  /** Verified results waiting for their commit over all sessions, past which sessions stop reading (ingest-budget.ts). */
  maxWaitingResults: number;
  /** How often live sessions are checked against revocations. */
  revocationCheckMs?: number;
  /** New connections per second per source address (token bucket) and its burst. */
  maxConnectsPerSecondPerAddress?: number;
  connectBurstPerAddress?: number;
}

/**
 * The agent-facing listener on TCP 41121: TLS (1.2+) with the collector's self-signed
 * certificate, WebSocket upgrade on /outpost/v1 only, limits on unauthenticated
 * connections before any protocol work is done for them.
 *
 * @example
 * const server = new CollectorServer({ host: '0.0.0.0', port: 41121, ... });
 * const { port } = await server.start();
 */
export class CollectorServer {
  readonly #options: CollectorServerOptions;
  /** Accepts TCP and hands only what the gate lets through to the TLS/HTTP server. */
  readonly #listener: TcpServer;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #wss: WebSocketServer;
  readonly #nonceCache = new NonceCache();
  readonly #gate: ConnectionGate;
  readonly #rejections: ThrottledLog;
  #revocationTimer: NodeJS.Timeout | undefined;
  readonly #sessions = new Set<AgentSession>();
  readonly #byAgent = new Map<number, AgentSession>();
  /** Agents behind relays: the relay session that last carried their traffic. */
  readonly #relayRoutes = new Map<number, AgentSession>();
  readonly #ingestBudget: IngestBudget;

  constructor(options: CollectorServerOptions) {
    this.#options = options;
    this.#ingestBudget = new IngestBudget({ maxResults: options.maxWaitingResults, counters: options.counters });
    this.#rejections = new ThrottledLog(options.logger);
    this.#gate = new ConnectionGate({
      maxUnauthenticated: options.maxUnauthenticated,
      maxUnauthenticatedPerAddress: options.maxUnauthenticatedPerAddress,
      // TLS, the upgrade request and the handshake together.
      deadlineMs: 2 * options.limits.handshakeTimeoutMs,
      maxConnectsPerSecondPerAddress: options.maxConnectsPerSecondPerAddress ?? 50,
      connectBurstPerAddress: options.connectBurstPerAddress ?? 200,
      counters: options.counters,
    });
    this.#server = options.insecure
      ? createHttpServer()
      : createHttpsServer({
          key: options.identity.tlsKeyPem,
          cert: options.identity.tlsCertPem,
          minVersion: 'TLSv1.2',
          handshakeTimeout: options.limits.handshakeTimeoutMs,
        });
    // Strangers over the limits are dropped before TLS spends anything on them.
    this.#listener = createTcpServer((socket) => {
      if (!this.#gate.accept(socket)) return;
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      this.#server.emit('connection', socket);
    });
    this.#server.on('request', (_req, res) => {
      options.counters.add('rejected.not_websocket');
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' }).end(`Outpost collector: WebSocket on ${WS_PATH} only\n`);
    });
    this.#server.on('tlsClientError', () => options.counters.add('rejected.tls_handshake'));
    // Bytes that are not HTTP after TLS: Node would answer 400 on its own and count nothing.
    this.#server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
      const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT';
      options.counters.add(timedOut ? 'rejected.handshake_timeout' : err.code === 'ECONNRESET' ? 'connections.reset' : 'rejected.bad_request');
      socket.destroy();
    });
    // A peer that opens a connection but never finishes its upgrade request is cut off as
    // soon as a handshake would have had to be done.
    this.#server.headersTimeout = options.limits.handshakeTimeoutMs;
    this.#server.requestTimeout = options.limits.handshakeTimeoutMs;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.limits.maxMessageBytes, perMessageDeflate: false });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.#onUpgrade(req, socket, head));
  }

  /** Agent ids with a live, admitted session, directly or through a relay. */
  connectedAgents(): Set<number> {
    return new Set([...this.#byAgent.keys(), ...this.#relayRoutes.keys()]);
  }

  async start(): Promise<{ port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.#listener.once('error', reject);
      this.#listener.listen(this.#options.port, this.#options.host, () => {
        this.#listener.off('error', reject);
        resolve();
      });
    });
    this.#revocationTimer = setInterval(() => {
      this.#enforceRevocations().catch((err: unknown) => this.#options.logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'session poll failed'));
    }, this.#options.revocationCheckMs ?? 1_000);
    this.#revocationTimer.unref();
    const { port } = this.#listener.address() as AddressInfo;
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    return { port, url: `${this.#options.insecure ? 'ws' : 'wss'}://${host}:${port}${WS_PATH}` };
  }

  async stop(): Promise<void> {
    clearInterval(this.#revocationTimer);
    this.#rejections.flush();
    for (const client of this.#wss.clients) client.close(1001, 'collector stopping');
    // Peers get a moment to finish the closing handshake; then their sockets are cut, so
    // nothing touches the store after it is closed.
    const deadline = Date.now() + 1_000;
    while (this.#wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.#listener.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
  }

  /** Revocation reaches live connections within a second, and so does a newly set remote config. */
  async #enforceRevocations(): Promise<void> {
    for (const [agentId, session] of this.#byAgent) {
      const current = await this.#options.store.findAgentByName(session.agent!.name);
      if (current?.id === agentId && current.status === 'active') {
        await session.syncConfig();
        continue;
      }
      // Until its socket has closed the session stays listed here: count the revocation once.
      if (session.close(ErrorCode.REVOKED, `agent "${session.agent!.name}" is ${current?.status ?? 'gone'}`)) this.#options.counters.add('sessions.revoked');
    }
    for (const [agentId, relay] of this.#relayRoutes) {
      if (!this.#byAgent.has(agentId)) await relay.syncRelayedConfig(agentId);
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const { counters } = this.#options;
    const address = socket.remoteAddress ?? 'unknown';
    const refuse = (status: string, counter: string) => {
      counters.add(counter);
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://collector').pathname;
    } catch {
      return refuse('400 Bad Request', 'rejected.bad_request');
    }
    if (path !== WS_PATH) return refuse('404 Not Found', 'rejected.bad_path');
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      counters.add('connections.accepted');
      const session = new AgentSession(ws, address, {
        store: this.#options.store,
        identity: this.#options.identity,
        nonceCache: this.#nonceCache,
        counters,
        logger: this.#options.logger,
        rejections: this.#rejections,
        limits: this.#options.limits,
        maxQueuedMessages: this.#options.maxQueuedMessagesPerSession,
        ingestBudget: this.#ingestBudget,
        state: this.#options.state,
        onAdmitted: (admitted, agent) => {
          this.#gate.admitted(socket);
          const previous = this.#byAgent.get(agent.id);
          if (previous && previous !== admitted) previous.close(ErrorCode.LIMIT, 'replaced by a newer connection of the same agent');
          this.#byAgent.set(agent.id, admitted);
        },
        onRelayRoute: (relay, agentId) => this.#relayRoutes.set(agentId, relay),
        onClosed: (closed) => {
          this.#sessions.delete(closed);
          for (const [agentId, relay] of this.#relayRoutes) if (relay === closed) this.#relayRoutes.delete(agentId);
          const agent = closed.agent;
          if (agent && this.#byAgent.get(agent.id) === closed) {
            this.#byAgent.delete(agent.id);
            this.#options.state.agentDisconnected(agent.name);
          }
        },
      });
      this.#sessions.add(session);
    });
  }
}
