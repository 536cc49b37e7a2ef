import {
  AgentHandshake,
  decodeFrame,
  encodeFrame,
  ErrorCode,
  isOutpostError,
  OutpostError,
  PublicKey,
  encodeKey,
  signBatch,
  verifyConfig,
  type DecodedFrame,
  type FrameInit,
  type KeyPair,
} from '@outpost/protocol';
import { WebSocket } from 'ws';
import { existsSync } from 'node:fs';
import type { AgentConfig } from './config.js';
import { loadKeyFile, nextKeyPath, promoteNextKey } from './key-file.js';
import type { Logger } from './logger.js';
import type { AgentMetrics } from './metrics.js';
import type { Outbox } from './outbox.js';
import type { RemoteConfigChannel } from './remote-config.js';
import type { UplinkRelay } from './relay-link.js';
import { DrainProgress } from './drain-progress.js';
import { pinnedTlsConnector } from './pinned-tls.js';
import { SendQueue } from './send-queue.js';

/** From the first SYN to an open WebSocket. */
const CONNECT_TIMEOUT_MS = 10_000;

export type UplinkState = 'idle' | 'connecting' | 'handshaking' | 'connected' | 'backoff' | 'stopped';

export interface UplinkOptions {
  config: Pick<AgentConfig, 'name' | 'hash' | 'collector' | 'uplink' | 'keyFile'>;
  keyPair: KeyPair;
  outbox: Outbox;
  logger: Logger;
  software: string;
  /** Counts batches, acks and redials for `--metrics`. */
  metrics?: Pick<AgentMetrics, 'batchSent' | 'batchAcked' | 'reconnecting'>;
  /** Remote config: reported in Hello and heartbeats; verified pushes go to it. */
  remoteConfig?: RemoteConfigChannel;
  /** Relay mode: forwards downstream agents' batches on this link and takes their acks and pushes. */
  relay?: UplinkRelay;
  /** Largest WebSocket message accepted from the collector. */
  maxMessageBytes?: number;
  random?: () => number;
}

/**
 * How a connection ended: whether it did useful work (a batch acknowledged, or nothing left
 * to send), and why it closed. A session that only got as far as Welcome counts as a
 * failure, so a collector that keeps refusing a batch is backed off from and failed over.
 */
interface SessionEnd {
  healthy: boolean;
  reason: string;
}

/**
 * The agent's link to the collector: connect (pinned TLS), handshake, then keep a window
 * of signed batches in flight and delete outbox rows only when their Ack arrives. On any
 * failure it reconnects with exponential backoff and full jitter, moving to the next
 * collector URL after a failed attempt. Unacknowledged rows are simply sent again; the
 * collector's (agent, result_id) key absorbs the duplicates.
 *
 * @example
 * const uplink = new Uplink({ config, keyPair, outbox, logger, software: 'outpost-agent/0.1.0' });
 * uplink.start();
 * outbox.append(results); uplink.notify();
 * await uplink.stop();
 */
export class Uplink {
  readonly #options: UplinkOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #state: UplinkState = 'idle';
  #loop: Promise<void> | undefined;
  #ws: WebSocket | undefined;
  #pump: (() => void) | undefined;
  #batchSeq: number;
  #queue: SendQueue | undefined;
  readonly #progress: DrainProgress;
  #clockOffsetMs = 0;
  #keyPair: KeyPair;

