import { existsSync } from 'node:fs';
import { ALIVE_EVERY_MS, outboxPath } from './agent.js';
import type { AgentConfig } from './config.js';
import { formatDuration } from './duration.js';
import { Outbox } from './outbox.js';

export interface AgentStatusReport {
  name: string;
  outbox: string;
  backlog: number;
  oldestUnsentAt: string | null;
  lastResultId: number;
  /**
   * The last connection state the agent recorded. While the agent is not running, it is what
   * it was when the agent stopped (`stopped` after a clean stop).
   */
  connection: string;
  /**
   * Whether the agent is running: false after a clean stop or when it has not noted itself
   * alive for three of its intervals (it died); null when it never noted it (never started,
   * or an older agent).
   */
  running: boolean | null;
  /** When the agent last noted itself alive. */
  aliveAt: string | null;
  connectionSince: string | null;
  collectorUrl: string | null;
  lastAckAt: string | null;
  lastAckSeq: number | null;
  clockOffsetMs: number | null;
  lastError: string | null;
  backlogBytes: number;
  /** Results dropped under the outbox budgets or lost to write errors, reported as gaps. */
  dropped: number;
  /**
   * Whether the backlog is going down: `draining` with a rate; `measuring` while connected
   * but without a rate from this connection yet; `paused` while not connected, when the
   * backlog only grows (the last rate would be stale); `stalled` while connected but with
   * no acknowledgement for STALLED_AFTER_MS (a relay or collector that stopped answering
   * before the link timed out); null with no backlog.
   */
  drainState: 'draining' | 'measuring' | 'stalled' | 'paused' | null;
  /** Results acknowledged per second, measured on the current connection; null unless draining. */
  drainRatePerSec: number | null;
  /** The current backlog at that rate. */
  drainEtaSec: number | null;
}

/** Connected with a backlog and no acknowledgement for this long: the drain is stalled. */
const STALLED_AFTER_MS = 15_000;
/** ... and with a result waiting that was checked this long ago (longer than any check's timeout). */
const STALLED_WAITING_MS = 120_000;

const iso = (ms: string | number | undefined) => (ms === undefined || ms === '' ? null : new Date(Number(ms)).toISOString());

/** Read an agent's state from its outbox, without disturbing a running agent. */
export function readStatus(config: AgentConfig, now = Date.now()): AgentStatusReport {
  const path = outboxPath(config);
  if (!existsSync(path)) {
    return {
      name: config.name, outbox: path, backlog: 0, oldestUnsentAt: null, lastResultId: 0, connection: 'never started', running: null, aliveAt: null,
      connectionSince: null, collectorUrl: null, lastAckAt: null, lastAckSeq: null, clockOffsetMs: null, lastError: null,
      backlogBytes: 0, dropped: 0, drainState: null, drainRatePerSec: null, drainEtaSec: null,
    };
  }
  const outbox = Outbox.open(path, { readonly: true });
  try {
    const depth = outbox.depth();
    const meta = (key: string) => outbox.getMeta(key);
    const num = (key: string) => (meta(key) ? Number(meta(key)) : null);
    const connection = meta('connection_state') ?? 'never connected';
    const aliveAt = num('alive_at');
    const running = connection === 'stopped' ? false : aliveAt === null ? null : now - aliveAt <= 3 * ALIVE_EVERY_MS;
    return {
      name: config.name,
      outbox: path,
      backlog: depth.count,
      oldestUnsentAt: iso(depth.oldestStartedAtMs),
      lastResultId: depth.maxResultId,
      connection,
      running,
      aliveAt: iso(meta('alive_at')),
      connectionSince: iso(meta('state_changed_at')),
      collectorUrl: meta('collector_url') ?? null,
      lastAckAt: iso(meta('last_ack_at')),
      lastAckSeq: num('last_ack_seq'),
      clockOffsetMs: num('clock_offset_ms'),
      lastError: meta('last_error') || null,
      backlogBytes: depth.bytes,
      dropped: depth.dropped,
      ...drainFigures(depth.count, running === false ? 'stopped' : connection, num('connected_at'), num('drain_at'), num('drain_rate'), num('last_ack_at'), depth.oldestStartedAtMs ?? null, now),
    };
  } finally {
    outbox.close();
  }
}

