import {
  BATCH_DOMAIN,
  checkRelayPath,
  CollectorHandshake,
  decodeFrame,
  encodeFrame,
  ErrorCode,
  isOutpostError,
  MAX_RELAY_HOPS,
  openBatch,
  OutpostError,
  PublicKey,
  readRelayedBatchHeader,
  type Batch,
  type DecodedFrame,
  type ErrorCodeValue,
  type FrameInit,
  type Heartbeat,
  type KeyPair,
  type NonceCache,
  type ProtocolLimits,
} from '@outpost/protocol';
import { WebSocket } from 'ws';
import type { Logger } from './logger.js';
import type { RelayAllowedAgent } from './relay-config.js';
import type { RelayedEntry } from './relay-outbox.js';

/** What a downstream session needs from its relay. */
export interface RelaySessionHost {
  /** This relay's agent name, appended to every path it forwards. */
  relayName: string;
  keyPair: KeyPair;
  nonceCache: NonceCache;
  allowList: readonly RelayAllowedAgent[];
  limits: ProtocolLimits;
  handshakeTimeoutMs: number;
  logger: Logger;
  onAdmitted(session: RelaySession): void;
  onClosed(session: RelaySession): void;
  /** Store a batch for forwarding; throws OUTPOST_ERR_LIMIT when the relay outbox is full. */
  onBatch(session: RelaySession, entry: Omit<RelayedEntry, 'seq'>): void;
  /** The session is being closed for this protocol violation or limit (for counting). */
  onRefused(session: RelaySession, code: ErrorCodeValue): void;
  /** A heartbeat to pass upstream (best effort, never stored). */
  onHeartbeat(session: RelaySession, agentKey: Uint8Array, agentName: string, heartbeat: Heartbeat, path: string[]): void;
}

/**
 * One downstream connection at a relay, handled exactly as the collector handles an agent:
 * Challenge with the relay's own key, verified Hello, admission (here: the allow-list of
 * names and keys in the relay config), Welcome, then batches. A batch of the agent itself
 * is verified against its key before it is stored (garbage stops at the first wall); a
 * RelayedBatch from a relay further down is verified against the key it names (only the
 * collector knows which keys are enrolled, but a batch that is not signed by the key it
 * names would take that agent's batch number here). Any protocol violation closes this
 * connection.
 */
export class RelaySession {
  readonly remoteAddress: string;
  readonly #ws: WebSocket;
  readonly #host: RelaySessionHost;
  readonly #handshake: CollectorHandshake;
  readonly #deadline: NodeJS.Timeout;
  #name: string | undefined;
  #key: PublicKey | undefined;
  #closed = false;
  /** The remote config version the agent says it runs (Hello, then heartbeats). */
  configVersion = 0;
  /** Config push versions sent on this connection, per agent key (hex). */
  readonly pushed = new Map<string, number>();

