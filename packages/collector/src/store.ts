import type { OpenedBatch } from '@outpost/protocol';

export type AgentStatus = 'pending' | 'active' | 'revoked';

export interface AgentRecord {
  id: number;
  name: string;
  publicKey: Uint8Array;
  /** The agent's key before its last rotation, if it rotated. */
  previousPublicKey: Uint8Array | null;
  status: AgentStatus;
  createdAt: number;
  approvedAt: number | null;
  lastSeenAt: number | null;
  remoteAddress: string | null;
  software: string | null;
  configHash: string | null;
  clockOffsetMs: number | null;
  backlog: number | null;
  oldestUnsentMs: number | null;
  /** Results the agent says it dropped under its outbox budget, from its last heartbeat. */
  dropped: number | null;
  resultsStored: number;
  duplicates: number;
  lastBatchSeq: number;
  maxResultId: number;
  /** The agent's idle heartbeat interval from its Hello; null when it never said. */
  heartbeatIntervalMs: number | null;
  /** When its current (or last) direct connection began: its Hello; null if it never connected directly. */
  connectedAt: number | null;
  /** When it last tried to connect and was turned away (pending approval or revoked); null if never. */
  lastRefusedAt: number | null;
  /** When its grace period ran out; null while it is heard from. */
  silentSince: number | null;
  /** The remote config version the agent says it runs (0: its local file only); null before it said. */
  configVersion: number | null;
  /** Why the agent refused or rolled back the last pushed config; null when it did not. */
  configError: string | null;
  /** The relays its last relayed traffic came through, nearest the agent first; null when it connects directly. */
  relayPath: string[] | null;
  /** Relay mode: downstream agents connected at its last heartbeat, and relayed batches waiting in its outbox. */
  relayAgents: number | null;
  relayBacklog: number | null;
}

/** A remote config version for one agent, signed by the collector. */
export interface AgentConfigRecord {
  version: number;
  config: Uint8Array;
  signature: Uint8Array;
  createdAt: number;
}

export interface CheckStateRecord {
  agent: string;
  checkId: string;
  status: number;
  observation: string;
  message: string;
  startedAt: number;
  resultId: number;
  /** Start of the current status: the first result that had it. */
  since: number;
  durationUs: number;
  metrics: Record<string, number>;
  /** Check time of the newest OK result; null when it was never OK. */
  lastOk: number | null;
  flapping: boolean;
  /**
   * How often the check runs, as its results show it: the longer of the last two gaps
   * between successive results made under one check config; null until there are two gaps.
   */
  everyMs: number | null;
  /** The gap between the newest result and the one before it, under one config. */
  gapMs: number | null;
  /** When the newest result reached the collector (collector clock); null in rows from before migration 13. */
  reportedAt: number | null;
  /** The check config the newest result was made under (its `check_config_hash`). */
  configHash: string | null;
}

export type EventKind = 'check' | 'agent_silent' | 'agent_back' | 'summary' | 'flapping_start' | 'flapping_stop' | 'segmentation_drift' | 'unexpected_service';

/** A segmentation matrix cell: as the policy says, a denied path open, an allowed path blocked, no data. */
export type CellColour = 'green' | 'red' | 'amber' | 'grey';

/** One cell of the segmentation matrix (source segment, target) as last evaluated. */
export interface SegmentationCellRecord {
  from: string;
  to: string;
  colour: CellColour;
  /** When it took this colour. */
  since: number;
  evaluatedAt: number;
  /** JSON: what the colour rests on (agents, hosts, ports, banners, times). */
  evidence: string;
}

/** A colour a cell took, with the evidence of that moment. */
export interface SegmentationHistoryRecord {
  at: number;
  colour: CellColour;
  evidence: string;
}