/**
 * The drain as it stands now. The agent keeps its last measured rate in the meta across
 * disconnections; it only describes the present while the same connection is up, and the
 * ETA is for today's backlog, not the one at measuring time.
 */
function drainFigures(
  backlog: number,
  connection: string,
  connectedAt: number | null,
  measuredAt: number | null,
  ratePerSec: number | null,
  lastAckAt: number | null,
  oldestUnsentMs: number | null,
  now: number,
): Pick<AgentStatusReport, 'drainState' | 'drainRatePerSec' | 'drainEtaSec'> {
  if (backlog === 0) return { drainState: null, drainRatePerSec: null, drainEtaSec: null };
  if (connection !== 'connected') return { drainState: 'paused', drainRatePerSec: null, drainEtaSec: null };
  // A draining link acks every batch within a second or so; long silence means no drain
  // now, unless what waits was only just made (an agent checking once a minute, read
  // between writing a result and its ack).
  const since = Math.max(lastAckAt ?? 0, connectedAt ?? 0);
  const waitingLong = oldestUnsentMs !== null && now - oldestUnsentMs > STALLED_WAITING_MS;
  if (since > 0 && now - since > STALLED_AFTER_MS && waitingLong) return { drainState: 'stalled', drainRatePerSec: null, drainEtaSec: null };
  const current = ratePerSec !== null && ratePerSec > 0 && measuredAt !== null && connectedAt !== null && measuredAt >= connectedAt;
  if (!current) return { drainState: 'measuring', drainRatePerSec: null, drainEtaSec: null };
  return { drainState: 'draining', drainRatePerSec: ratePerSec, drainEtaSec: Math.ceil(backlog / ratePerSec) };
}

/** The report for a terminal. */
export function formatStatus(report: AgentStatusReport, now = Date.now()): string {
  const ago = (at: string | null) => (at ? `${at} (${formatDuration(Math.max(0, now - Date.parse(at)))} ago)` : 'never');
  // Not running, yet its last recorded state is not a clean stop: it died.
  const died = report.running === false && report.connection !== 'stopped';
  const lines = [
    `agent       ${report.name}${died ? `: not running (no sign of life since ${ago(report.aliveAt)}; it stopped without a clean shutdown)` : ''}`,
    `connection  ${died ? `none (last recorded: ${report.connection})` : report.connection}${report.connectionSince ? ` since ${ago(report.connectionSince)}` : ''}${report.collectorUrl ? ` → ${report.collectorUrl}` : ''}`,
    `backlog     ${report.backlog} result${report.backlog === 1 ? '' : 's'} waiting (${(report.backlogBytes / 1_048_576).toFixed(1)} MiB)${report.oldestUnsentAt ? `, oldest from ${ago(report.oldestUnsentAt)}` : ''}`,
    `last ack    ${ago(report.lastAckAt)}${report.lastAckSeq !== null ? ` (batch ${report.lastAckSeq})` : ''}`,
    `last result id ${report.lastResultId}`,
  ];
  if (report.drainState === 'paused') lines.push(`draining    paused: ${report.running === false ? 'the agent is not running' : 'not connected'}`);
  else if (report.drainState === 'measuring') lines.push('draining    no rate yet on this connection');
  else if (report.drainState === 'stalled') lines.push(`draining    stalled: connected, but nothing acknowledged since ${ago(report.lastAckAt ?? report.connectionSince)}`);
  else if (report.drainRatePerSec !== null) {
    lines.push(`draining    ${report.drainRatePerSec} results/s${report.drainEtaSec !== null ? `, done in about ${formatDuration(report.drainEtaSec * 1000)}` : ''}`);
  }
  if (report.dropped > 0) lines.push(`dropped     ${report.dropped} results under the outbox budget (reported to the collector as gaps)`);
  if (report.clockOffsetMs !== null) lines.push(`clock offset ${report.clockOffsetMs} ms (collector minus agent)`);
  if (report.lastError) lines.push(`last error  ${report.lastError}`);
  lines.push(`outbox      ${report.outbox}`);
  return lines.join('\n');
}
