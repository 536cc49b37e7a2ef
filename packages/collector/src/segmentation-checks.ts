import { globMatches } from './notify/rules.js';
import type { SegmentationPolicy, SegmentationRule } from './segmentation-policy.js';

/** Generated check ids start with this; operators cannot use it in their own remote config. */
export const SEGMENTATION_CHECK_PREFIX = 'seg:';

/** An `exposure` check as the agent's config schema reads it. */
export interface GeneratedCheck {
  id: string;
  type: 'exposure';
  targets: string[];
  ports: string;
  must_open: string;
  interval: string;
  timeout: string;
  port_timeout: string;
  concurrency: number;
  max_rate: number;
  max_cidr_prefix: number;
  grab_banner: true;
}

/** The check that judges one rule's cell from one agent: `seg:<from>:<to>`. */
export function checkIdFor(rule: Pick<SegmentationRule, 'from' | 'to'>): string {
  return `${SEGMENTATION_CHECK_PREFIX}${rule.from}:${rule.to}`;
}

/** Whether an agent serves a segment: a name glob of the segment, or its `segment` label. */
export function inSegment(policy: SegmentationPolicy, segment: string, agent: string, labels: Record<string, string>): boolean {
  const definition = policy.segments.find((s) => s.name === segment);
  if (!definition) return false;
  return labels['segment'] === segment || definition.agents.some((pattern) => globMatches(pattern, agent));
}

/** "22,80,8000-8002" from sorted ports: short enough to read in a pushed config. */
export function formatPorts(ports: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ports.length; i++) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1] === ports[j]! + 1) j++;
    parts.push(j > i ? `${ports[i]}-${ports[j]}` : String(ports[i]));
    i = j;
  }
  return parts.join(',');
}

/**
 * One check's part of an agent's probe budget, rounded down so the parts never add up to
 * more than the budget. Below 1 probe/s it stays fractional (the scanner's token bucket
 * takes that): rounding up to 1 would let an agent with many rules probe faster than
 * `max_rate`.
 */
function rateShare(maxRate: number, checks: number): number {
  const share = maxRate / checks;
  if (share >= 1) return Math.floor(share);
  return Math.floor(share * 1_000) / 1_000 || share;
}

/**
 * The checks one agent runs for the policy: one exposure scan per rule from each of its
 * segments, over the rule's ports plus `watch_ports` (which find unexpected services).
 * An allowed rule's ports must be open; everything else scanned must be closed or
 * filtered. The agent's rate budget is split evenly between its checks, so adding a rule
 * never makes one agent probe faster.
 *
 * @example
 * generateChecks(policy, 'office-1', { segment: 'office' }) // [{ id: 'seg:office:db', type: 'exposure', ... }]
 */
export function generateChecks(policy: SegmentationPolicy, agent: string, labels: Record<string, string>): GeneratedCheck[] {
  const rules = policy.rules.filter((rule) => rule.ports.length > 0 && inSegment(policy, rule.from, agent, labels));
  if (rules.length === 0) return [];
  const targets = new Map(policy.targets.map((t) => [t.name, t]));
  const share = rateShare(policy.maxRatePerAgent, rules.length);
  const concurrency = Math.max(1, Math.floor(policy.concurrency / rules.length));
  return rules.map((rule) => {
    const ports = [...new Set([...rule.ports, ...policy.watchPorts])].sort((a, b) => a - b);
    return {
      id: checkIdFor(rule),
      type: 'exposure',
      targets: [...targets.get(rule.to)!.hosts],
      ports: formatPorts(ports),
      must_open: rule.action === 'allow' ? formatPorts(rule.ports) : '',
      interval: `${policy.intervalMs}ms`,
      timeout: `${policy.intervalMs}ms`,
      port_timeout: `${policy.portTimeoutMs}ms`,
      concurrency,
      max_rate: share,
      max_cidr_prefix: policy.maxCidrPrefix,
      grab_banner: true,
    };
  });
}
