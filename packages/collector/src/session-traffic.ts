// What an admitted agent sends on its session: batches (verified, then group-committed and
// acked by BatchCommits), heartbeats, and relayed frames of agents behind it; with the
// revocation check before each, its remote config kept in sync, and the state engine told.
// The socket, the handshake and admission are session.ts.
import { ErrorCode, isValidTimeMs, openBatch, OutpostError, PublicKey, signConfig, verifyConfig, type DecodedFrame, type FrameInit } from '@outpost/protocol';
import { observeState } from './observe-state.js';
import { RelayedTraffic } from './relay-ingest.js';
import type { SessionContext } from './session.js';
import { BatchCommits } from './session-commits.js';
import type { AgentRecord } from './store.js';

/** What the traffic of one agent needs from its session. */
export interface SessionLink {
  send(frame: FrameInit): void;
  /** End the session for `err` (an OutpostError is told to the agent). */
  fail(err: unknown): void;
  isClosed(): boolean;
  /** This (relay) session carries `agentId`'s traffic now. */
  onRelayRoute(agentId: number): void;
  /** Stop and start reading the socket (the collector-wide ingest budget, ingest-budget.ts). */
  pause(): void;
  resume(): void;
}

/**
 * The frames of one admitted agent, handled one at a time in arrival order. Made at
 * admission, before the Welcome.
 *
 * @example
 * const traffic = new SessionTraffic(agent, verified.agentKey, ctx, link);
 * await traffic.handle(frame); // batch, heartbeat, relayedBatch, relayedHeartbeat
 */
export class SessionTraffic {
  readonly agent: AgentRecord;
  readonly #agentKey: PublicKey;
  readonly #ctx: SessionContext;
  readonly #link: SessionLink;
  /** Verified batches waiting for their commit. */
  readonly #commits: BatchCommits;
  /** Traffic of agents behind this session when the agent is a relay (docs/relay.md). */
  readonly #relayed: RelayedTraffic;
  /** Remote config: the version the agent says it runs, and the newest sent on this connection. */
  #reportedConfigVersion = 0;
  #pushedConfigVersion = 0;
  /** The keys this collector vouches for: its own first, then the one that endorsed it. */
  #trustedKeys: PublicKey[] | undefined;
  #observed: Promise<void> = Promise.resolve();

