import {
  checkRelayPath,
  ErrorCode,
  isOutpostError,
  isValidTimeMs,
  openBatch,
  OutpostError,
  PUBLIC_KEY_BYTES,
  PublicKey,
  readRelayedBatchHeader,
  type Batch,
  type ErrorCodeValue,
  type FrameInit,
  type Heartbeat,
  type ProtocolLimits,
  type RelayedBatch,
  type RelayedHeartbeat,
} from '@outpost/protocol';
import type { Counters } from './counters.js';
import { MAX_PENDING_AGENTS } from './enrollment.js';
import type { BudgetAccount } from './ingest-budget.js';
import type { Logger } from './logger.js';
import { observeState } from './observe-state.js';
import { RelayedCommits } from './relay-commits.js';
import type { SessionObserver } from './session.js';
import type { AgentRecord, CollectorStore, IngestOutcome } from './store.js';
import type { ThrottledLog } from './throttled-log.js';

export interface RelayTrafficContext {
  store: CollectorStore;
  counters: Counters;
  logger: Logger;
  rejections: ThrottledLog;
  limits: ProtocolLimits;
  state: SessionObserver;
  /** This relay session carries `agentId`'s traffic now: its config pushes go this way. */
  onRoute(agentId: number): void;
  /** Verified batches of one agent that may wait for a commit. */
  maxPendingBatches: number;
  /** The collector-wide bound on waiting results, charged to the relay's session. */
  budget: BudgetAccount;
  /** A commit or the work after it failed: the relay session ends (nothing of that commit acked). */
  failed(err: unknown): void;
  isClosed(): boolean;
}

/** What a relayed batch carries to its ack and its commit's aftermath. */
interface Route {
  /** The agent's record when its batch was verified, and when (see `#before`). */
  agent: AgentRecord;
  tick: number;
  agentKey: Uint8Array;
  path: string[];
}

type Resolved = { agent: AgentRecord } | { refused: ErrorCodeValue; message: string };

/** The counter of a per-batch refusal: OUTPOST_ERR_BAD_SIGNATURE → relayed.rejected.bad_signature. */
export function relayedRejectionCounter(code: string): string {
  return `relayed.rejected.${code.replace(/^OUTPOST_ERR_/, '').toLowerCase()}`;
}

/**
 * The traffic of agents behind one relay session. Each relayed batch is verified against
 * the key the collector has ENROLLED for the agent it names, never the relay's: a relay
 * can delay or drop batches, not alter or invent them. A batch that fails (unknown,
 * pending or revoked agent, bad signature, limits) is refused on its own, counted under
 * `relayed.rejected.<reason>` and answered with a RelayedAck carrying the error; the relay
 * session goes on. A malformed frame (bad path, no batch) is the relay's own fault and
 * closes its session. Heartbeats are not signed by the agent, so a relayed one counts only
 * for an agent whose verified batch with new results came through this session, and only
 * while its newest traffic came through this relay (not directly, not through another):
 * otherwise any relay could keep a dead agent from going silent. Verified batches of one
 * agent are committed together (RelayedCommits), each acked after the commit that stored it.
 *
 * @example
 * const relayed = new RelayedTraffic(relayAgent, ctx, (frame) => ws.send(encodeFrame(frame)));
 * await relayed.onBatch(frame.body); // verified and queued: RelayedAck sent after its commit
 */
export class RelayedTraffic {
  readonly #relay: AgentRecord;
  readonly #ctx: RelayTrafficContext;
  readonly #send: (frame: FrameInit) => void;
  /** Per agent: the path last recorded by this session and when (`#tick`), and the newest config version pushed this way. */
  readonly #paths = new Map<number, { path: string[]; tick: number }>();
  /** Agents a verified batch with new results came through this session for: their heartbeats count. */
  readonly #verified = new Set<number>();
  readonly #pushed = new Map<number, number>();
  readonly #keys = new Map<number, Uint8Array>();
  readonly #commits: RelayedCommits<Route>;
  /** Orders record reads against this session's own path recordings (see `#before`). */
  #tick = 0;

