// One agent connection at the collector: the socket, its message queue and rejections, the
// handshake and admission up to the Welcome. What the admitted agent then sends (batches,
// heartbeats, relayed frames) is session-traffic.ts.
import {
  CollectorHandshake,
  decodeFrame,
  encodeFrame,
  ErrorCode,
  isOutpostError,
  OutpostError,
  type DecodedFrame,
  type ErrorCodeValue,
  type FrameInit,
  type NonceCache,
  type ProtocolLimits,
} from '@outpost/protocol';
import { WebSocket } from 'ws';
import type { Counters } from './counters.js';
import type { CollectorIdentity } from './data-dir.js';
import { admit } from './enrollment.js';
import type { IngestBudget } from './ingest-budget.js';
import type { Logger } from './logger.js';
import { observeState } from './observe-state.js';
import { SessionTraffic } from './session-traffic.js';
import type { AgentRecord, CollectorStore, IngestOutcome } from './store.js';
import type { ThrottledLog } from './throttled-log.js';

export interface SessionContext {
  store: CollectorStore;
  identity: CollectorIdentity;
  nonceCache: NonceCache;
  counters: Counters;
  logger: Logger;
  /** Rejections are logged once per kind and interval; counters see every one. */
  rejections: ThrottledLog;
  limits: ProtocolLimits;
  /** Messages of one session waiting to be processed; past this the agent is not respecting its window. */
  maxQueuedMessages: number;
  /** Verified results waiting for a commit over all sessions: past its maximum a session stops reading. */
  ingestBudget: IngestBudget;
  /** Called once the agent is admitted, with its record from before this Hello. */
  onAdmitted(session: AgentSession, agent: AgentRecord): void;
  onClosed(session: AgentSession): void;
  /** This (relay) session carries `agentId`'s traffic now: config pushes for it go here. */
  onRelayRoute?(session: AgentSession, agentId: number): void;
  /** What the state engine hears from sessions. */
  state: SessionObserver;
}

/** The state engine's view of a session: admissions, commits and heartbeats. */
export interface SessionObserver {
  agentConnected(before: AgentRecord): Promise<void>;
  afterIngest(agent: AgentRecord, outcomes: readonly IngestOutcome[]): Promise<void>;
  heartbeat(agentId: number, name: string, backlog: number): Promise<void>;
}

/** The counter name for a rejection by code: OUTPOST_ERR_BAD_SIGNATURE → rejected.bad_signature. */
export function rejectionCounter(code: ErrorCodeValue | string): string {
  return `rejected.${code.replace(/^OUTPOST_ERR_/, '').toLowerCase()}`;
}

/**
 * One agent connection at the collector: Challenge, verified Hello, admission, Welcome,
 * then batches verified before they are decoded and acknowledged only after commit.
 * Messages are handled one at a time in arrival order. Any protocol violation closes this
 * connection (counted by reason) and nothing else: the process and stored data are untouched.
 */
export class AgentSession {
  readonly remoteAddress: string;
  readonly #ws: WebSocket;
  readonly #ctx: SessionContext;
  readonly #handshake: CollectorHandshake;
  readonly #deadline: NodeJS.Timeout;
  /** The admitted agent's frames; made at admission. */
  #traffic: SessionTraffic | undefined;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #closed = false;