  constructor(options: UplinkOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'uplink' });
    this.#keyPair = options.keyPair;
    this.#progress = new DrainProgress(options.outbox, this.#log);
    this.#batchSeq = Number(options.outbox.getMeta('batch_seq') ?? 0);
  }

  get state(): UplinkState {
    return this.#state;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Rows the outbox compaction must leave alone: sent on this connection, not yet acknowledged. */
  get protectedThroughId(): number {
    return this.#queue?.protectedThroughId ?? 0;
  }

  get protectedIds(): ReadonlySet<number> {
    return this.#queue?.protectedIds ?? new Set();
  }

  /** New rows are in the outbox: send them if the window has room. */
  notify(): void {
    this.#pump?.();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#ws?.close(1000, 'agent stopping');
    await this.#loop;
    this.#setState('stopped');
  }

  #setState(state: UplinkState, extra: Record<string, string> = {}): void {
    if (state === this.#state && Object.keys(extra).length === 0) return;
    this.#state = state;
    this.#options.outbox.setMetas({ connection_state: state, state_changed_at: String(Date.now()), ...extra });
  }

  /** Collector keys this agent accepted through endorsements, kept in the outbox's meta. */
  #endorsedCollectorKeys(): PublicKey[] {
    const text = this.#options.outbox.getMeta('collector_keys') ?? '';
    return text.split(',').filter(Boolean).map((key) => PublicKey.parse(key, 'endorsed collector key'));
  }

  async #run(): Promise<void> {
    const { urls } = this.#options.config.collector;
    const { backoffMinMs, backoffMaxMs } = this.#options.config.uplink;
    const random = this.#options.random ?? Math.random;
    let failures = 0;
    let index = 0;
    let attempts = 0;
    while (!this.#stop.signal.aborted) {
      if (attempts++ > 0) this.#options.metrics?.reconnecting();
      const url = urls[index % urls.length]!;
      const end = await this.#session(url, index % urls.length !== 0);
      if (this.#stop.signal.aborted) break;
      if (end.healthy) {
        failures = 0;
        if (end.reason === 'returning to the first collector') index = 0;
      } else {
        failures += 1;
        index += 1;
      }
      const ceiling = Math.min(backoffMaxMs, backoffMinMs * 2 ** Math.min(failures, 20));
      const delayMs = Math.round(backoffMinMs + random() * (ceiling - backoffMinMs));
      this.#setState('backoff', { last_error: end.reason });
      this.#log.warn({ url, reason: end.reason, retryInMs: delayMs }, 'collector connection ended');
      await sleep(delayMs, this.#stop.signal);
    }
  }

  #session(url: string, fallback: boolean): Promise<SessionEnd> {
    const { config, outbox } = this.#options;
    const keyPair = this.#keyPair;
    const nextKeyFile = nextKeyPath(config.keyFile);
    const rotateTo = existsSync(nextKeyFile) ? loadKeyFile(nextKeyFile) : undefined;
    const maxMessageBytes = this.#options.maxMessageBytes ?? 4 * 1024 * 1024;
    const secure = url.startsWith('wss:');
    const connector = secure ? pinnedTlsConnector(config.collector.tlsFingerprint ?? '') : undefined;
    this.#setState('connecting', { collector_url: url });

    return new Promise<SessionEnd>((resolve) => {
      const ws = new WebSocket(url, {
        perMessageDeflate: false,
        maxPayload: maxMessageBytes,
        handshakeTimeout: CONNECT_TIMEOUT_MS,
        ...(connector ? { createConnection: connector.createConnection } : {}),
      });
      this.#ws = ws;
      const handshake = new AgentHandshake({
        keyPair,
        agentName: config.name,
        collectorKeys: [config.collector.key, ...this.#endorsedCollectorKeys()],
        ...(rotateTo ? { rotateTo } : {}),
        software: this.#options.software,
        configHash: this.#options.remoteConfig?.status().hash ?? config.hash,
        configVersion: this.#options.remoteConfig?.status().version ?? 0,
        heartbeatIntervalMs: config.uplink.heartbeatIntervalMs,
        ...(config.collector.token ? { enrollToken: config.collector.token } : {}),
      });
      let queue: SendQueue | undefined;
      let rateTimer: NodeJS.Timeout | undefined;
      let failbackTimer: NodeJS.Timeout | undefined;
      let established = false;
      let acknowledged = false;
      // The collector key that signed this session's Welcome: the one a config push must carry.
      let sessionCollectorKey: PublicKey | undefined;
      // Closed on purpose (a key rotation): reconnect at once, stay on this collector.
      let planned = false;
      let reason = 'closed';
      let heartbeat: NodeJS.Timeout | undefined;
      let idle: NodeJS.Timeout | undefined;
      // A hard deadline for TCP, TLS and the upgrade together: a peer that accepts and then
      // says nothing (or drips bytes) must not hold the uplink, nor keep it from failing over.
      const connectDeadline = setTimeout(() => {
        reason = `connect timed out: no WebSocket to ${url} within ${CONNECT_TIMEOUT_MS} ms`;
        ws.terminate();
      }, CONNECT_TIMEOUT_MS);

      const fail = (why: string, code = 1002) => {
        reason = why;
        if (ws.readyState === WebSocket.OPEN) ws.close(code, why.slice(0, 120));
        else ws.terminate();
      };
      const send = (frame: FrameInit): number => {
        const bytes = encodeFrame(frame);
        ws.send(bytes);
        return bytes.length;
      };
      const resetIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          reason = `no frame from the collector for ${config.uplink.idleTimeoutMs} ms`;
          ws.terminate();
        }, config.uplink.idleTimeoutMs);
      };

      const pump = () => {
        if (!queue || ws.readyState !== WebSocket.OPEN || rateTimer) return;
        for (let next = queue.next(); next !== undefined; next = queue.next()) {
          if ('waitMs' in next) {
            rateTimer = setTimeout(() => {
              rateTimer = undefined;
              pump();
            }, next.waitMs);
            return;
          }
          this.#options.metrics?.batchSent(next.results, send({ batch: next.batch }));
        }
      };

      const sendHeartbeat = () => {
        // A key made by `outpost-agent rotate-key` since this session began: reconnect to present it.
        if (!rotateTo && existsSync(nextKeyFile)) {
          planned = true;
          fail('presenting a new agent key', 1000);
          return;
        }
        const depth = outbox.depth();
        const remote = this.#options.remoteConfig?.status();
        const relay = this.#options.relay?.health();
        send({
          heartbeat: {
            timeMs: Date.now(), backlog: depth.count, oldestUnsentMs: depth.oldestStartedAtMs ?? 0, dropped: depth.dropped,
            configHash: remote?.hash ?? config.hash, configVersion: remote?.version ?? 0, configError: remote?.error ?? '',
            ...(relay ? { relayAgents: relay.agents, relayBacklog: relay.backlog } : {}),
          },
        });
      };

      const onFrame = (frame: DecodedFrame) => {
        switch (frame.type) {
          case 'challenge': {
            send({ hello: handshake.onChallenge(frame.body) });
            return;
          }
          case 'welcome': {
            const session = handshake.onWelcome(frame.body);
            sessionCollectorKey = session.collectorKey;
            if (session.collectorKeyEndorsed) {
              outbox.setMeta('collector_keys', [...this.#endorsedCollectorKeys().map(String), String(session.collectorKey)].join(','));
              this.#log.warn({ collectorKey: String(session.collectorKey) }, 'collector key rotated; the new key was endorsed by a trusted one and is trusted from now on');
            }
            if (session.keyRotated && rotateTo) {
              promoteNextKey(config.keyFile);
              this.#keyPair = rotateTo;
              this.#log.warn({ agentKey: encodeKey(rotateTo.publicKey) }, 'agent key rotated; reconnecting with the new key');
              planned = true;
              fail('agent key rotated', 1000);
              return;
            }
            const renumbered = outbox.rebase(session.maxResultId);
            if (renumbered > 0) {
              this.#log.warn({ renumbered, collectorMaxResultId: session.maxResultId }, 'outbox was behind the collector (recreated?); unsent results renumbered');
            }
            established = true;
            this.#clockOffsetMs = session.clockOffsetMs;
            this.#setState('connected', { connected_at: String(Date.now()), clock_offset_ms: String(session.clockOffsetMs), last_error: '' });
            this.#log.info({ url, clockOffsetMs: session.clockOffsetMs, roundTripMs: session.roundTripMs }, 'connected to collector');
            heartbeat = setInterval(sendHeartbeat, config.uplink.heartbeatIntervalMs);
            queue = new SendQueue({
              outbox,
              settings: config.uplink,
              agentKey: keyPair.publicKey,
              clockOffsetMs: session.clockOffsetMs,
              sign: (payload) => signBatch(keyPair.secretKey, payload),
              nextSeq: () => {
                this.#batchSeq += 1;
                outbox.setMeta('batch_seq', String(this.#batchSeq));
                return this.#batchSeq;
              },
            });
            this.#queue = queue;
            if (fallback) {
              // On a fallback collector: go back to the first one after a while.
              failbackTimer = setTimeout(() => {
                planned = true;
                fail('returning to the first collector', 1000);
              }, config.uplink.failbackAfterMs);
            }
            this.#pump = pump;
            pump();
            this.#options.relay?.attach(send, () => ws.bufferedAmount);
            return;
          }
          case 'ack': {
            if (!established) throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, 'Ack before the handshake finished');
            const results = queue?.ack(frame.body.batchSeq);
            if (results === undefined) {
              this.#log.warn({ batchSeq: frame.body.batchSeq }, 'ack for a batch not in flight');
              return;
            }
            acknowledged = true;
            this.#options.remoteConfig?.onContact();
            this.#options.metrics?.batchAcked(results, frame.body.duplicates);
            this.#progress.acked(results, outbox.depth().count);
            outbox.setMetas({ last_ack_at: String(Date.now()), last_ack_seq: String(frame.body.batchSeq) });
            this.#log.debug({ batchSeq: frame.body.batchSeq, stored: frame.body.stored, duplicates: frame.body.duplicates }, 'batch acknowledged');
            pump();
            return;
          }
          case 'heartbeat':
            this.#options.remoteConfig?.onContact();
            return;
          case 'relayedAck':
          case 'relayedConfigPush': {
            if (!established || !this.#options.relay) throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, `${frame.type} frame on a link that relays nothing`);
            if (frame.type === 'relayedAck') {
              acknowledged = true;
              this.#options.relay.onRelayedAck(frame.body);
            } else {
              this.#options.relay.onRelayedConfigPush(frame.body);
            }
            return;
          }
          case 'configPush': {
            if (!established || !sessionCollectorKey) throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, 'ConfigPush before the handshake finished');
            const push = { version: frame.body.version, config: frame.body.config, signature: frame.body.signature };
            // Signed for this agent and version by the central collector (behind a relay the session's
            // key is the relay's, which signs no configs); anything else is an attack.
            if (!verifyConfig(push, keyPair.publicKey, [config.collector.centralKey ?? sessionCollectorKey])) {
              throw new OutpostError(ErrorCode.BAD_SIGNATURE, `config push v${push.version} is not signed by the collector for this agent`);
            }
            if (!this.#options.remoteConfig) {
              this.#log.warn({ version: push.version }, 'config push ignored: this agent does not take remote config');
              return;
            }
            this.#options.remoteConfig.onPush(push);
            // Tell the collector at once what runs now (or why the push was refused).
            sendHeartbeat();
            return;
          }
          case 'error': {
            const { code, message } = frame.body;
            const level = code === ErrorCode.PENDING_APPROVAL ? 'warn' : 'error';
            this.#log[level]({ code, url }, `collector refused: ${message}`);
            fail(`${code}: ${message}`, 1000);
            return;
          }
          default:
            throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, `unexpected ${frame.type} frame from the collector`);
        }
      };

      ws.on('open', () => {
        clearTimeout(connectDeadline);
        if (connector && !connector.verified) {
          fail('TLS pin was not verified before the WebSocket opened');
          return;
        }
        this.#setState('handshaking');
        resetIdle();
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        resetIdle();
        try {
          if (!isBinary) throw new OutpostError(ErrorCode.BAD_FRAME, 'text message on a binary protocol');
          onFrame(decodeFrame(data, { maxMessageBytes }));
        } catch (err: unknown) {
          const code = isOutpostError(err) ? err.code : ErrorCode.INTERNAL;
          this.#log.error({ code, err: err instanceof Error ? err.message : String(err) }, 'protocol error, closing');
          fail(`${code}: ${err instanceof Error ? err.message : String(err)}`);
        }
      });
      ws.on('error', (err: Error) => {
        // The first reason is the real one; terminate() reports its own error after it.
        if (reason === 'closed') reason = isOutpostError(err) ? `${err.code}: ${err.message}` : err.message;
      });
      ws.on('close', (code: number, why: Buffer) => {
        clearTimeout(connectDeadline);
        clearInterval(heartbeat);
        clearTimeout(idle);
        clearTimeout(rateTimer);
        clearTimeout(failbackTimer);
        if (established) this.#options.relay?.detach();
        if (this.#queue === queue) this.#queue = undefined;
        if (this.#pump === pump) this.#pump = undefined;
        if (reason === 'closed' && why.length > 0) reason = `closed by collector (${code}): ${why.toString()}`;
        resolve({ healthy: planned || (established && (acknowledged || (queue?.inFlight ?? 0) === 0)), reason });
      });
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