/** Something that happened to a check or an agent, on the check's own timeline for check kinds. */
export interface EventRecord {
  id: number;
  kind: EventKind;
  agent: string;
  checkId: string | null;
  /** Check time (agent clock) for check kinds; collector time for agent kinds. */
  at: number;
  resultId: number | null;
  from: number | null;
  to: number | null;
  /** How long the previous status lasted (check kinds), from the change before this one. */
  previousDurationMs: number | null;
  /** Found in history that arrived after the fact (a backlog), not seen as it happened. */
  backfilled: boolean;
  /** Why it was not notified, e.g. 'flapping'; null when it was eligible. */
  suppressed: string | null;
  message: string;
}

/**
 * An agent back from silence whose outage summary is not recorded yet. Kept in the store,
 * so a collector restarted (or a new leader) while the backlog drains still sends it.
 */
export interface AgentReturnRecord {
  agentId: number;
  agent: string;
  /** When its grace period ran out. */
  silentSince: number;
  /** When it was last heard from before the silence. */
  lastHeardAt: number;
  /** When it came back (collector time). */
  backAt: number;
  /** Its `resultsStored` counter when it came back: the summary counts from there. */
  resultsAtBack: number;
}

/** What an outage summary says, counted by the store when it is recorded. */
export interface AgentReturnSummary extends AgentReturnRecord {
  /** Results stored for the agent since it came back. */
  results: number;
  /** Incidents found in the backlog: backfilled check events to a non-OK status from a previous one, stored since it came back. */
  incidents: number;
}

export interface EventQuery {
  agent?: string;
  checkId?: string;
  kind?: EventKind;
  since?: number;
  until?: number;
  /** Newest first; continue below this (at, id). */
  before?: { at: number; id: number };
  limit: number;
}

export interface StateEngineSettings {
  /** A check changing status this many times within `flapWindowMs` (check time) is flapping. */
  flapChanges: number;
  flapWindowMs: number;
}

export interface ResultRecord {
  agent: string;
  resultId: number;
  checkId: string;
  startedAt: number;
  durationUs: number;
  status: number;
  observation: string;
  message: string;
  metrics: Record<string, number>;
  configHash: string;
  batchSeq: number;
  receivedAt: number;
}

/** Results an agent had to discard, as it reported them. */
export interface GapRecord {
  agent: string;
  fromResultId: number;
  toResultId: number;
  count: number;
  reason: string;
  firstMs: number;
  lastMs: number;
  perCheck: Record<string, number>;
  receivedAt: number;
}

export interface ResultQuery {
  agent?: string;
  checkId?: string;
  /** started_at >= since (ms). */
  since?: number;
  until?: number;
  /** Continue after this (started_at, agent id, result_id) in timeline order. */
  after?: { startedAt: number; agentId: number; resultId: number };
  limit: number;
}

export interface IngestOptions {
  /**
   * Whether this counts as hearing from the agent (last seen). False for batches carried on
   * media (an air-gap import): they say nothing about whether the agent is alive now.
   */
  heard?: boolean;
}

export interface IngestOutcome {
  stored: number;
  duplicates: number;
  /** Events this batch created (status changes, flapping starts), for notification. */
  events: EventRecord[];
  /** Checks whose status, since or flapping changed. */
  changedChecks: string[];
  /** Results stored but kept out of the state: their check time lies ahead of the collector's clock. */
  future?: number;
}

export type EnrollOutcome = 'enrolled' | 'bad_token' | 'name_taken';

/**
 * The collector's storage. SQLite is the embedded default; a PostgreSQL implementation
 * plugs in behind the same interface, so the core never writes SQL. Every method that
 * changes data commits before it resolves: an Ack follows a resolved `ingestBatch`.
 */
