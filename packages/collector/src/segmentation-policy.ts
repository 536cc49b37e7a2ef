import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from './notify/config.js';

/** A named group of agents: by name glob, or by their `segment` label from `agents:`. */
export interface SegmentDefinition {
  name: string;
  agents: string[];
}

/** A column of the matrix: hosts (addresses or CIDRs) and the ports that matter on them. */
export interface TargetDefinition {
  name: string;
  hosts: string[];
  ports: number[];
}

/** `from SEGMENT to TARGET: allow | deny`; `ports` is what this rule's cell judges (after precedence). */
export interface SegmentationRule {
  index: number;
  from: string;
  to: string;
  action: 'allow' | 'deny';
  ports: number[];
}

/** The `segmentation:` section of the collector config, validated and normalised. */
export interface SegmentationPolicy {
  intervalMs: number;
  portTimeoutMs: number;
  /** Probes per second for one agent, shared by all its generated checks. */
  maxRatePerAgent: number;
  concurrency: number;
  /** A CIDR wider than this prefix length is refused. */
  maxCidrPrefix: number;
  /** Scanned on every target host beyond the policy's ports, to notice unexpected services. */
  watchPorts: number[];
  precedence: 'allow' | 'deny' | undefined;
  segments: SegmentDefinition[];
  targets: TargetDefinition[];
  rules: SegmentationRule[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const name = z.string().regex(NAME, 'expected 1-64 characters: letters, digits and . _ -');
const MAX_PORTS_PER_TARGET = 4_096;

/** "22,80,8000-8100" (or a number, or a list of them) as sorted unique ports. */
export function parsePorts(value: string | number | (string | number)[]): number[] | string {
  const ports = new Set<number>();
  for (const part of (Array.isArray(value) ? value.join(',') : String(value)).split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2] ?? m?.[1]);
    if (!m || lo < 1 || hi > 65_535 || lo > hi) return `expected ports such as "22,80,8000-8100" in 1-65535, got "${part}"`;
    // Counted as added, so a port listed twice (or overlapping ranges) counts once.
    for (let port = lo; port <= hi; port++) {
      ports.add(port);
      if (ports.size > MAX_PORTS_PER_TARGET) return `expected at most ${MAX_PORTS_PER_TARGET} ports, got more`;
    }
  }
  return [...ports].sort((a, b) => a - b);
}

