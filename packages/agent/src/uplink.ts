// The agent's link to the collector over time: start/stop, the reconnect loop with failover
// across collector URLs and jittered exponential backoff, and the connection state kept in
// the outbox's meta. One connection (dial, handshake, send window) is uplink-connection.ts.
import { PublicKey, type KeyPair } from '@outpost/protocol';
import type { AgentConfig } from './config.js';
import type { Logger } from './logger.js';
import type { AgentMetrics } from './metrics.js';
import type { Outbox } from './outbox.js';
import type { RemoteConfigChannel } from './remote-config.js';
import type { UplinkRelay } from './relay-link.js';
import { DrainProgress } from './drain-progress.js';
import { UplinkConnection, type SessionEnd } from './uplink-connection.js';

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
  /** The newest connection, kept after it closes (its queue is gone then) until the next one starts. */
  #connection: UplinkConnection | undefined;
  #batchSeq: number;
  readonly #progress: DrainProgress;
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
    return this.#connection?.queue?.protectedThroughId ?? 0;
  }

  get protectedIds(): ReadonlySet<number> {
    return this.#connection?.queue?.protectedIds ?? new Set();
  }

  /** New rows are in the outbox: send them if the window has room. */
  notify(): void {
    this.#connection?.pump();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#connection?.close(1000, 'agent stopping');
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
    const connection = new UplinkConnection(url, fallback, {
      options: this.#options,
      log: this.#log,
      progress: this.#progress,
      keyPair: this.#keyPair,
      setState: (state, extra) => this.#setState(state, extra),
      endorsedCollectorKeys: () => this.#endorsedCollectorKeys(),
      nextBatchSeq: () => {
        this.#batchSeq += 1;
        this.#options.outbox.setMeta('batch_seq', String(this.#batchSeq));
        return this.#batchSeq;
      },
      keyRotated: (keyPair) => {
        this.#keyPair = keyPair;
      },
    });
    this.#connection = connection;
    return connection.ended;
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