  constructor(relay: AgentRecord, ctx: RelayTrafficContext, send: (frame: FrameInit) => void) {
    this.#relay = relay;
    this.#ctx = ctx;
    this.#send = send;
    this.#commits = new RelayedCommits<Route>({
      store: ctx.store,
      counters: ctx.counters,
      maxPendingPerAgent: ctx.maxPendingBatches,
      budget: ctx.budget,
      ack: (body, outcome, route) => {
        ctx.counters.add('relayed.batches');
        // A replayed old batch (all duplicates) verifies too, but proves nothing about now.
        if (outcome.stored > 0) this.#verified.add(route.agent.id);
        // Only after the commit: the relay deletes its copy and acks downstream on this.
        this.#send({ relayedAck: { agentKey: route.agentKey, batchSeq: body.batchSeq, stored: outcome.stored, duplicates: outcome.duplicates } });
      },
      afterCommit: (outcomes, routes) => this.#afterCommit(outcomes, routes),
      failed: ctx.failed,
      isClosed: ctx.isClosed,
    });
  }

  /** True once this session has carried traffic of another agent (it is a relay). */
  get carried(): boolean {
    return this.#paths.size > 0;
  }

  /** Verified batches waiting for their commit and ack: they count against the session's queue limit. */
  get pending(): number {
    return this.#commits.pending;
  }

  /** Resolves once every verified batch is committed and acked, and the work after it done. */
  async settled(): Promise<void> {
    await this.#commits.settled();
  }

  async onBatch(frame: RelayedBatch): Promise<void> {
    const path = checkRelayPath(frame.path, this.#relay.name, this.#ctx.limits.maxNameLength);
    // Nested messages decode as full messages with their proto3 defaults.
    const batch = frame.batch as Batch | null;
    const header = readRelayedBatchHeader(batch);
    const refuse = (code: ErrorCodeValue, message: string) => {
      this.#refuse(code, message, frame.agentName);
      this.#send({ relayedAck: { agentKey: frame.agentKey, batchSeq: header.batchSeq, error: code } });
    };
    const tick = ++this.#tick;
    const resolved = await this.#resolve(frame.agentKey, frame.agentName);
    if ('refused' in resolved) return refuse(resolved.refused, resolved.message);
    const { agent } = resolved;
    let body;
    try {
      body = openBatch(batch!, PublicKey.from(agent.publicKey), this.#ctx.limits);
    } catch (err: unknown) {
      if (!isOutpostError(err)) throw err;
      return refuse(err.code, `batch ${header.batchSeq} of "${agent.name}" via ${path.join(' > ')}: ${err.message}`);
    }
    const route = { agent, tick, agentKey: frame.agentKey, path };
    // The first verified batch of an agent on this session is its admission, as a Hello is
    // for a direct one: it comes back from silence (and its path is recorded) before its
    // results are stored, so the return's summary counts them.
    const before = this.#before(route);
    if (!this.#paths.has(agent.id) || before.silentSince !== null || JSON.stringify(before.relayPath) !== JSON.stringify(path)) {
      await this.#arrived(before, path, Date.now());
    }
    this.#commits.add(agent.id, body, route);
  }

  async onHeartbeat(frame: RelayedHeartbeat): Promise<void> {
    const path = checkRelayPath(frame.path, this.#relay.name, this.#ctx.limits.maxNameLength);
    const hb = frame.heartbeat as Heartbeat | null;
    if (!hb) throw new OutpostError(ErrorCode.BAD_FRAME, 'relayed heartbeat carries no heartbeat');
    let resolved = await this.#resolve(frame.agentKey, frame.agentName);
    // A batch of this agent that came before may still wait for its commit: judge this
    // heartbeat after it (and its path recording), on the record as it is then.
    if ('agent' in resolved && (await this.#commits.settled(resolved.agent.id))) {
      if (this.#ctx.isClosed()) return;
      resolved = await this.#resolve(frame.agentKey, frame.agentName);
    }
    if ('refused' in resolved) return this.#refuse(resolved.refused, resolved.message, frame.agentName);
    const { agent } = resolved;
    const counts = [hb.backlog, hb.dropped, hb.configVersion, hb.relayBacklog];
    if (!counts.every(Number.isSafeInteger) || (hb.oldestUnsentMs !== 0 && !isValidTimeMs(hb.oldestUnsentMs)) || hb.configHash.length > 128 || hb.configError.length > 2_000) {
      throw new OutpostError(ErrorCode.BAD_FRAME, `relayed heartbeat of "${agent.name}" with counts, times or config fields out of range`);
    }
    if (!this.#verified.has(agent.id)) {
      return this.#ignore('relayed.rejected.unverified_heartbeat', agent, `heartbeat of "${agent.name}" via ${path.join(' > ')} before any verified batch of it came this way: ignored`);
    }
    if (agent.relayPath === null) {
      return this.#ignore('relayed.rejected.direct_session', agent, `heartbeat of "${agent.name}" via ${path.join(' > ')}, which connected directly since: ignored`);
    }
    if (agent.relayPath[agent.relayPath.length - 1] !== this.#relay.name) {
      return this.#ignore('relayed.rejected.other_route', agent, `heartbeat of "${agent.name}" via ${path.join(' > ')}, whose traffic comes through ${agent.relayPath.join(' > ')} now: ignored`);
    }
    const now = Date.now();
    const { backlog, oldestUnsentMs, dropped, configHash, configVersion, configError } = hb;
    await this.#ctx.store.recordHeartbeat(agent.id, { backlog, oldestUnsentMs, dropped, configHash, configVersion, configError, at: now });
    if (hb.relayAgents > 0 || hb.relayBacklog > 0 || agent.relayAgents !== null) {
      await this.#ctx.store.recordRelayHealth(agent.id, { agents: hb.relayAgents, backlog: hb.relayBacklog });
    }
    this.#ctx.counters.add('relayed.heartbeats');
    await this.#arrived(agent, path, now);
    await this.#observe(agent, () => this.#ctx.state.heartbeat(agent.id, agent.name, backlog));
  }

  /**
   * Send `agentId` its newest remote config through this relay when it runs an older one
   * (as its relayed heartbeats say). Called after its traffic and from the server's poll.
   */
  async syncConfig(agentId: number): Promise<void> {
    const key = this.#keys.get(agentId);
    if (!key) return;
    const [record, latest] = await Promise.all([this.#ctx.store.findAgentByKey(key), this.#ctx.store.latestAgentConfig(agentId)]);
    if (!record || record.id !== agentId || record.status !== 'active' || !latest) return;
    if (latest.version <= Math.max(record.configVersion ?? 0, this.#pushed.get(agentId) ?? 0)) return;
    this.#pushed.set(agentId, latest.version);
    this.#send({
      relayedConfigPush: {
        agentKey: record.publicKey,
        agentName: record.name,
        push: { version: latest.version, config: latest.config, signature: latest.signature },
      },
    });
    this.#ctx.counters.add('sessions.config_pushed');
    this.#ctx.logger.info({ agent: record.name, via: this.#relay.name, version: latest.version }, 'config pushed through a relay');
  }

  /** The agent a relayed frame names, by its enrolled key; an unknown one is recorded as pending. */
  async #resolve(agentKey: Uint8Array, agentName: string): Promise<Resolved> {
    if (agentKey.length !== PUBLIC_KEY_BYTES) return { refused: ErrorCode.BAD_KEY, message: `relayed frame names a key of ${agentKey.length} bytes` };
    const { store } = this.#ctx;
    const agent = await store.findAgentByKey(agentKey);
    const name = agentName || '(unnamed)';
    if (agent?.id === this.#relay.id) return { refused: ErrorCode.WRONG_AGENT, message: `relay "${this.#relay.name}" relays its own traffic` };
    if (agent?.status === 'active') {
      if (agent.name !== agentName) return { refused: ErrorCode.NAME_TAKEN, message: `key of "${agent.name}" relayed under the name "${name}"` };
      return { agent };
    }
    if (agent?.status === 'revoked') return { refused: ErrorCode.REVOKED, message: `agent "${agent.name}" is revoked` };
    if (!agent && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(agentName)) {
      // Same rule as a direct Hello: an unknown key waits for an operator's approval.
      const created = await store.createPendingAgent(agentName, agentKey, Date.now(), MAX_PENDING_AGENTS);
      if (created === 'name_taken') return { refused: ErrorCode.NAME_TAKEN, message: `agent name "${name}" is enrolled with another key` };
      if (created === 'limit') return { refused: ErrorCode.LIMIT, message: `${MAX_PENDING_AGENTS} agents already wait for approval` };
    }
    return { refused: ErrorCode.PENDING_APPROVAL, message: `agent "${name}" behind relay "${this.#relay.name}" waits for approval (outpost-collector agents approve ${name})` };
  }

  #refuse(code: ErrorCodeValue, message: string, agentName: string): void {
    const counter = relayedRejectionCounter(code);
    this.#ctx.counters.add(counter);
    this.#ctx.rejections.warn(counter, { relay: this.#relay.name, agent: agentName, code }, message);
  }

  /** A relayed heartbeat that may not speak for its agent: counted, logged (throttled), no answer. */
  #ignore(counter: string, agent: AgentRecord, message: string): void {
    this.#ctx.counters.add(counter);
    this.#ctx.rejections.warn(counter, { relay: this.#relay.name, agent: agent.name }, message);
  }

  /** After the acks of one commit of an agent's relayed batches: the state engine (the path was recorded on arrival). */
  async #afterCommit(outcomes: IngestOutcome[], routes: Route[]): Promise<void> {
    const agent = this.#before(routes[0]!);
    await this.#observe(agent, () => this.#ctx.state.afterIngest(agent, outcomes));
  }

  /**
   * The agent's record as a batch found it: the one read when the batch was verified, with
   * what this session itself recorded since (path, back from silence), e.g. the arrival
   * that batch itself caused; without this a stale read would record the path and bring
   * the agent back again.
   */
  #before(route: Route): AgentRecord {
    const recorded = this.#paths.get(route.agent.id);
    if (!recorded || recorded.tick < route.tick) return route.agent;
    return { ...route.agent, relayPath: recorded.path, silentSince: null };
  }

  /**
   * Record the path when it differs from the stored one (new, through another relay, or
   * after a direct session); the first frame of an agent on this session routes its config
   * here. `agent` is the record from before this frame: silent then means it is back now,
   * also when this session carried it before (a relay that stayed up while it was away).
   */
  async #arrived(agent: AgentRecord, path: string[], now: number): Promise<void> {
    const text = JSON.stringify(path);
    const first = !this.#paths.has(agent.id);
    const moved = JSON.stringify(agent.relayPath) !== text;
    this.#keys.set(agent.id, agent.publicKey);
    if (moved) await this.#ctx.store.recordRelayPath(agent.id, path, now);
    if (first) this.#ctx.logger.info({ agent: agent.name, path }, 'agent heard through a relay');
    if (first || agent.silentSince !== null) await this.#observe(agent, () => this.#ctx.state.agentConnected(agent));
    // A session closed meanwhile (its cleanup already ran) must not become the agent's route again.
    if ((first || moved) && !this.#ctx.isClosed()) {
      this.#ctx.onRoute(agent.id);
      await this.syncConfig(agent.id);
    }
    // Records read from here on see all of the above.
    this.#paths.set(agent.id, { path, tick: ++this.#tick });
  }

  #observe(agent: AgentRecord, work: () => Promise<void>): Promise<void> {
    return observeState(this.#ctx, agent.name, work);
  }
}