  constructor(agent: AgentRecord, agentKey: PublicKey, ctx: SessionContext, link: SessionLink) {
    this.agent = agent;
    this.#agentKey = agentKey;
    this.#ctx = ctx;
    this.#link = link;
    const budget = ctx.ingestBudget.accountFor(link);
    this.#commits = new BatchCommits({
      store: ctx.store,
      counters: ctx.counters,
      agentId: agent.id,
      maxPending: ctx.maxQueuedMessages,
      budget,
      ack: (body, outcome) => link.send({ ack: { batchSeq: body.batchSeq, stored: outcome.stored, duplicates: outcome.duplicates } }),
      // Notifications and the console follow the acks, in commit order; they never hold
      // the agent's window nor the next commit.
      committed: (outcomes) => {
        this.#observed = this.#observed.then(() => this.#observe(() => ctx.state.afterIngest(agent, outcomes)));
      },
      failed: (err) => link.fail(err),
      isClosed: () => link.isClosed(),
    });
    const relayed = { maxPendingBatches: ctx.maxQueuedMessages, budget, failed: (err: unknown) => link.fail(err), isClosed: () => link.isClosed() };
    this.#relayed = new RelayedTraffic(agent, { ...ctx, ...relayed, onRoute: (agentId) => link.onRelayRoute(agentId) }, (frame) => link.send(frame));
  }

  /** Relayed batches waiting for their group commit: they hold memory as queued messages do. */
  get relayedPending(): number {
    return this.#relayed.pending;
  }

  /** The Welcome went out: the agent runs the config version its Hello named. */
  welcomed(configVersion: number): void {
    this.#reportedConfigVersion = configVersion;
  }

  /** Push the agent its newest remote config when it runs an older one (see AgentSession.syncConfig). */
  async syncConfig(): Promise<void> {
    const agent = this.agent;
    const latest = await this.#ctx.store.latestAgentConfig(agent.id);
    if (!latest || latest.version <= Math.max(this.#reportedConfigVersion, this.#pushedConfigVersion)) return;
    this.#pushedConfigVersion = latest.version;
    // The agent takes a push signed by the key of this session only, for its current key. A
    // version stored with a key this collector vouches for (its own or, after a rotation,
    // the old key that endorsed it; for the agent's previous key after the agent rotated)
    // is signed anew; one signed with a key it does not know (`config set` after
    // `rotate-key`, before this process restarted) waits for a collector that holds it.
    // Pushed as stored, the agent would refuse it as an attack and reconnect, to get it again.
    const endorsedBy = this.#ctx.identity.endorsement?.oldKey;
    this.#trustedKeys ??= [PublicKey.from(this.#ctx.identity.keyPair.publicKey), ...(endorsedBy ? [PublicKey.from(endorsedBy)] : [])];
    let push = { version: latest.version, config: latest.config, signature: latest.signature };
    if (!verifyConfig(push, this.#agentKey.raw, this.#trustedKeys.slice(0, 1))) {
      const agentKeys = [this.#agentKey.raw, ...(agent.previousPublicKey ? [agent.previousPublicKey] : [])];
      if (!agentKeys.some((key) => verifyConfig(push, key, this.#trustedKeys!))) {
        this.#ctx.counters.add('sessions.config_held');
        this.#ctx.logger.warn({ agent: agent.name, version: latest.version }, 'config not pushed: signed with a collector key this collector does not hold (set after rotate-key, before this restart?); a collector holding it will push it');
        return;
      }
      push = signConfig(this.#ctx.identity.keyPair.secretKey, this.#agentKey.raw, latest.version, latest.config);
      this.#ctx.counters.add('sessions.config_resigned');
    }
    this.#link.send({ configPush: push });
    this.#ctx.counters.add('sessions.config_pushed');
    this.#ctx.logger.info({ agent: agent.name, version: latest.version }, 'config pushed');
  }

  /** Push `agentId` (behind this relay session) its newest remote config when it runs an older one. */
  syncRelayedConfig(agentId: number): Promise<void> {
    return this.#relayed.syncConfig(agentId);
  }

  async handle(frame: DecodedFrame): Promise<void> {
    switch (frame.type) {
      case 'batch':
        return this.#onBatch(frame.body);
      case 'relayedBatch':
        await this.#ensureStillActive();
        return this.#relayed.onBatch(frame.body);
      case 'relayedHeartbeat':
        await this.#ensureStillActive();
        return this.#relayed.onHeartbeat(frame.body);
      case 'heartbeat': {
        await this.#ensureStillActive();
        const { backlog, oldestUnsentMs, dropped, configHash, configVersion, configError } = frame.body;
        if (!Number.isSafeInteger(backlog) || !Number.isSafeInteger(dropped) || (oldestUnsentMs !== 0 && !isValidTimeMs(oldestUnsentMs))) {
          throw new OutpostError(ErrorCode.BAD_FRAME, 'heartbeat with counts or times out of range');
        }
        if (!Number.isSafeInteger(configVersion) || configHash.length > 128 || configError.length > 2_000) {
          throw new OutpostError(ErrorCode.BAD_FRAME, 'heartbeat with a config version, hash or error out of range');
        }
        this.#reportedConfigVersion = configHash ? configVersion : this.#reportedConfigVersion;
        await this.#ctx.store.recordHeartbeat(this.agent.id, { backlog, oldestUnsentMs, dropped, configHash, configVersion, configError, at: Date.now() });
        const { relayAgents, relayBacklog } = frame.body;
        if (relayAgents > 0 || relayBacklog > 0 || this.#relayed.carried) {
          if (!Number.isSafeInteger(relayBacklog)) throw new OutpostError(ErrorCode.BAD_FRAME, 'heartbeat with a relay backlog out of range');
          await this.#ctx.store.recordRelayHealth(this.agent.id, { agents: relayAgents, backlog: relayBacklog });
        }
        this.#link.send({ heartbeat: { timeMs: Date.now() } });
        const { id, name } = this.agent;
        await this.#observe(() => this.#ctx.state.heartbeat(id, name, backlog));
        return;
      }
      default:
        throw new OutpostError(ErrorCode.UNEXPECTED_FRAME, `${frame.type} frame from an agent`);
    }
  }

  async #onBatch(batch: Parameters<typeof openBatch>[0]): Promise<void> {
    const body = openBatch(batch, this.#agentKey, this.#ctx.limits);
    await this.#ensureStillActive();
    this.#commits.add(body);
  }

  /** The state engine's trouble is logged, never the agent's: its data is already stored and acked. */
  #observe(work: () => Promise<void>): Promise<void> {
    return observeState(this.#ctx, this.agent.name, work);
  }

  /** Revocation takes effect on the live connection, at the next frame. */
  async #ensureStillActive(): Promise<void> {
    const current = await this.#ctx.store.findAgentByName(this.agent.name);
    if (current?.id !== this.agent.id || current.status !== 'active') {
      throw new OutpostError(ErrorCode.REVOKED, `agent "${this.agent.name}" is ${current?.status ?? 'unknown'} now`);
    }
  }
}
