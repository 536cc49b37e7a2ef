import { join } from 'node:path';
import {
  DEFAULT_LIMITS,
  ErrorCode,
  NonceCache,
  OutpostError,
  type ConfigPush,
  type ErrorCodeValue,
  type FrameInit,
  type Heartbeat,
  type KeyPair,
  type RelayedAck,
  type RelayedConfigPush,
} from '@outpost/protocol';
import type { WebSocket } from 'ws';
import type { AgentConfig } from './config.js';
import type { Logger } from './logger.js';
import type { RelaySettings } from './relay-config.js';
import { ensureRelayIdentity } from './relay-identity.js';
import type { UplinkRelay } from './relay-link.js';
import { RelayListener } from './relay-listener.js';
import { RelayOutbox, type HeldConfigPush, type RelayedEntry } from './relay-outbox.js';
import { RelaySession, type RelaySessionHost } from './relay-session.js';

export interface RelayOptions {
  config: Pick<AgentConfig, 'name' | 'dataDir' | 'keyFile' | 'uplink'> & { relay: RelaySettings };
  keyPair: KeyPair;
  logger: Logger;
  /** Relayed heartbeats are dropped while the upstream socket has more than this unsent. Default 256 KiB. */
  maxHeartbeatBufferedBytes?: number;
}

const DEFAULT_MAX_HEARTBEAT_BUFFERED_BYTES = 256 * 1024;

const hex = (key: Uint8Array) => Buffer.from(key).toString('hex');

/**
 * Relay mode (docs/relay.md): accepts downstream agents as a collector does and forwards
 * their signed batches upstream unchanged through its own outbox. A batch is stored, then
 * forwarded in arrival order within the uplink window, deleted when the upstream acks it,
 * and only then acknowledged downstream, so a cut link anywhere above loses nothing. Config
 * pushes for agents behind it are held until the agent (or the relay in front of it)
 * connects, then passed down unchanged; the agent verifies them against the central key.
 *
 * @example
 * const relay = new Relay({ config, keyPair, logger });
 * const agent = new Agent(config, logger, { relay });
 * await relay.start(); agent.start();
 */
