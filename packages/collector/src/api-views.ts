import { encodeKey, statusName } from '@outpost/protocol';
import { humanDuration } from './agent-liveness.js';
import type { AgentRecord, CheckStateRecord, EventRecord, GapRecord, ResultRecord } from './store.js';

// The JSON shapes of the API and the live feed (docs/api.md), in one place so both agree.

/** ISO 8601 for a stored time; null for none, and for a value no Date can hold rather than a 500. */
export const iso = (ms: number | null | undefined) => (ms && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null);

/** An agent whose clock differs from the collector's by more than this is flagged. */
export const CLOCK_SKEW_FLAG_MS = 2_000;

export type AgentHealth = 'ok' | 'silent' | 'never_seen' | 'pending' | 'revoked';

export function agentHealth(agent: AgentRecord): AgentHealth {
  if (agent.status !== 'active') return agent.status;
  if (agent.lastSeenAt === null) return 'never_seen';
  return agent.silentSince !== null ? 'silent' : 'ok';
}

export interface AgentContext {
  connected: boolean;
  graceMs: number;
  labels: Record<string, string>;
  gaps: { gaps: number; dropped: number } | undefined;
  /** Effective check statuses of this agent, counted. */
  checks: Record<'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN', number>;
}

export function agentView(agent: AgentRecord, ctx: AgentContext) {
  return {
    name: agent.name,
    key: encodeKey(agent.publicKey),
    status: agent.status,
    health: agentHealth(agent),
    connected: ctx.connected,
    lastSeen: iso(agent.lastSeenAt),
    lastSeenMs: agent.lastSeenAt,
    // A pending or revoked agent's last refused attempt to connect.
    lastRefused: iso(agent.lastRefusedAt),
    lastRefusedMs: agent.lastRefusedAt,
    silentSince: iso(agent.silentSince),
    graceMs: ctx.graceMs,
    labels: ctx.labels,
    segment: ctx.labels['segment'] ?? 'default',
    remoteAddress: agent.remoteAddress,
    software: agent.software,
    configHash: agent.configHash,
    configVersion: agent.configVersion ?? 0,
    configError: agent.configError,
    clockOffsetMs: agent.clockOffsetMs,
    clockSkewed: agent.clockOffsetMs !== null && Math.abs(agent.clockOffsetMs) > CLOCK_SKEW_FLAG_MS,
    backlog: agent.backlog,
    oldestUnsent: iso(agent.oldestUnsentMs),
    resultsStored: agent.resultsStored,
    duplicates: agent.duplicates,
    gaps: ctx.gaps?.gaps ?? 0,
    droppedReported: ctx.gaps?.dropped ?? 0,
    droppedAtAgent: agent.dropped ?? 0,
    lastBatchSeq: agent.lastBatchSeq,
    maxResultId: agent.maxResultId,
    checks: ctx.checks,
    createdAt: iso(agent.createdAt),
    approvedAt: iso(agent.approvedAt),
    // The agent, then the relays its traffic passes, nearest first (docs/relay.md); null when direct.
    path: agent.relayPath ? [agent.name, ...agent.relayPath] : null,
    // Relay mode: downstream agents connected and relayed batches waiting for an upstream ack.
    relay: agent.relayAgents === null ? null : { agents: agent.relayAgents, backlog: agent.relayBacklog ?? 0 },
  };
}

/** Why a check's last result no longer stands: its satellite is silent, or the check stopped reporting (stale). */
export interface CheckCondition {
  satelliteSilent: boolean;
  /** When (collector clock) a newer result was due; set when the check is stale. */
  staleDueBy?: number;
}

/** "200 ms", "30 s", "1 h 30 min": a check's interval as the operator reads it. */
const interval = (ms: number) => (ms < 1_000 ? `${ms} ms` : humanDuration(ms));

/**
 * A check as the operator sees it: UNKNOWN while its satellite is silent or while it is
 * stale (its agent reports but the check does not), whatever it last said.
 */
export function checkView(state: CheckStateRecord, condition: CheckCondition) {
  const { satelliteSilent, staleDueBy } = condition;
  const stale = !satelliteSilent && staleDueBy !== undefined;
  let observation = state.observation;
  let message = state.message;
  if (satelliteSilent) {
    observation = 'satellite_silent';
    message = `satellite silent; last result: ${state.message}`;
  } else if (stale) {
    observation = 'stale';
    // Since its newest result arrived (collector clock): the agent's clock may differ.
    message = `no result since ${iso(state.reportedAt)}, runs every ${interval(state.everyMs ?? 0)}; last result: ${state.message}`;
  }
  return {
    agent: state.agent,
    check: state.checkId,
    status: satelliteSilent || stale ? 'UNKNOWN' : statusName(state.status),
    reportedStatus: statusName(state.status),
    satelliteSilent,
    stale,
    observation,
    message,
    lastCheck: iso(state.startedAt),
    lastCheckMs: state.startedAt,
    // When the newest result reached the collector (collector clock); staleness counts from it.
    reported: iso(state.reportedAt),
    reportedMs: state.reportedAt,
    // How often the check runs: as its agent says with each result, or as its results show it.
    everyMs: state.everyMs,
    staleSince: stale ? iso(staleDueBy) : null,
    staleSinceMs: stale ? (staleDueBy ?? null) : null,
    since: iso(state.since),
    sinceMs: state.since,
    lastOk: iso(state.lastOk),
    lastChange: iso(state.since),
    flapping: state.flapping,
    resultId: state.resultId,
    durationUs: state.durationUs,
    metrics: state.metrics,
  };
}

export type CheckView = ReturnType<typeof checkView>;

export function eventView(e: EventRecord) {
  return {
    id: e.id,
    kind: e.kind,
    agent: e.agent,
    check: e.checkId,
    at: iso(e.at),
    atMs: e.at,
    from: e.from === null ? null : statusName(e.from),
    to: e.to === null ? null : statusName(e.to),
    previousDurationMs: e.previousDurationMs,
    backfilled: e.backfilled,
    suppressed: e.suppressed,
    message: e.message,
  };
}

export function resultView(r: ResultRecord) {
  return {
    agent: r.agent,
    resultId: r.resultId,
    check: r.checkId,
    startedAt: iso(r.startedAt),
    startedAtMs: r.startedAt,
    durationUs: r.durationUs,
    status: statusName(r.status),
    observation: r.observation,
    message: r.message,
    metrics: r.metrics,
    configHash: r.configHash,
    batchSeq: r.batchSeq,
    receivedAt: iso(r.receivedAt),
  };
}

export function gapView(g: GapRecord) {
  return { ...g, first: iso(g.firstMs), last: iso(g.lastMs), receivedAt: iso(g.receivedAt) };
}

/** Severity order for the problems list: CRITICAL, UNKNOWN, WARNING, then OK. */
export const SEVERITY_RANK: Record<string, number> = { CRITICAL: 0, UNKNOWN: 1, WARNING: 2, OK: 3 };