const portsField = z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))]).transform((value, ctx) => {
  const parsed = parsePorts(value);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** An IPv4 address or CIDR as an inclusive range of 32-bit numbers; undefined for anything else. */
export function ipv4Range(host: string): { first: number; last: number; prefix: number } | undefined {
  const [address, prefixText, ...rest] = host.split('/');
  if (isIP(address!) !== 4 || rest.length > 0) return undefined;
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (!/^\d{1,2}$/.test(prefixText ?? '32') || prefix > 32) return undefined;
  const value = address!.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(value / size) * size;
  return { first, last: first + size - 1, prefix };
}

/**
 * Whether two host entries name the same single host: names compare without case, IPv6
 * addresses by value (the agent reports `2001:db8:0::1` as `2001:db8::1`).
 */
export function sameHost(a: string, b: string): boolean {
  return canonicalHost(a) === canonicalHost(b);
}

function canonicalHost(host: string): string {
  const bare = /^\[(.+)\]$/.exec(host)?.[1] ?? host;
  if (isIP(bare) !== 6) return host.toLowerCase();
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    // A zone id (fe80::1%eth0) is no URL host; it can only match itself.
    return bare.toLowerCase();
  }
}

function hostsOverlap(a: string, b: string): boolean {
  const ra = ipv4Range(a);
  const rb = ipv4Range(b);
  if (ra && rb) return ra.first <= rb.last && rb.first <= ra.last;
  return sameHost(a, b);
}

const raw = z.strictObject({
  interval: duration({ minMs: 1_000, maxMs: 86_400_000 }).default(60_000),
  port_timeout: duration({ minMs: 50, maxMs: 30_000 }).default(1_000),
  max_rate: z.number().positive().max(100_000).default(500),
  concurrency: z.number().int().min(1).max(4_096).default(64),
  max_cidr_prefix: z.number().int().min(12).max(32).default(24),
  watch_ports: portsField.prefault(''),
  precedence: z.enum(['allow', 'deny']).optional(),
  segments: z.array(z.strictObject({ name, agents: z.array(z.string().min(1)).default([]) })).min(1),
  targets: z.array(z.strictObject({ name, hosts: z.array(z.string().min(1)).min(1).max(256), ports: portsField })).min(1),
  rules: z.array(z.strictObject({ from: z.string(), to: z.string(), action: z.enum(['allow', 'deny']) })).min(1),
});

/**
 * The `segmentation:` section: segments, targets and rules, with the checks' budget. Rules
 * naming an unknown segment or target, CIDRs wider than `max_cidr_prefix`, and allow and
 * deny rules from one segment that cover the same host and port without a `precedence`
 * are refused with the rule's path and the reason.
 */
export const segmentationSchema = raw
  .superRefine((s, ctx) => {
    const unique = (list: { name: string }[], what: string) => {
      const seen = new Set<string>();
      list.forEach((entry, i) => {
        if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: [what, i, 'name'], message: `expected a unique name, "${entry.name}" is used more than once` });
        seen.add(entry.name);
      });
    };
    unique(s.segments, 'segments');
    unique(s.targets, 'targets');
    s.targets.forEach((target, t) => {
      if (target.ports.length === 0) ctx.addIssue({ code: 'custom', path: ['targets', t, 'ports'], message: 'expected at least one port' });
      target.hosts.forEach((host, h) => {
        const range = ipv4Range(host);
        if (host.includes('/') && range === undefined) ctx.addIssue({ code: 'custom', path: ['targets', t, 'hosts', h], message: `expected an IPv4 address or CIDR, got "${host}"` });
        else if (range && range.prefix < s.max_cidr_prefix) {
          const users = s.rules.flatMap((rule, r) => (rule.to === target.name ? [`rules[${r}]`] : []));
          const usedBy = users.length > 0 ? ` (used by ${users.join(', ')})` : '';
          ctx.addIssue({ code: 'custom', path: ['targets', t, 'hosts', h], message: `${host} is wider than the maximum /${s.max_cidr_prefix} (segmentation.max_cidr_prefix)${usedBy}` });
        }
      });
    });
    const segments = new Set(s.segments.map((x) => x.name));
    const targets = new Map(s.targets.map((x) => [x.name, x]));
    const pairs = new Map<string, number>();
    s.rules.forEach((rule, r) => {
      if (!segments.has(rule.from)) ctx.addIssue({ code: 'custom', path: ['rules', r, 'from'], message: `unknown segment "${rule.from}" (segments: ${[...segments].join(', ')})` });
      if (!targets.has(rule.to)) ctx.addIssue({ code: 'custom', path: ['rules', r, 'to'], message: `unknown target "${rule.to}" (targets: ${[...targets.keys()].join(', ')})` });
      const pair = `${rule.from}\u0000${rule.to}`;
      const earlier = pairs.get(pair);
      if (earlier !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', r], message: `rules[${earlier}] already judges ${rule.from} -> ${rule.to}; one rule per segment and target` });
      pairs.set(pair, r);
    });
    if (s.precedence !== undefined) return;
    s.rules.forEach((rule, r) => {
      s.rules.forEach((other, o) => {
        if (o <= r || other.from !== rule.from || other.action === rule.action) return;
        const overlap = overlapOf(targets.get(rule.to), targets.get(other.to));
        if (overlap === undefined) return;
        const message = `overlaps rules[${r}] (${rule.action} ${rule.from} -> ${rule.to}) on ${overlap} with ${other.action}, and no precedence is stated (segmentation.precedence: allow | deny)`;
        ctx.addIssue({ code: 'custom', path: ['rules', o], message });
      });
    });
  })
  .transform((s): SegmentationPolicy => {
    const targets = new Map(s.targets.map((x) => [x.name, x]));
    const rules: SegmentationRule[] = s.rules.map((rule, index) => {
      const own = targets.get(rule.to)!;
      // Ports the winning action covers on overlapping hosts are left to the winner's cell.
      const lost = new Set<number>();
      if (s.precedence !== undefined && rule.action !== s.precedence) {
        for (const other of s.rules) {
          if (other.from !== rule.from || other.action !== s.precedence) continue;
          const target = targets.get(other.to)!;
          if (own.hosts.some((a) => target.hosts.some((b) => hostsOverlap(a, b)))) for (const port of target.ports) lost.add(port);
        }
      }
      return { index, from: rule.from, to: rule.to, action: rule.action, ports: own.ports.filter((port) => !lost.has(port)) };
    });
    return {
      intervalMs: s.interval,
      portTimeoutMs: s.port_timeout,
      maxRatePerAgent: s.max_rate,
      concurrency: s.concurrency,
      maxCidrPrefix: s.max_cidr_prefix,
      watchPorts: s.watch_ports,
      precedence: s.precedence,
      segments: s.segments,
      targets: s.targets,
      rules,
    };
  });

/** "192.0.2.10:22,80" for the first host pair and the shared ports, or undefined when they share none. */
function overlapOf(a: TargetDefinition | undefined, b: TargetDefinition | undefined): string | undefined {
  if (!a || !b) return undefined;
  const ports = a.ports.filter((port) => b.ports.includes(port));
  if (ports.length === 0) return undefined;
  for (const ha of a.hosts) for (const hb of b.hosts) if (hostsOverlap(ha, hb)) return `${ha} / ${hb} port${ports.length === 1 ? '' : 's'} ${ports.slice(0, 8).join(',')}${ports.length > 8 ? ',…' : ''}`;
  return undefined;
}