export class Relay implements UplinkRelay {
  readonly #o: RelayOptions;
  readonly #log: Logger;
  readonly #outbox: RelayOutbox;
  readonly #nonceCache = new NonceCache();
  /** Admitted downstream sessions by agent name. */
  readonly #sessions = new Map<string, RelaySession>();
  /** Agents behind downstream relays (key hex) → the downstream relay their traffic came through. */
  readonly #routes = new Map<string, string>();
  #listener: RelayListener | undefined;
  #send: ((frame: FrameInit) => number) | undefined;
  #bufferedBytes: () => number = () => 0;
  /** Refused downstream frames by reason and dropped heartbeats: `relay.rejected.<reason>`, `relay.dropped.heartbeats`. */
  readonly #counters = new Map<string, number>();
  /** Forwarding on the current upstream session: last arrival number sent, and what waits for an ack. */
  #cursor = 0;
  readonly #inFlight = new Set<string>();

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'relay' });
    this.#outbox = RelayOutbox.open(join(options.config.dataDir, 'relay.db'));
  }

  /** Open the listener (making the TLS certificate on first start). */
  async start(): Promise<{ port: number; tlsFingerprint: string }> {
    const { config, keyPair } = this.#o;
    const identity = await ensureRelayIdentity(config);
    const host: RelaySessionHost = {
      relayName: config.name,
      keyPair,
      nonceCache: this.#nonceCache,
      allowList: config.relay.agents,
      limits: { ...DEFAULT_LIMITS },
      handshakeTimeoutMs: config.relay.handshakeTimeoutMs,
      logger: this.#log,
      onAdmitted: (session) => this.#onAdmitted(session),
      onClosed: (session) => {
        if (session.name !== undefined && this.#sessions.get(session.name) === session) this.#sessions.delete(session.name);
      },
      onBatch: (session, entry) => this.#onBatch(session, entry),
      onRefused: (_session, code) => this.#count(`relay.rejected.${code.replace(/^OUTPOST_ERR_/, '').toLowerCase()}`),
      onHeartbeat: (session, agentKey, agentName, heartbeat, path) => this.#onHeartbeat(session, agentKey, agentName, heartbeat, path),
    };
    this.#listener = new RelayListener({
      host: config.relay.host,
      port: config.relay.port,
      tlsKeyPem: identity.tlsKeyPem,
      tlsCertPem: identity.tlsCertPem,
      maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
      maxUnauthenticated: config.relay.maxUnauthenticated,
      maxUnauthenticatedPerAddress: config.relay.maxUnauthenticatedPerAddress,
      deadlineMs: 2 * config.relay.handshakeTimeoutMs,
      logger: this.#log,
      onConnection: (ws: WebSocket, remote: string, admitted: () => void) => {
        // The session lives on its socket's events and reports back through the host.
        new RelaySession(ws, remote, {
          ...host,
          onAdmitted: (s) => {
            admitted();
            host.onAdmitted(s);
          },
        });
      },
    });
    const { port } = await this.#listener.start();
    this.#log.info({ listen: `${config.relay.host}:${port}`, tlsFingerprint: identity.tlsFingerprint, relayKey: identity.relayKey, agents: config.relay.agents.length, backlog: this.#outbox.depth().count }, 'relay listening');
    return { port, tlsFingerprint: identity.tlsFingerprint };
  }

  async stop(): Promise<void> {
    await this.#listener?.stop();
    this.#outbox.close();
  }

  attach(send: (frame: FrameInit) => number, bufferedBytes: () => number): void {
    this.#send = send;
    this.#bufferedBytes = bufferedBytes;
    this.#cursor = 0;
    this.#inFlight.clear();
    this.#pump();
  }

  detach(): void {
    this.#send = undefined;
    this.#cursor = 0;
    this.#inFlight.clear();
  }

  health(): { agents: number; backlog: number } {
    return { agents: this.#sessions.size, backlog: this.#outbox.depth().count };
  }

  /** What this relay refused or dropped since it started, by counter name. */
  counters(): Record<string, number> {
    return Object.fromEntries(this.#counters);
  }

  onRelayedAck(ack: RelayedAck): void {
    this.#inFlight.delete(`${hex(ack.agentKey)}:${ack.batchSeq}`);
    const entry = this.#outbox.remove(ack.agentKey, ack.batchSeq);
    if (entry) this.#ackDownstream(entry, ack);
    this.#pump();
  }

  onRelayedConfigPush(frame: RelayedConfigPush): void {
    const push = frame.push as ConfigPush | null;
    if (!push || push.version < 1) throw new OutpostError(ErrorCode.BAD_FRAME, 'relayed config push carries no push');
    const held: HeldConfigPush = { agentKey: frame.agentKey, agentName: frame.agentName, version: push.version, config: push.config, signature: push.signature };
    if (this.#outbox.holdPush(held)) this.#log.info({ agent: frame.agentName, version: push.version }, 'config push held for an agent behind this relay');
    this.#deliver(held);
  }

  /** The upstream stored (or refused for good) a batch: tell the session that delivered it, if still here. */
  #ackDownstream(entry: RelayedEntry, ack: RelayedAck): void {
    const down = this.#sessions.get(entry.via);
    if (!down) return;
    const direct = down.agentKey !== undefined && Buffer.compare(down.agentKey.raw, entry.agentKey) === 0;
    if (!direct) {
      down.send({ relayedAck: { agentKey: ack.agentKey, batchSeq: ack.batchSeq, stored: ack.stored, duplicates: ack.duplicates, error: ack.error } });
      return;
    }
    if (ack.error) {
      // The agent keeps the rows (nothing is acked) and backs off, as if refused at a direct handshake.
      down.close(ack.error as ErrorCodeValue, `the collector refused batch ${ack.batchSeq} of "${entry.agentName}": ${ack.error}`);
      return;
    }
    down.send({ ack: { batchSeq: ack.batchSeq, stored: ack.stored, duplicates: ack.duplicates } });
  }

  /** Forward held batches in arrival order while the window has room. */
  #pump(): void {
    const send = this.#send;
    if (!send) return;
    const room = this.#o.config.uplink.window - this.#inFlight.size;
    if (room <= 0) return;
    for (const entry of this.#outbox.after(this.#cursor, room)) {
      send({ relayedBatch: { agentKey: entry.agentKey, agentName: entry.agentName, batch: { payload: entry.payload, signature: entry.signature }, path: entry.path } });
      this.#cursor = entry.seq;
      this.#inFlight.add(`${hex(entry.agentKey)}:${entry.batchSeq}`);
    }
  }

  #onBatch(session: RelaySession, entry: Omit<RelayedEntry, 'seq'>): void {
    const { bytes } = this.#outbox.depth();
    if (bytes + entry.payload.length > this.#o.config.relay.maxBacklogBytes) {
      throw new OutpostError(ErrorCode.LIMIT, `relay outbox holds ${bytes} bytes, max ${this.#o.config.relay.maxBacklogBytes}; try again later`);
    }
    const held = this.#outbox.heldVia(entry.via);
    if (held >= this.#o.config.relay.maxBatchesPerDownstream) {
      throw new OutpostError(ErrorCode.LIMIT, `relay holds ${held} batches from "${entry.via}", max ${this.#o.config.relay.maxBatchesPerDownstream}; try again later`);
    }
    this.#outbox.put(entry);
    this.#learnRoute(session, entry.agentKey);
    this.#pump();
  }

  #onHeartbeat(session: RelaySession, agentKey: Uint8Array, agentName: string, heartbeat: Heartbeat, path: string[]): void {
    this.#learnRoute(session, agentKey);
    // Best effort: a heartbeat is news now or never, so it is not stored, and not queued
    // behind a slow upstream either (downstream agents could send them without end).
    if (!this.#send) return;
    const limit = this.#o.maxHeartbeatBufferedBytes ?? DEFAULT_MAX_HEARTBEAT_BUFFERED_BYTES;
    if (this.#bufferedBytes() > limit) {
      this.#count('relay.dropped.heartbeats');
      return;
    }
    this.#send({ relayedHeartbeat: { agentKey, agentName, heartbeat, path } });
  }

  #count(name: string): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + 1);
  }

  /** An agent seen behind a downstream relay: its config pushes go that way. */
  #learnRoute(session: RelaySession, agentKey: Uint8Array): void {
    if (session.agentKey && Buffer.compare(session.agentKey.raw, agentKey) === 0) return;
    const key = hex(agentKey);
    if (this.#routes.get(key) === session.name) return;
    this.#routes.set(key, session.name!);
    for (const push of this.#outbox.heldPushes()) if (hex(push.agentKey) === key) this.#deliver(push);
  }

  #onAdmitted(session: RelaySession): void {
    const previous = this.#sessions.get(session.name!);
    if (previous && previous !== session) previous.close(ErrorCode.LIMIT, 'replaced by a newer connection of the same agent');
    this.#sessions.set(session.name!, session);
    for (const push of this.#outbox.heldPushes()) this.#deliver(push);
  }

  /** Send a held push to the agent itself, or to the downstream relay it sits behind, once per session. */
  #deliver(push: HeldConfigPush): void {
    const key = hex(push.agentKey);
    const direct = [...this.#sessions.values()].find((s) => s.agentKey !== undefined && hex(s.agentKey.raw) === key);
    const target = direct ?? this.#sessions.get(this.#routes.get(key) ?? '');
    if (!target || (target.pushed.get(key) ?? 0) >= push.version) return;
    if (direct && direct.configVersion >= push.version) return;
    target.pushed.set(key, push.version);
    const signed = { version: push.version, config: push.config, signature: push.signature };
    target.send(direct ? { configPush: signed } : { relayedConfigPush: { agentKey: push.agentKey, agentName: push.agentName, push: signed } });
    this.#log.info({ agent: push.agentName, version: push.version, via: direct ? undefined : target.name }, 'config push passed down');
  }
}
