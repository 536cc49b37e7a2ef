// Row shapes shared by the SQLite and PostgreSQL stores: both select the same columns
// under the same (quoted, so PostgreSQL keeps their case) aliases.

import type { AgentRecord, AgentStatus, CheckStateRecord, EventKind, EventRecord } from './store.js';

export interface AgentRow {
  id: number;
  name: string;
  public_key: Buffer;
  /** The key before the agent's last rotation; undefined where a query did not select it. */
  previous_public_key?: Buffer | null;
  status: AgentStatus;
  created_at: number;
  approved_at: number | null;
  last_seen_at: number | null;
  remote_address: string | null;
  software: string | null;
  config_hash: string | null;
  clock_offset_ms: number | null;
  backlog: number | null;
  oldest_unsent_ms: number | null;
  dropped: number | null;
  results_stored: number;
  duplicates: number;
  last_batch_seq: number;
  max_result_id: number;
  heartbeat_interval_ms: number | null;
  silent_since: number | null;
  config_version: number | null;
  config_error: string | null;
  last_refused_at?: number | null;
  connected_at?: number | null;
  // Relays (migration 7); undefined from a backend whose schema predates them.
  relay_path?: string | null;
  relay_agents?: number | null;
  relay_backlog?: number | null;
}

export interface EventRow {
  id: number;
  kind: EventKind;
  agent: string;
  checkId: string | null;
  at: number;
  resultId: number | null;
  from: number | null;
  to: number | null;
  previousAt: number | null;
  backfilled: number;
  suppressed: string | null;
  message: string;
}

export function toEvent(row: EventRow): EventRecord {
  return {
    id: row.id,
    kind: row.kind,
    agent: row.agent,
    checkId: row.checkId,
    at: row.at,
    resultId: row.resultId,
    from: row.from,
    to: row.to,
    previousDurationMs: row.previousAt === null ? null : row.at - row.previousAt,
    backfilled: row.backfilled === 1,
    suppressed: row.suppressed,
    message: row.message,
  };
}

export const EVENT_COLUMNS = `e.id, e.kind, a.name AS agent, e.check_id AS "checkId", e.at, e.result_id AS "resultId", e.from_status AS "from",
  e.to_status AS "to", e.backfilled, e.suppressed, e.message,
  CASE WHEN e.kind = 'check' THEN (SELECT max(p.at) FROM events p WHERE p.agent_id = e.agent_id AND p.check_id = e.check_id
    AND p.kind = 'check' AND (p.at, p.result_id) < (e.at, e.result_id)) END AS "previousAt"`;

export function toAgent(row: AgentRow): AgentRecord {
  return {
    id: row.id,
    name: row.name,
    publicKey: new Uint8Array(row.public_key),
    previousPublicKey: row.previous_public_key ? new Uint8Array(row.previous_public_key) : null,
    status: row.status,
    createdAt: row.created_at,
    approvedAt: row.approved_at,
    lastSeenAt: row.last_seen_at,
    remoteAddress: row.remote_address,
    software: row.software,
    configHash: row.config_hash,
    clockOffsetMs: row.clock_offset_ms,
    backlog: row.backlog,
    oldestUnsentMs: row.oldest_unsent_ms,
    dropped: row.dropped,
    resultsStored: row.results_stored,
    duplicates: row.duplicates,
    lastBatchSeq: row.last_batch_seq,
    maxResultId: row.max_result_id,
    heartbeatIntervalMs: row.heartbeat_interval_ms,
    silentSince: row.silent_since,
    lastRefusedAt: row.last_refused_at ?? null,
    connectedAt: row.connected_at ?? null,
    configVersion: row.config_version,
    configError: row.config_error,
    relayPath: row.relay_path ? (JSON.parse(row.relay_path) as string[]) : null,
    relayAgents: row.relay_agents ?? null,
    relayBacklog: row.relay_backlog ?? null,
  };
}

/** A check's state with its agent's name, under CheckStateRecord's names; add WHERE and ORDER BY. */
export const CHECK_STATE_SELECT = `SELECT a.name AS agent, s.check_id AS "checkId", s.status, s.observation, s.message, s.started_at AS "startedAt",
         s.result_id AS "resultId", s.since, s.duration_us AS "durationUs", s.metrics, s.last_ok AS "lastOk", s.flapping,
         s.every_ms AS "everyMs", s.gap_ms AS "gapMs", s.config_hash AS "configHash", s.reported_at AS "reportedAt"
    FROM check_state s JOIN agents a ON a.id = s.agent_id`;

/** A row of CHECK_STATE_SELECT. */
export type CheckStateRow = Omit<CheckStateRecord, 'metrics' | 'flapping'> & { metrics: string | null; flapping: number };

export function toCheckState(row: CheckStateRow): CheckStateRecord {
  return { ...row, metrics: row.metrics ? (JSON.parse(row.metrics) as Record<string, number>) : {}, flapping: row.flapping === 1 };
}