  constructor(ws: WebSocket, remoteAddress: string, ctx: SessionContext) {
    this.#ws = ws;
    this.remoteAddress = remoteAddress;
    this.#ctx = ctx;
    this.#handshake = new CollectorHandshake({
      keyPair: ctx.identity.keyPair,
      nonceCache: ctx.nonceCache,
      ...(ctx.identity.endorsement ? { endorsement: ctx.identity.endorsement } : {}),
    });
    this.#deadline = setTimeout(() => this.#reject(ErrorCode.HANDSHAKE_TIMEOUT, `no valid Hello within ${ctx.limits.handshakeTimeoutMs} ms`), ctx.limits.handshakeTimeoutMs);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself after these (oversized message, bad opcode, bad UTF-8).
      const reason = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? ErrorCode.FRAME_TOO_LARGE : 'OUTPOST_ERR_WEBSOCKET';
      ctx.counters.add(rejectionCounter(reason));
      ctx.rejections.warn(rejectionCounter(reason), { remote: remoteAddress, agent: this.#traffic?.agent.name, err: err.message }, 'websocket error');
    });
    ws.on('close', () => {
      this.#closed = true;
      clearTimeout(this.#deadline);
      ctx.onClosed(this);
    });
    this.#send({ challenge: this.#handshake.challenge() });
  }

  get agent(): AgentRecord | undefined {
    return this.#traffic?.agent;
  }

  /**
   * Send the agent its newest remote config when it runs an older one. Called after the
   * handshake and from the server's poll, so `config set` from another process reaches a
   * connected agent within a second. A version the agent refused is not re-sent on this
   * connection.
   */
  async syncConfig(): Promise<void> {
    const traffic = this.#traffic;
    if (!traffic || this.#closed) return;
    await traffic.syncConfig();
  }

  /** Push `agentId` (behind this relay session) its newest remote config when it runs an older one. */
  async syncRelayedConfig(agentId: number): Promise<void> {
    if (!this.#closed) await this.#traffic?.syncRelayedConfig(agentId);
  }

  /**
   * Close because the operator revoked the agent or a newer connection of the same agent
   * replaced this one. Frames still queued are not handled. False when this session was
   * already closing (so a revocation is counted once).
   */
  close(code: ErrorCodeValue, message: string): boolean {
    if (this.#closed) return false;
    this.#end(code, message, 1008);
    return true;
  }

  #send(frame: FrameInit): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(encodeFrame(frame));
  }

  #sendError(code: ErrorCodeValue, message: string): void {
    this.#send({ error: { code, message } });
  }

  /** Close this connection for `code`, counted once under `counter` (default rejected.<code>). */
  #reject(code: ErrorCodeValue, message: string, tellPeer = true, counter = rejectionCounter(code)): void {
    if (this.#closed) return;
    this.#ctx.counters.add(counter);
    this.#ctx.rejections.warn(counter, { remote: this.remoteAddress, agent: this.#traffic?.agent.name, code }, message);
    this.#end(code, tellPeer ? message : undefined, code === ErrorCode.BAD_FRAME || code === ErrorCode.UNEXPECTED_FRAME ? 1002 : 1008);
  }

  /** Stop handling frames, tell the peer why (when `message` is given) and close. */
  #end(code: ErrorCodeValue, message: string | undefined, wsCode: number): void {
    this.#closed = true;
    if (message !== undefined) this.#sendError(code, message);
    this.#ws.close(wsCode, code);
    // Read again if the ingest budget paused this socket, so the agent's closing frame is
    // seen; and a peer that does not finish the closing handshake is cut off.
    this.#ws.resume();
    setTimeout(() => this.#ws.terminate(), 1_000).unref();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    // Relayed batches waiting for their group commit hold memory as queued messages did.
    if (this.#queued + (this.#traffic?.relayedPending ?? 0) >= this.#ctx.maxQueuedMessages) {
      this.#reject(ErrorCode.LIMIT, `more than ${this.#ctx.maxQueuedMessages} messages queued; the agent ignores its window`);
      return;
    }
    let frame: DecodedFrame;
    try {
      if (!isBinary) throw new OutpostError(ErrorCode.BAD_FRAME, 'text message on a binary protocol');
      frame = decodeFrame(data, this.#ctx.limits);
    } catch (err: unknown) {
      this.#fail(err);
      return;
    }
    this.#queued += 1;
    this.#queue = this.#queue
      .then(() => (this.#closed ? undefined : this.#handle(frame)))
      .catch((err: unknown) => this.#fail(err))
      .finally(() => {
        this.#queued -= 1;
      });
  }

  #fail(err: unknown): void {
    if (isOutpostError(err)) {
      // Only a peer that got through the handshake hears why; a stranger learns nothing.
      this.#reject(err.code, err.message, this.#traffic !== undefined);
      return;
    }
    this.#ctx.logger.error({ remote: this.remoteAddress, err: err instanceof Error ? err.stack : String(err) }, 'session failed');
    this.#reject(ErrorCode.INTERNAL, 'internal error', false);
  }

  async #handle(frame: DecodedFrame): Promise<void> {
    if (this.#traffic === undefined) {
      if (frame.type !== 'hello') {
        throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, `${frame.type} frame before the handshake finished`);
      }
      await this.#onHello(frame.body);
      return;
    }
    return this.#traffic.handle(frame);
  }

  async #onHello(hello: Parameters<CollectorHandshake['onHello']>[0]): Promise<void> {
    const verified = this.#handshake.onHello(hello);
    const admission = await admit(this.#ctx.store, verified);
    if (this.#closed) return;
    if (!admission.admitted) {
      if (admission.code === ErrorCode.PENDING_APPROVAL || admission.code === ErrorCode.REVOKED) {
        // The operator deciding on a pending agent (or watching a revoked one) sees it still
        // knock, and from where. Best effort: a store error must not change the refusal.
        await this.#ctx.store.recordRefusedHello(verified.agentKey.raw, this.remoteAddress, Date.now()).catch((err: unknown) => {
          this.#ctx.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not record a refused Hello');
        });
        if (this.#closed) return;
      }
      // A verified Hello that admission turns away: counted once, as a refusal.
      this.#reject(admission.code, admission.message, true, `refused.${admission.code.replace(/^OUTPOST_ERR_/, '').toLowerCase()}`);
      return;
    }
    clearTimeout(this.#deadline);
    const agent = admission.agent;
    const traffic = new SessionTraffic(agent, verified.agentKey, this.#ctx, {
      send: (frame) => this.#send(frame),
      fail: (err) => this.#fail(err),
      isClosed: () => this.#closed,
      onRelayRoute: (agentId) => this.#ctx.onRelayRoute?.(this, agentId),
      pause: () => this.#ws.pause(),
      resume: () => this.#ws.resume(),
    });
    this.#traffic = traffic;
    let keyRotated = false;
    if (verified.rotateTo) {
      if ((await this.#ctx.store.rotateAgentKey(agent.id, verified.rotateTo.raw)) === 'key_in_use') {
        throw new OutpostError(ErrorCode.BAD_KEY, `agent "${agent.name}" wants to move to a key another agent holds`);
      }
      keyRotated = true;
      this.#ctx.counters.add('agents.key_rotated');
      this.#ctx.logger.warn({ agent: agent.name, newKey: String(verified.rotateTo) }, 'agent key rotated');
    }
    await this.#ctx.store.recordHello(agent.id, {
      software: verified.software,
      configHash: verified.configHash,
      configVersion: verified.configVersion,
      clockOffsetMs: verified.clockOffsetMs,
      remoteAddress: this.remoteAddress,
      heartbeatIntervalMs: verified.heartbeatIntervalMs,
      at: Date.now(),
    });
    // Connected directly now: no longer behind relays.
    if (agent.relayPath !== null) await this.#ctx.store.recordRelayPath(agent.id, null, Date.now());
    // The peer may have gone while the store was busy: do not register a dead session.
    if (this.#closed) return;
    this.#ctx.onAdmitted(this, agent);
    this.#send({ welcome: this.#handshake.welcome({ lastBatchSeq: agent.lastBatchSeq, maxResultId: agent.maxResultId, keyRotated }) });
    this.#ctx.counters.add('sessions.admitted');
    this.#ctx.logger.info({ agent: agent.name, remote: this.remoteAddress, clockOffsetMs: verified.clockOffsetMs, software: verified.software }, 'agent connected');
    traffic.welcomed(verified.configVersion);
    await this.syncConfig();
    // The state engine's trouble is logged, never the agent's.
    await observeState(this.#ctx, agent.name, () => this.#ctx.state.agentConnected(agent));
  }
}