export interface CollectorStore {
  findAgentByKey(publicKey: Uint8Array): Promise<AgentRecord | undefined>;
  findAgentByName(name: string): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;
  /** The agent whose key was `publicKey` before its last rotation. */
  findAgentByPreviousKey(publicKey: Uint8Array): Promise<AgentRecord | undefined>;
  /** Move an agent to a new key (kept as previous: the old one); refuses a key another agent holds. */
  rotateAgentKey(agentId: number, newKey: Uint8Array): Promise<'rotated' | 'key_in_use'>;
  /**
   * Record an unknown agent as pending approval. 'limit' when `maxPending` agents already
   * wait (strangers must not grow the database without bound).
   */
  createPendingAgent(name: string, publicKey: Uint8Array, at: number, maxPending: number): Promise<'created' | 'name_taken' | 'limit'>;
  setAgentStatus(name: string, status: AgentStatus, at: number): Promise<boolean>;
  createToken(tokenHash: string, agentName: string | null, expiresAt: number, at: number): Promise<void>;
  /**
   * Consume a valid, unused, unexpired token and enroll the agent, atomically. A pending
   * record of the same name with another key is replaced: pending is an unproven claim.
   */
  enrollWithToken(tokenHash: string, name: string, publicKey: Uint8Array, at: number): Promise<EnrollOutcome>;
  recordHello(
    agentId: number,
    hello: {
      software: string; configHash: string; configVersion: number; clockOffsetMs: number; remoteAddress: string; heartbeatIntervalMs: number; at: number;
    },
  ): Promise<void>;
  /**
   * A verified Hello that was turned away because the agent waits for approval or is
   * revoked: when it last tried and from where (an active agent's row is left alone).
   */
  recordRefusedHello(publicKey: Uint8Array, remoteAddress: string, at: number): Promise<void>;
  recordHeartbeat(
    agentId: number,
    heartbeat: { backlog: number; oldestUnsentMs: number; dropped: number; configHash: string; configVersion: number; configError: string; at: number },
  ): Promise<void>;
  /**
   * Where an agent's relayed traffic came from: its relay path (nearest relay first), or
   * null when it connected directly again. Also counts as being heard from at `at`.
   */
  recordRelayPath(agentId: number, path: readonly string[] | null, at: number): Promise<void>;
  /** A relay's own figures from its heartbeat: agents it serves and its forwarding backlog. */
  recordRelayHealth(agentId: number, health: { agents: number; backlog: number }): Promise<void>;
  /** Store the next config version for an agent; `sign` signs it for that version. Returns the version. */
  putAgentConfig(agentId: number, config: Uint8Array, sign: (version: number) => Uint8Array, at: number): Promise<number>;
  latestAgentConfig(agentId: number): Promise<AgentConfigRecord | undefined>;
  listGaps(agent?: string, limit?: number): Promise<GapRecord[]>;
  /** Per agent id: how many gap records and how many results they cover. */
  gapTotals(): Promise<Map<number, { gaps: number; dropped: number }>>;
  /** Store a verified batch idempotently: (agent, result_id) rows already present are counted, not stored. */
  ingestBatch(agentId: number, batch: OpenedBatch, receivedAt: number): Promise<IngestOutcome>;
  /** Several batches of one agent in one commit (fewer syncs while a backlog drains). */
  ingestBatches(agentId: number, batches: readonly OpenedBatch[], receivedAt: number, options?: IngestOptions): Promise<IngestOutcome[]>;
  listCheckStates(agent?: string, checkId?: string): Promise<CheckStateRecord[]>;
  /**
   * Check states whose newest result arrived more than `intervals` of their learnt interval
   * and `slackMs` before their agent was last heard: the candidates for *stale*, which
   * state-views.ts decides on (a scan of the state table, no per-check reads).
   */
  listOverdueChecks(intervals: number, slackMs: number): Promise<CheckStateRecord[]>;
  /**
   * Drop one check's state (a check its agent no longer runs); its results and events stay.
   * A later result of the check makes it anew. With `resultId`, only while its newest
   * result is still that one (a result that came meanwhile keeps it). False when nothing went.
   */
  forgetCheck(agentId: number, checkId: string, resultId?: number): Promise<boolean>;
  queryResults(query: ResultQuery): Promise<(ResultRecord & { agentId: number })[]>;
  queryEvents(query: EventQuery): Promise<EventRecord[]>;
  /** Record an agent-level event (silent, back, summary) at collector time. */
  appendAgentEvent(agentId: number, kind: EventKind, at: number, message: string, to?: number | null): Promise<EventRecord>;
  /**
   * Mark an agent silent since `since`, or heard again (null). False when it already was so.
   * Silence also forgets a return still waiting for its summary: that outage never ended.
   */
  setAgentSilence(agentId: number, since: number | null): Promise<boolean>;
  /**
   * A silent agent is heard again: clear its silence and remember the return (with its
   * results counter now) until the outage summary is recorded, in one commit. Undefined
   * when it was not silent (another session or collector took the return first).
   */
  beginAgentReturn(agentId: number, lastHeardAt: number, backAt: number): Promise<AgentReturnRecord | undefined>;
  /** Returns still waiting for their summary, oldest first; only that agent's with `agentId`. */
  listAgentReturns(agentId?: number): Promise<AgentReturnRecord[]>;
  /**
   * Record a return's summary once: in one commit, forget the return, count what was stored
   * since it came back, and append the 'summary' event at `at` whose message `compose`
   * writes. Undefined when the return is gone (summarised already, or silent again).
   */
  finishAgentReturn(agentId: number, at: number, compose: (summary: AgentReturnSummary) => string): Promise<EventRecord | undefined>;
  /** Checks marked flapping, with how many changes they made since `sinceMs` (check time). */
  listFlapping(sinceMs: number): Promise<{ agentId: number; agent: string; checkId: string; changes: number; status: number }[]>;
  /** Clear a check's flapping mark and record the end as an event. */
  endFlapping(agentId: number, checkId: string, at: number, message: string): Promise<EventRecord | undefined>;
  /** The segmentation matrix as last evaluated. */
  listSegmentationCells(): Promise<SegmentationCellRecord[]>;
  /**
   * Store a cell's colour and evidence. A colour other than the stored one starts a history
   * entry; returns the previous colour (null for a new cell), or undefined when it stayed.
   */
  putSegmentationCell(cell: { from: string; to: string; colour: CellColour; evidence: string }, at: number): Promise<CellColour | null | undefined>;
  /** A cell's colours, newest first. */
  segmentationCellHistory(from: string, to: string, limit: number): Promise<SegmentationHistoryRecord[]>;
  /** Remember an open port no policy target names: true only the first time `host:port` is seen. */
  markUnexpectedService(host: string, port: number, at: number): Promise<boolean>;
  /** The evidence (transcript) a stored result carried; null when it had none or is gone. */
  resultTranscript(agentId: number, resultId: number): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

/** The CollectorStore calls on the agents table, which each store hands through to its agents class (sqlite-agents.ts, pg-agents.ts). */
export const AGENT_CALLS = [
  'findAgentByKey', 'findAgentByName', 'findAgentByPreviousKey', 'rotateAgentKey', 'listAgents', 'createPendingAgent', 'setAgentStatus',
  'createToken', 'enrollWithToken', 'recordHello', 'recordRefusedHello', 'recordRelayPath', 'recordRelayHealth', 'recordHeartbeat', 'putAgentConfig',
  'latestAgentConfig', 'setAgentSilence', 'beginAgentReturn', 'listAgentReturns', 'finishAgentReturn',
] as const satisfies readonly (keyof CollectorStore)[];

export type AgentCalls = Pick<CollectorStore, (typeof AGENT_CALLS)[number]>;

/**
 * Give `store` each agents-table call of `agents`, bound to it. A store class declares
 * `interface XStore extends AgentCalls {}` beside itself and calls this in its constructor,
 * so a new call is listed once (AGENT_CALLS), not in every store.
 *
 * @example
 * delegateAgentCalls(this, new SqliteAgents(db));
 */
export function delegateAgentCalls(store: AgentCalls, agents: AgentCalls): void {
  const target = store as unknown as Record<string, unknown>;
  for (const name of AGENT_CALLS) target[name] = (agents[name] as (...args: never[]) => unknown).bind(agents);
}
