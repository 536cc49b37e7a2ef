import { existsSync } from 'node:fs';
import { outboxPath } from './agent.js';
import type { AgentConfig } from './config.js';
import { formatDuration } from './duration.js';
import { Outbox } from './outbox.js';

export interface AgentStatusReport {
  name: string;
  outbox: string;
  backlog: number;
  oldestUnsentAt: string | null;
  lastResultId: number;
  connection: string;
  connectionSince: string | null;
  collectorUrl: string | null;
  lastAckAt: string | null;
  lastAckSeq: number | null;
  clockOffsetMs: number | null;
  lastError: string | null;
}

const iso = (ms: string | number | undefined) => (ms === undefined || ms === '' ? null : new Date(Number(ms)).toISOString());

/** Read an agent's state from its outbox, without disturbing a running agent. */
export function readStatus(config: AgentConfig): AgentStatusReport {
  const path = outboxPath(config);
  if (!existsSync(path)) {
    return {
      name: config.name, outbox: path, backlog: 0, oldestUnsentAt: null, lastResultId: 0, connection: 'never started',
      connectionSince: null, collectorUrl: null, lastAckAt: null, lastAckSeq: null, clockOffsetMs: null, lastError: null,
    };
  }
  const outbox = Outbox.open(path, { readonly: true });
  try {
    const depth = outbox.depth();
    const meta = (key: string) => outbox.getMeta(key);
    const num = (key: string) => (meta(key) ? Number(meta(key)) : null);
    return {
      name: config.name,
      outbox: path,
      backlog: depth.count,
      oldestUnsentAt: iso(depth.oldestStartedAtMs),
      lastResultId: depth.maxResultId,
      connection: meta('connection_state') ?? 'never connected',
      connectionSince: iso(meta('state_changed_at')),
      collectorUrl: meta('collector_url') ?? null,
      lastAckAt: iso(meta('last_ack_at')),
      lastAckSeq: num('last_ack_seq'),
      clockOffsetMs: num('clock_offset_ms'),
      lastError: meta('last_error') || null,
    };
  } finally {
    outbox.close();
  }
}

/** The report for a terminal. */
export function formatStatus(report: AgentStatusReport, now = Date.now()): string {
  const ago = (at: string | null) => (at ? `${at} (${formatDuration(Math.max(0, now - Date.parse(at)))} ago)` : 'never');
  const lines = [
    `agent       ${report.name}`,
    `connection  ${report.connection}${report.connectionSince ? ` since ${ago(report.connectionSince)}` : ''}${report.collectorUrl ? ` → ${report.collectorUrl}` : ''}`,
    `backlog     ${report.backlog} result${report.backlog === 1 ? '' : 's'} waiting${report.oldestUnsentAt ? `, oldest from ${ago(report.oldestUnsentAt)}` : ''}`,
    `last ack    ${ago(report.lastAckAt)}${report.lastAckSeq !== null ? ` (batch ${report.lastAckSeq})` : ''}`,
    `last result id ${report.lastResultId}`,
  ];
  if (report.clockOffsetMs !== null) lines.push(`clock offset ${report.clockOffsetMs} ms (collector minus agent)`);
  if (report.lastError) lines.push(`last error  ${report.lastError}`);
  lines.push(`outbox      ${report.outbox}`);
  return lines.join('\n');
}
