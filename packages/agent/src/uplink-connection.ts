// One uplink socket, from dial to close: pinned TLS, the connect deadline, the idle timeout,
// decoding each message for the session on it (uplink-session.ts) and the reason it ended.
// The reconnect loop around it is uplink.ts.
import { decodeFrame, encodeFrame, ErrorCode, isOutpostError, OutpostError, type FrameInit } from '@outpost/protocol';
import { WebSocket } from 'ws';
import { existsSync } from 'node:fs';
import { loadKeyFile, nextKeyPath } from './key-file.js';
import { pinnedTlsConnector } from './pinned-tls.js';
import type { SendQueue } from './send-queue.js';
import { UplinkSession, type UplinkConnectionHost } from './uplink-session.js';

/** From the first SYN to an open WebSocket. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * How a connection ended: whether it did useful work (a batch acknowledged, or nothing left
 * to send), and why it closed. A session that only got as far as Welcome counts as a
 * failure, so a collector that keeps refusing a batch is backed off from and failed over.
 */
export interface SessionEnd {
  healthy: boolean;
  reason: string;
}

/**
 * One WebSocket to one collector URL. It starts dialling when constructed; `ended` settles
 * once the socket has closed, for whatever reason.
 *
 * @example
 * const connection = new UplinkConnection('wss://192.0.2.10:41121', false, host);
 * connection.pump(); // new rows in the outbox
 * const { healthy, reason } = await connection.ended;
 */
export class UplinkConnection {
  /** Settles when the socket has closed. */
  readonly ended: Promise<SessionEnd>;
  readonly #ws: WebSocket;
  readonly #session: UplinkSession;
  #reason = 'closed';

  constructor(url: string, fallback: boolean, host: UplinkConnectionHost) {
    const { config } = host.options;
    const keyPair = host.keyPair;
    const nextKeyFile = nextKeyPath(config.keyFile);
    const rotateTo = existsSync(nextKeyFile) ? loadKeyFile(nextKeyFile) : undefined;
    const maxMessageBytes = host.options.maxMessageBytes ?? 4 * 1024 * 1024;
    const secure = url.startsWith('wss:');
    const connector = secure ? pinnedTlsConnector(config.collector.tlsFingerprint ?? '') : undefined;
    host.setState('connecting', { collector_url: url });

    let resolve!: (end: SessionEnd) => void;
    this.ended = new Promise<SessionEnd>((settle) => {
      resolve = settle;
    });
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: maxMessageBytes,
      handshakeTimeout: CONNECT_TIMEOUT_MS,
      ...(connector ? { createConnection: connector.createConnection } : {}),
    });
    this.#ws = ws;
    const session = new UplinkSession({
      host,
      url,
      fallback,
      keyPair,
      rotateTo,
      nextKeyFile,
      socket: {
        send: (frame, onWritten) => this.#send(frame, onWritten),
        fail: (why, code) => this.#fail(why, code),
        isOpen: () => ws.readyState === WebSocket.OPEN,
        bufferedBytes: () => ws.bufferedAmount,
      },
    });
    this.#session = session;
    let idle: NodeJS.Timeout | undefined;
    // A hard deadline for TCP, TLS and the upgrade together: a peer that accepts and then
    // says nothing (or drips bytes) must not hold the uplink, nor keep it from failing over.
    const connectDeadline = setTimeout(() => {
      this.#reason = `connect timed out: no WebSocket to ${url} within ${CONNECT_TIMEOUT_MS} ms`;
      ws.terminate();
    }, CONNECT_TIMEOUT_MS);
    const resetIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        this.#reason = `no frame from the collector for ${config.uplink.idleTimeoutMs} ms`;
        ws.terminate();
      }, config.uplink.idleTimeoutMs);
    };

    ws.on('open', () => {
      clearTimeout(connectDeadline);
      if (connector && !connector.verified) {
        this.#fail('TLS pin was not verified before the WebSocket opened');
        return;
      }
      host.setState('handshaking');
      resetIdle();
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      resetIdle();
      try {
        if (!isBinary) throw new OutpostError(ErrorCode.BAD_FRAME, 'text message on a binary protocol');
        session.onFrame(decodeFrame(data, { maxMessageBytes }));
      } catch (err: unknown) {
        const code = isOutpostError(err) ? err.code : ErrorCode.INTERNAL;
        host.log.error({ code, err: err instanceof Error ? err.message : String(err) }, 'protocol error, closing');
        this.#fail(`${code}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    ws.on('error', (err: Error) => {
      // The first reason is the real one; terminate() reports its own error after it.
      if (this.#reason === 'closed') this.#reason = isOutpostError(err) ? `${err.code}: ${err.message}` : err.message;
    });
    ws.on('close', (code: number, why: Buffer) => {
      clearTimeout(connectDeadline);
      clearTimeout(idle);
      const healthy = session.closed();
      if (this.#reason === 'closed' && why.length > 0) this.#reason = `closed by collector (${code}): ${why.toString()}`;
      resolve({ healthy, reason: this.#reason });
    });
  }

  /** This connection's send window; undefined before Welcome and after close. */
  get queue(): SendQueue | undefined {
    return this.#session.queue;
  }

  /** New rows are in the outbox: send what the window and the rate cap allow. */
  pump(): void {
    this.#session.pump();
  }

  close(code: number, why: string): void {
    this.#ws.close(code, why);
  }

  #fail(why: string, code = 1002): void {
    this.#reason = why;
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(code, why.slice(0, 120));
    else this.#ws.terminate();
  }

  #send(frame: FrameInit, onWritten?: () => void): number {
    const bytes = encodeFrame(frame);
    // ws calls back once the frame is written to the TCP/TLS socket (with an error instead
    // when the socket is not open): by then ws.bufferedAmount no longer counts it.
    this.#ws.send(bytes, onWritten);
    return bytes.length;
  }
}
