// The protocol on one open uplink socket: the agent's side of the handshake (key rotation,
// endorsed collector keys, outbox rebase), then the window of signed batches, heartbeats,
// and the collector's Acks, config pushes, relayed frames and Error. The socket itself
// (dial, deadlines, decoding, close) is uplink-connection.ts.
import {
  AgentHandshake,
  ErrorCode,
  OutpostError,
  encodeKey,
  signBatch,
  verifyConfig,
  type DecodedFrame,
  type FrameInit,
  type KeyPair,
  type PublicKey,
} from '@outpost/protocol';
import { existsSync } from 'node:fs';
import type { DrainProgress } from './drain-progress.js';
import { promoteNextKey } from './key-file.js';
import type { Logger } from './logger.js';
import { SendQueue } from './send-queue.js';
import type { UplinkOptions, UplinkState } from './uplink.js';

/** What one connection needs from the Uplink, which outlives it. */
export interface UplinkConnectionHost {
  options: UplinkOptions;
  log: Logger;
  progress: DrainProgress;
  /** The agent key this connection presents. */
  keyPair: KeyPair;
  setState(state: UplinkState, extra?: Record<string, string>): void;
  /** Collector keys accepted through endorsements, kept in the outbox's meta. */
  endorsedCollectorKeys(): PublicKey[];
  /** The next batch sequence number, persisted in the outbox's meta. */
  nextBatchSeq(): number;
  /** The collector took the next key (now promoted): later connections present it. */
  keyRotated(keyPair: KeyPair): void;
}

/** The socket under a session, as uplink-connection.ts provides it. */
export interface UplinkSocket {
  /**
   * Encode and send one frame; returns its size in bytes. `onWritten` is called once the
   * frame has left user space (or failed to, when the socket closed first).
   */
  send(frame: FrameInit, onWritten?: () => void): number;
  /** Close with `why` as the reason this connection ended. */
  fail(why: string, code?: number): void;
  isOpen(): boolean;
  /** Bytes the socket has not sent yet. */
  bufferedBytes(): number;
}

export interface UplinkSessionOptions {
  host: UplinkConnectionHost;
  socket: UplinkSocket;
  url: string;
  /** A fallback collector: return to the first one after `failbackAfterMs`. */
  fallback: boolean;
  /** The key presented now, and the next key to move to (from the next-key file) if there is one. */
  keyPair: KeyPair;
  rotateTo: KeyPair | undefined;
  nextKeyFile: string;
}

/**
 * The agent's side of one session with a collector, driven by the frames it receives.
 *
 * @example
 * const session = new UplinkSession({ host, socket, url, fallback: false, keyPair, rotateTo: undefined, nextKeyFile });
 * session.onFrame(decodeFrame(data, { maxMessageBytes })); // for each message
 * const healthy = session.closed();                       // once the socket closed
 */
export class UplinkSession {
  readonly #options: UplinkSessionOptions;
  readonly #handshake: AgentHandshake;
  /** Made at Welcome; gone once the socket closed. */
  #queue: SendQueue | undefined;
  #rateTimer: NodeJS.Timeout | undefined;
  #failbackTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #established = false;
  #acknowledged = false;
  /** The collector key that signed this session's Welcome: the one a config push must carry. */
  #sessionCollectorKey: PublicKey | undefined;
  /** Closed on purpose (a key rotation): reconnect at once, stay on this collector. */
  #planned = false;
  /** The last pump stopped on the socket's unsent bytes: the next written frame pumps again. */
  #heldByBuffer = false;
  /** Every frame this session sends is written with it, so a held pump resumes whichever frame drains. */
  readonly #written = (): void => {
    if (!this.#heldByBuffer) return;
    this.#heldByBuffer = false;
    this.pump();
  };

