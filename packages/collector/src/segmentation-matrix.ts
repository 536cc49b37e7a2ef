import { Status } from '@outpost/protocol';
import { ipv4Range, sameHost, type SegmentationPolicy, type SegmentationRule } from './segmentation-policy.js';
import type { CellColour, CheckStateRecord } from './store.js';

/** One port finding from an exposure result's evidence (its transcript). */
export interface PortFinding {
  host: string;
  port: number;
  state: string;
  banner?: string;
  service?: string;
}

/** What one agent of the source segment saw for a cell. */
export interface AgentObservation {
  agent: string;
  agentId: number;
  silent: boolean;
  /** The state of the agent's generated check; undefined before its first result. */
  state: CheckStateRecord | undefined;
  /** Parsed evidence of that result, when it carried any. */
  findings: { violations: PortFinding[]; missing: PortFinding[]; aborted: boolean } | undefined;
}

/** The colour one agent gives the cell, with why. */
export interface AgentVerdict {
  agent: string;
  agentId: number;
  colour: CellColour;
  reason: string;
  checkedAt: number | null;
  /** Denied ports found open (red) or allowed ports found closed (amber). */
  ports: PortFinding[];
}

export interface CellVerdict {
  from: string;
  to: string;
  action: 'allow' | 'deny';
  colour: CellColour;
  /** Why the cell is grey when no agent can say (none in the segment, no ports left to judge). */
  reason?: string;
  agents: AgentVerdict[];
}

/** Worst first: a breach outranks a blocked service, which outranks not knowing. */
const RANK: Record<CellColour, number> = { red: 3, amber: 2, grey: 1, green: 0 };

export function worst(colours: readonly CellColour[]): CellColour {
  return colours.reduce<CellColour>((w, c) => (RANK[c] > RANK[w] ? c : w), 'green');
}

/** Read the exposure transcript's `violations` and `missing` lists; anything else is ignored. */
export function parseFindings(transcript: Uint8Array | null): AgentObservation['findings'] {
  if (transcript === null) return undefined;
  try {
    const body = JSON.parse(Buffer.from(transcript).toString('utf8')) as { type?: unknown; violations?: unknown; missing?: unknown; aborted?: unknown };
    if (body.type !== 'exposure') return undefined;
    const list = (value: unknown): PortFinding[] =>
      Array.isArray(value) ? value.filter((f): f is PortFinding => typeof f === 'object' && f !== null && typeof f.host === 'string' && Number.isInteger(f.port)) : [];
    return { violations: list(body.violations), missing: list(body.missing), aborted: body.aborted === true };
  } catch {
    return undefined;
  }
}

/**
 * One agent's word on a rule's cell. Grey when the agent is silent, has no result yet, its
 * newest is older than two intervals (with the jitter the scheduler may add), or the scan
 * did not finish; otherwise red for a denied port found open, amber for an allowed port
 * found closed or filtered, green when it is as the policy says.
 */
export function judgeAgent(rule: SegmentationRule, seen: AgentObservation, intervalMs: number, now: number): AgentVerdict {
  const base = { agent: seen.agent, agentId: seen.agentId, checkedAt: seen.state?.startedAt ?? null, ports: [] as PortFinding[] };
  if (seen.silent) return { ...base, colour: 'grey', reason: 'satellite silent' };
  const state = seen.state;
  if (state === undefined) return { ...base, colour: 'grey', reason: 'no result yet' };
  const finishedAt = state.startedAt + state.durationUs / 1000;
  if (now - finishedAt > 2.2 * intervalMs + 1_000) return { ...base, colour: 'grey', reason: `no result for ${Math.round((now - finishedAt) / 1000)} s` };
  if (state.status === Status.UNKNOWN) return { ...base, colour: 'grey', reason: state.message };
  const ports = new Set(rule.ports);
  if (rule.action === 'deny') {
    const open = (seen.findings?.violations ?? []).filter((f) => ports.has(f.port));
    if (open.length > 0) return { ...base, colour: 'red', reason: 'denied path open', ports: open };
    if (state.observation === 'violation' && seen.findings === undefined) return { ...base, colour: 'red', reason: state.message };
    if (seen.findings?.aborted === true) return { ...base, colour: 'grey', reason: `scan did not finish: ${state.message}` };
    return { ...base, colour: 'green', reason: 'closed or filtered as the policy says' };
  }
  const blocked = (seen.findings?.missing ?? []).filter((f) => ports.has(f.port));
  if (blocked.length > 0 || (state.observation === 'missing' && seen.findings === undefined)) return { ...base, colour: 'amber', reason: 'allowed path blocked', ports: blocked };
  // A stopped scan reports an unexpected open port (status CRITICAL) but never a missing one: it may not have tried it.
  if (seen.findings?.aborted === true) return { ...base, colour: 'grey', reason: `scan did not finish: ${state.message}` };
  return { ...base, colour: 'green', reason: 'open as the policy says' };
}

/** A cell's colour: the worst of its agents; grey with the reason when no agent can say. */
export function judgeCell(rule: SegmentationRule, seen: readonly AgentObservation[], intervalMs: number, now: number): CellVerdict {
  const cell = { from: rule.from, to: rule.to, action: rule.action };
  // No check is generated for a rule whose ports all went to a rule that takes precedence.
  if (rule.ports.length === 0) return { ...cell, colour: 'grey', reason: 'no ports left to judge: a rule that takes precedence judges them', agents: [] };
  if (seen.length === 0) return { ...cell, colour: 'grey', reason: 'no agent in the segment', agents: [] };
  const agents = seen.map((s) => judgeAgent(rule, s, intervalMs, now));
  return { ...cell, colour: worst(agents.map((a) => a.colour)), agents };
}

/**
 * Whether a colour change is paged: a cell turning red or amber, or green again after it.
 * `lastKnown` is the newest colour other than grey before this change, so a grey spell
 * (a collector restart, a silent satellite, a stopped scan) neither pages a breach a second
 * time when it reappears nor swallows the recovery when the cell comes back green.
 *
 * @example
 * driftPaged('red', 'red') // false: red -> grey -> red is the same breach
 */
export function driftPaged(lastKnown: CellColour | undefined, colour: CellColour): boolean {
  if (colour === 'grey' || colour === lastKnown) return false;
  return colour !== 'green' || lastKnown === 'red' || lastKnown === 'amber';
}

/** Whether any target of the policy names `port` on `host` (an address, or one inside a CIDR). */
export function policyMentions(policy: SegmentationPolicy, host: string, port: number): boolean {
  const address = ipv4Range(host);
  return policy.targets.some(
    (target) =>
      target.ports.includes(port) &&
      target.hosts.some((h) => {
        const range = ipv4Range(h);
        return range && address ? address.first >= range.first && address.last <= range.last : sameHost(h, host);
      }),
  );
}

/** "192.0.2.7:22 (ssh "SSH-2.0-OpenSSH_9.2") seen by office-1": evidence in one line. */
export function describeFinding(f: PortFinding): string {
  const service = f.service ?? '';
  const banner = f.banner !== undefined ? ` "${f.banner.slice(0, 48)}"` : '';
  const detail = service || banner ? ` (${service}${service && banner ? ' ' : ''}${banner.trim()})` : '';
  return `${f.host.includes(':') ? `[${f.host}]` : f.host}:${f.port} ${f.state}${detail}`;
}