  constructor(ws: WebSocket, remoteAddress: string, host: RelaySessionHost) {
    this.#ws = ws;
    this.remoteAddress = remoteAddress;
    this.#host = host;
    this.#handshake = new CollectorHandshake({ keyPair: host.keyPair, nonceCache: host.nonceCache });
    this.#deadline = setTimeout(() => this.close(ErrorCode.HANDSHAKE_TIMEOUT, `no valid Hello within ${host.handshakeTimeoutMs} ms`, false), host.handshakeTimeoutMs);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('error', () => {
      // ws closes the socket itself after these (oversized message, bad opcode).
    });
    ws.on('close', () => {
      this.#closed = true;
      clearTimeout(this.#deadline);
      host.onClosed(this);
    });
    this.send({ challenge: this.#handshake.challenge() });
  }

  /** The admitted agent's name; undefined before admission. */
  get name(): string | undefined {
    return this.#name;
  }

  get agentKey(): PublicKey | undefined {
    return this.#key;
  }

  send(frame: FrameInit): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(encodeFrame(frame));
  }

  /** Tell the peer why (when it was admitted or `tell`), then close. */
  close(code: ErrorCodeValue, message: string, tell = true): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.logger.warn({ remote: this.remoteAddress, agent: this.#name, code }, `relay closed a downstream connection: ${message}`);
    if (tell) this.send({ error: { code, message } });
    this.#ws.close(code === ErrorCode.BAD_FRAME || code === ErrorCode.UNEXPECTED_FRAME ? 1002 : 1008, code);
    setTimeout(() => this.#ws.terminate(), 1_000).unref();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    try {
      if (!isBinary) throw new OutpostError(ErrorCode.BAD_FRAME, 'text message on a binary protocol');
      this.#handle(decodeFrame(data, this.#host.limits));
    } catch (err: unknown) {
      if (isOutpostError(err)) {
        this.#host.onRefused(this, err.code);
        this.close(err.code, err.message, this.#name !== undefined);
      } else {
        this.#host.logger.error({ remote: this.remoteAddress, err: err instanceof Error ? err.stack : String(err) }, 'relay session failed');
        this.close(ErrorCode.INTERNAL, 'internal error', false);
      }
    }
  }

  #handle(frame: DecodedFrame): void {
    if (this.#name === undefined) {
      if (frame.type !== 'hello') throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, `${frame.type} frame before the handshake finished`);
      this.#onHello(frame.body);
      return;
    }
    const name = this.#name;
    const relayName = this.#host.relayName;
    switch (frame.type) {
      case 'batch': {
        // The agent's own batch: verified here against its allow-listed key, then kept as received.
        const body = openBatch(frame.body, this.#key!, this.#host.limits);
        const { payload, signature } = frame.body;
        this.#host.onBatch(this, { agentKey: this.#key!.raw, agentName: name, batchSeq: body.batchSeq, payload, signature, path: [relayName], via: name });
        return;
      }
      case 'relayedBatch': {
        const path = checkRelayPath(frame.body.path, name, this.#host.limits.maxNameLength);
        if (path.length >= MAX_RELAY_HOPS) throw new OutpostError(ErrorCode.LIMIT, `relay path ${path.join(' > ')} is as long as allowed already`);
        const batch = frame.body.batch as Batch | null;
        const header = readRelayedBatchHeader(batch);
        if (Buffer.compare(header.agentKey, frame.body.agentKey) !== 0) {
          throw new OutpostError(ErrorCode.WRONG_AGENT, `relayed batch ${header.batchSeq} names another agent key than its body`);
        }
        // Stored under (agent key, batch_seq) first come first kept: junk under another agent's
        // key and next number would make its real batch a "resend", never forwarded nor acked.
        if (!PublicKey.from(header.agentKey).verify(BATCH_DOMAIN, [batch!.payload], batch!.signature)) {
          throw new OutpostError(ErrorCode.BAD_SIGNATURE, `relayed batch ${header.batchSeq} of "${frame.body.agentName}" is not signed by the key it names`);
        }
        this.#host.onBatch(this, {
          agentKey: header.agentKey, agentName: frame.body.agentName, batchSeq: header.batchSeq,
          payload: batch!.payload, signature: batch!.signature, path: [...path, relayName], via: name,
        });
        return;
      }
      case 'heartbeat': {
        this.configVersion = frame.body.configHash ? frame.body.configVersion : this.configVersion;
        this.send({ heartbeat: { timeMs: Date.now() } });
        this.#host.onHeartbeat(this, this.#key!.raw, name, frame.body, [relayName]);
        return;
      }
      case 'relayedHeartbeat': {
        const path = checkRelayPath(frame.body.path, name, this.#host.limits.maxNameLength);
        const heartbeat = frame.body.heartbeat as Heartbeat | null;
        if (!heartbeat) throw new OutpostError(ErrorCode.BAD_FRAME, 'relayed heartbeat carries no heartbeat');
        this.#host.onHeartbeat(this, frame.body.agentKey, frame.body.agentName, heartbeat, [...path, relayName]);
        return;
      }
      default:
        throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, `${frame.type} frame from a downstream agent`);
    }
  }

  #onHello(hello: Parameters<CollectorHandshake['onHello']>[0]): void {
    const verified = this.#handshake.onHello(hello);
    const entry = this.#host.allowList.find((a) => a.name === verified.agentName);
    if (!entry || !entry.key.equals(verified.agentKey)) {
      const code = entry ? ErrorCode.NAME_TAKEN : ErrorCode.NOT_ENROLLED;
      const why = entry ? `"${verified.agentName}" is allowed here with another key` : `"${verified.agentName}" is not in this relay's relay.agents`;
      this.close(code, `${why}; add { name: ${verified.agentName}, key: ${String(verified.agentKey)} } to relay.agents to admit it`);
      return;
    }
    clearTimeout(this.#deadline);
    this.#name = verified.agentName;
    this.#key = verified.agentKey;
    this.configVersion = verified.configVersion;
    // The relay does not know what the collector holds: no resume point (an agent behind a
    // relay that lost its outbox but kept its key is not renumbered; see docs/relay.md).
    this.send({ welcome: this.#handshake.welcome({ lastBatchSeq: 0, maxResultId: 0 }) });
    this.#host.logger.info({ agent: this.#name, remote: this.remoteAddress }, 'downstream agent connected');
    this.#host.onAdmitted(this);
  }
}