  constructor(options: UplinkSessionOptions) {
    const { host, keyPair, rotateTo } = options;
    const { config } = host.options;
    this.#options = options;
    this.#handshake = new AgentHandshake({
      keyPair,
      agentName: config.name,
      collectorKeys: [config.collector.key, ...host.endorsedCollectorKeys()],
      ...(rotateTo ? { rotateTo } : {}),
      software: host.options.software,
      configHash: host.options.remoteConfig?.status().hash ?? config.hash,
      configVersion: host.options.remoteConfig?.status().version ?? 0,
      heartbeatIntervalMs: config.uplink.heartbeatIntervalMs,
      ...(config.collector.token ? { enrollToken: config.collector.token } : {}),
    });
  }

  /** This session's send window; undefined before Welcome and after close. */
  get queue(): SendQueue | undefined {
    return this.#queue;
  }

  /**
   * Send what the window, the rate cap and the socket's unsent bytes allow. The window
   * counts batches the collector has not acknowledged; it does not say where they are. On a
   * link slower than the agent, a wide window of 1 MiB batches would sit in ws's user-space
   * buffer, so a batch is taken only while less than one batch's bytes wait there
   * (at most about two batches, whatever the window).
   */
  pump(): void {
    const queue = this.#queue;
    const { socket, host } = this.#options;
    if (!queue || !socket.isOpen() || this.#rateTimer) return;
    const maxBufferedBytes = host.options.config.uplink.maxBatchBytes;
    this.#heldByBuffer = false;
    for (;;) {
      // Checked before taking a batch: the queue marks a batch's rows in flight when it hands
      // it out, so a batch taken must be sent.
      if (socket.bufferedBytes() >= maxBufferedBytes) {
        this.#heldByBuffer = true;
        return;
      }
      const next = queue.next();
      if (next === undefined) return;
      if ('waitMs' in next) {
        this.#rateTimer = setTimeout(() => {
          this.#rateTimer = undefined;
          this.pump();
        }, next.waitMs);
        return;
      }
      // Sent before counting: `metrics?.batchSent(…, send())` would skip the send without metrics.
      const bytes = this.#send({ batch: next.batch });
      host.options.metrics?.batchSent(next.results, bytes);
    }
  }

  /**
   * The socket closed: stop the timers and the relay. True when the session did useful work
   * (closed on purpose, or established and a batch acknowledged or nothing left in flight).
   */
  closed(): boolean {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#rateTimer);
    clearTimeout(this.#failbackTimer);
    this.#heldByBuffer = false;
    if (this.#established) this.#options.host.options.relay?.detach();
    const inFlight = this.#queue?.inFlight ?? 0;
    this.#queue = undefined;
    return this.#planned || (this.#established && (this.#acknowledged || inFlight === 0));
  }

  onFrame(frame: DecodedFrame): void {
    const { host, socket, url, keyPair } = this.#options;
    const { options, log } = host;
    switch (frame.type) {
      case 'challenge': {
        this.#send({ hello: this.#handshake.onChallenge(frame.body) });
        return;
      }
      case 'welcome':
        this.#onWelcome(frame.body);
        return;
      case 'ack': {
        if (!this.#established) throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, 'Ack before the handshake finished');
        const results = this.#queue?.ack(frame.body.batchSeq);
        if (results === undefined) {
          log.warn({ batchSeq: frame.body.batchSeq }, 'ack for a batch not in flight');
          return;
        }
        this.#acknowledged = true;
        options.remoteConfig?.onContact();
        options.metrics?.batchAcked(results, frame.body.duplicates);
        host.progress.acked(results, options.outbox.depth().count);
        options.outbox.setMetas({ last_ack_at: String(Date.now()), last_ack_seq: String(frame.body.batchSeq) });
        log.debug({ batchSeq: frame.body.batchSeq, stored: frame.body.stored, duplicates: frame.body.duplicates }, 'batch acknowledged');
        this.pump();
        return;
      }
      case 'heartbeat':
        options.remoteConfig?.onContact();
        return;
      case 'relayedAck':
      case 'relayedConfigPush': {
        if (!this.#established || !options.relay) throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, `${frame.type} frame on a link that relays nothing`);
        if (frame.type === 'relayedAck') {
          this.#acknowledged = true;
          options.relay.onRelayedAck(frame.body);
        } else {
          options.relay.onRelayedConfigPush(frame.body);
        }
        return;
      }
      case 'configPush': {
        if (!this.#established || !this.#sessionCollectorKey) throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, 'ConfigPush before the handshake finished');
        const push = { version: frame.body.version, config: frame.body.config, signature: frame.body.signature };
        // Signed for this agent and version by the central collector (behind a relay the session's
        // key is the relay's, which signs no configs); anything else is an attack.
        if (!verifyConfig(push, keyPair.publicKey, [options.config.collector.centralKey ?? this.#sessionCollectorKey])) {
          throw new OutpostError(ErrorCode.BAD_SIGNATURE, `config push v${push.version} is not signed by the collector for this agent`);
        }
        if (!options.remoteConfig) {
          log.warn({ version: push.version }, 'config push ignored: this agent does not take remote config');
          return;
        }
        options.remoteConfig.onPush(push);
        // Tell the collector at once what runs now (or why the push was refused).
        this.#sendHeartbeat();
        return;
      }
      case 'error': {
        const { code, message } = frame.body;
        const level = code === ErrorCode.PENDING_APPROVAL ? 'warn' : 'error';
        log[level]({ code, url }, `collector refused: ${message}`);
        socket.fail(`${code}: ${message}`, 1000);
        return;
      }
      default:
        throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, `unexpected ${frame.type} frame from the collector`);
    }
  }

  #onWelcome(welcome: Parameters<AgentHandshake['onWelcome']>[0]): void {
    const { host, socket, url, keyPair, rotateTo } = this.#options;
    const { options, log } = host;
    const { config, outbox } = options;
    const session = this.#handshake.onWelcome(welcome);
    this.#sessionCollectorKey = session.collectorKey;
    if (session.collectorKeyEndorsed) {
      outbox.setMeta('collector_keys', [...host.endorsedCollectorKeys().map(String), String(session.collectorKey)].join(','));
      log.warn({ collectorKey: String(session.collectorKey) }, 'collector key rotated; the new key was endorsed by a trusted one and is trusted from now on');
    }
    if (session.keyRotated && rotateTo) {
      promoteNextKey(config.keyFile);
      host.keyRotated(rotateTo);
      log.warn({ agentKey: encodeKey(rotateTo.publicKey) }, 'agent key rotated; reconnecting with the new key');
      this.#planned = true;
      socket.fail('agent key rotated', 1000);
      return;
    }
    const renumbered = outbox.rebase(session.maxResultId);
    if (renumbered > 0) {
      log.warn({ renumbered, collectorMaxResultId: session.maxResultId }, 'outbox was behind the collector (recreated?); unsent results renumbered');
    }
    this.#established = true;
    const connectedAt = Date.now();
    host.setState('connected', { connected_at: String(connectedAt), clock_offset_ms: String(session.clockOffsetMs), last_error: '' });
    host.progress.connected(connectedAt);
    log.info({ url, clockOffsetMs: session.clockOffsetMs, roundTripMs: session.roundTripMs }, 'connected to collector');
    this.#heartbeat = setInterval(() => this.#sendHeartbeat(), config.uplink.heartbeatIntervalMs);
    // One at once: the collector knows nothing of this connection's backlog until a heartbeat
    // says it (it judges a drained return, and stale checks, by it).
    this.#sendHeartbeat();
    this.#queue = new SendQueue({
      outbox,
      settings: config.uplink,
      agentKey: keyPair.publicKey,
      clockOffsetMs: session.clockOffsetMs,
      sign: (payload) => signBatch(keyPair.secretKey, payload),
      nextSeq: () => host.nextBatchSeq(),
    });
    if (this.#options.fallback) {
      // On a fallback collector: go back to the first one after a while.
      this.#failbackTimer = setTimeout(() => {
        this.#planned = true;
        socket.fail('returning to the first collector', 1000);
      }, config.uplink.failbackAfterMs);
    }
    this.pump();
    options.relay?.attach((frame) => this.#send(frame), () => socket.bufferedBytes());
  }

  /** Every frame, batch or not, resumes a held pump once written; only batches are ever held back. */
  #send(frame: FrameInit): number {
    return this.#options.socket.send(frame, this.#written);
  }

  #sendHeartbeat(): void {
    const { host, socket, rotateTo, nextKeyFile } = this.#options;
    const { config, outbox, remoteConfig, relay: relayLink } = host.options;
    // A key made by `outpost-agent rotate-key` since this session began: reconnect to present it.
    if (!rotateTo && existsSync(nextKeyFile)) {
      this.#planned = true;
      socket.fail('presenting a new agent key', 1000);
      return;
    }
    const depth = outbox.depth();
    const remote = remoteConfig?.status();
    const relay = relayLink?.health();
    this.#send({
      heartbeat: {
        timeMs: Date.now(), backlog: depth.count, oldestUnsentMs: depth.oldestStartedAtMs ?? 0, dropped: depth.dropped,
        configHash: remote?.hash ?? config.hash, configVersion: remote?.version ?? 0, configError: remote?.error ?? '',
        ...(relay ? { relayAgents: relay.agents, relayBacklog: relay.backlog } : {}),
      },
    });
  }
}
