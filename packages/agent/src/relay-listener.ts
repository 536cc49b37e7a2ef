import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { WS_PATH } from '@outpost/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from './logger.js';

const connectionKey = (socket: Socket) => `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? 0}`;

export interface RelayListenerOptions {
  host: string;
  port: number;
  tlsKeyPem: string;
  tlsCertPem: string;
  maxMessageBytes: number;
  /** Connections not yet admitted, in total and per source address, counted from TCP accept. */
  maxUnauthenticated: number;
  maxUnauthenticatedPerAddress: number;
  /** From TCP accept to admission (TLS, upgrade and handshake together). */
  deadlineMs: number;
  logger: Logger;
  /** A WebSocket on /outpost/v1; call `admitted()` once its agent is admitted. */
  onConnection(ws: WebSocket, remoteAddress: string, admitted: () => void): void;
}

/**
 * A relay's listener for downstream agents, with the collector's limits: TLS 1.2+ with the
 * relay's self-signed certificate, WebSocket on /outpost/v1 only, and every TCP connection
 * counted against the unauthenticated caps from accept (before TLS) until its agent is
 * admitted, cut off if that takes longer than the deadline.
 *
 * @example
 * const listener = new RelayListener({ host: '0.0.0.0', port: 41121, tlsKeyPem, tlsCertPem, ... });
 * const { port } = await listener.start();
 */
export class RelayListener {
  readonly #o: RelayListenerOptions;
  readonly #tcp: TcpServer;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<Socket>();
  readonly #perAddress = new Map<string, number>();
  readonly #pending = new Map<string, () => void>();
  #unauthenticated = 0;

  constructor(options: RelayListenerOptions) {
    this.#o = options;
    this.#server = createHttpsServer({ key: options.tlsKeyPem, cert: options.tlsCertPem, minVersion: 'TLSv1.2', handshakeTimeout: options.deadlineMs });
    this.#server.headersTimeout = options.deadlineMs;
    this.#server.requestTimeout = options.deadlineMs;
    this.#server.on('request', (_req, res) => res.writeHead(426, { connection: 'close' }).end(`Outpost relay: WebSocket on ${WS_PATH} only\n`));
    this.#server.on('clientError', (_err: Error, socket: Socket) => socket.destroy());
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes, perMessageDeflate: false });
    this.#server.on('upgrade', (req, socket: Socket, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://relay').pathname !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        // The TLS socket has the TCP socket's addresses: that finds the connection's count.
        const release = this.#pending.get(connectionKey(socket)) ?? (() => {});
        this.#o.onConnection(ws, socket.remoteAddress ?? 'unknown', release);
      });
    });
    this.#tcp = createTcpServer((socket) => this.#accept(socket));
  }

  async start(): Promise<{ port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.#tcp.once('error', reject);
      this.#tcp.listen(this.#o.port, this.#o.host, () => {
        this.#tcp.off('error', reject);
        resolve();
      });
    });
    return { port: (this.#tcp.address() as AddressInfo).port };
  }

  async stop(): Promise<void> {
    for (const client of this.#wss.clients) client.close(1001, 'relay stopping');
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.#tcp.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
  }

  #accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '?';
    const fromAddress = this.#perAddress.get(address) ?? 0;
    if (this.#unauthenticated >= this.#o.maxUnauthenticated || fromAddress >= this.#o.maxUnauthenticatedPerAddress) {
      this.#o.logger.warn({ remote: address }, 'relay refused a connection: too many unauthenticated connections');
      socket.destroy();
      return;
    }
    this.#unauthenticated += 1;
    this.#perAddress.set(address, fromAddress + 1);
    let counted = true;
    const key = connectionKey(socket);
    const deadline = setTimeout(() => socket.destroy(), this.#o.deadlineMs);
    deadline.unref();
    const release = () => {
      if (!counted) return;
      counted = false;
      clearTimeout(deadline);
      this.#pending.delete(key);
      this.#unauthenticated -= 1;
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
    };
    this.#pending.set(key, release);
    socket.once('close', release);
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    this.#server.emit('connection', socket);
  }
}
