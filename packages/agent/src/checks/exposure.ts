import * as z from 'zod';
import { durationMs } from '../duration.js';
import type { CheckContext, CheckMemory, CheckType, Observation, StatusName } from './check.js';
import { formatPortList, parsePortList, parseTargetList } from './port-list.js';
import type { HostScan, ScanResult } from './port-scanner.js';
import { SCAN_CIDR_PREFIX, SCAN_CONCURRENCY, SCAN_PORT_TIMEOUT_MS } from './scan-limits.js';
import { serviceName } from './scan-report.js';
import { identifyServices } from './service-id.js';
import { formatHostPort } from './target.js';

/** Bounds on what one run reports: evidence must not grow with the size of the range. */
const MAX_TRANSCRIPT_BYTES = 16 * 1024;
const MAX_MESSAGE_ITEMS = 5;
const SERVICE_ID = { maxBytes: 256, timeoutMs: 300, maxPorts: 64, concurrency: 16 };

const portList = z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))]).transform((value, ctx) => {
  const parsed = parsePortList(Array.isArray(value) ? value.join(',') : value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.value;
});

const baseSchema = z
  .object({
    targets: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    ports: portList.prefault('1-65535'),
    must_open: portList.prefault(''),
    may_open: portList.prefault(''),
    // Wider ranges than SCAN_CIDR_PREFIX allows belong in several checks.
    max_cidr_prefix: z.number().int().min(SCAN_CIDR_PREFIX.min).max(SCAN_CIDR_PREFIX.max).default(16),
    concurrency: z.number().int().min(SCAN_CONCURRENCY.min).max(SCAN_CONCURRENCY.max).default(512),
    max_rate: z.number().positive().optional(),
    port_timeout: durationMs({ minMs: SCAN_PORT_TIMEOUT_MS.min, maxMs: SCAN_PORT_TIMEOUT_MS.max }).prefault('1s'),
    grab_banner: z.boolean().default(true),
  })
  .strict();

export const exposureSchema = baseSchema.transform((config, ctx) => {
  const hosts = parseTargetList(config.targets, { maxCidrPrefix: config.max_cidr_prefix });
  if (!hosts.ok) {
    ctx.addIssue({ code: 'custom', path: ['targets'], message: hosts.error });
    return z.NEVER;
  }
  if (config.ports.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['ports'], message: 'expected at least one port to scan, got an empty list' });
    return z.NEVER;
  }
  const scanned = new Set(config.ports);
  const outside = config.must_open.filter((port) => !scanned.has(port));
  if (outside.length > 0) {
    const message = `must_open ports ${formatPortList(outside)} are not in the scanned ports ${formatPortList(config.ports)}`;
    ctx.addIssue({ code: 'custom', path: ['must_open'], message });
    return z.NEVER;
  }
  return { ...config, hosts: hosts.value };
});

export type ExposureConfig = z.output<typeof exposureSchema>;

/** One port that breaks the policy. */
interface Finding {
  host: string;
  port: number;
  state: string;
  banner?: string;
  /** What answered (service-id.ts), when it could be named. */
  service?: string;
}

interface Baseline {
  version: 1;
  /** Open ports by target, as of the last complete scan. */
  hosts: Record<string, number[]>;
}

interface Diff {
  newlyOpen: Finding[];
  newlyClosed: Finding[];
}

async function run(config: ExposureConfig, context: CheckContext): Promise<Observation> {
  const options = { concurrency: config.concurrency, maxRate: config.max_rate, portTimeoutMs: config.port_timeout };
  // The scanner (and its worker threads) loads with the first exposure check, not with every agent.
  const { scanPorts } = await import('./port-scanner.js');
  const result = await scanPorts(config.hosts, config.ports, options, context.signal);
  const allowed = new Set([...config.must_open, ...config.may_open]);
  const unexpected: Finding[] = [];
  const missing: Finding[] = [];
  for (const host of result.hosts) {
    if (host.address === undefined) continue;
    for (const port of host.open) if (!allowed.has(port)) unexpected.push({ host: host.target, port, state: 'open' });
    // After an abort a must_open port may simply not have been tried yet.
    if (result.aborted) continue;
    const open = new Set(host.open);
    for (const port of config.must_open) if (!open.has(port)) missing.push({ host: host.target, port, state: stateOf(host, port) });
  }
  unexpected.sort((a, b) => a.host.localeCompare(b.host) || a.port - b.port);
  if (config.grab_banner && unexpected.length > 0 && !context.signal.aborted) await addBanners(unexpected, result, context.signal);
  const diff = result.aborted ? undefined : diffBaseline(context.memory, result, config.ports);
  return observe(config, result, unexpected, missing, diff);
}

function stateOf(host: HostScan, port: number): string {
  if (host.closedPorts.includes(port)) return 'closed';
  if (host.filteredPorts.includes(port)) return 'filtered';
  return host.closed >= host.filtered ? 'closed' : 'filtered';
}

async function addBanners(findings: Finding[], result: ScanResult, signal: AbortSignal): Promise<void> {
  const addresses = new Map(result.hosts.map((host) => [host.target, host.address!]));
  const targets = findings.slice(0, SERVICE_ID.maxPorts).map((finding) => ({ address: addresses.get(finding.host)!, port: finding.port }));
  const guesses = await identifyServices(targets, SERVICE_ID, signal);
  guesses.forEach((guess, i) => {
    if (guess.evidence !== '') findings[i]!.banner = guess.evidence;
    if (guess.service !== 'unknown') findings[i]!.service = guess.service;
  });
}

/** Compare with the last complete scan in memory, then make this scan the new baseline. */
function diffBaseline(memory: CheckMemory | undefined, result: ScanResult, ports: readonly number[]): Diff | undefined {
  if (memory === undefined) return undefined;
  const previous = asBaseline(memory.get());
  const next: Baseline = { version: 1, hosts: { ...previous?.hosts } };
  const scanned = new Set(ports);
  const diff: Diff = { newlyOpen: [], newlyClosed: [] };
  for (const host of result.hosts) {
    if (host.address === undefined) continue;
    const open = [...host.open].sort((a, b) => a - b);
    next.hosts[host.target] = open;
    const before = previous?.hosts[host.target];
    if (before === undefined) continue;
    const was = new Set(before);
    const is = new Set(open);
    for (const port of open) if (!was.has(port)) diff.newlyOpen.push({ host: host.target, port, state: 'open' });
    for (const port of before) if (scanned.has(port) && !is.has(port)) diff.newlyClosed.push({ host: host.target, port, state: stateOf(host, port) });
  }
  memory.set(next);
  return previous === undefined ? undefined : diff;
}

function asBaseline(value: unknown): Baseline | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { version, hosts } = value as Partial<Baseline>;
  if (version !== 1 || typeof hosts !== 'object' || hosts === null) return undefined;
  const valid = Object.values(hosts).every((ports) => Array.isArray(ports) && ports.every((port) => Number.isInteger(port)));
  return valid ? { version, hosts } : undefined;
}

function observe(config: ExposureConfig, result: ScanResult, unexpected: Finding[], missing: Finding[], diff: Diff | undefined): Observation {
  const scanned = result.hosts.filter((host) => host.address !== undefined);
  const unresolved = result.hosts.filter((host) => host.address === undefined);
  const count = (pick: (host: HostScan) => number) => scanned.reduce((sum, host) => sum + pick(host), 0);
  const metrics: Record<string, number> = {
    open_ports: count((host) => host.open.length),
    closed_ports: count((host) => host.closed),
    filtered_ports: count((host) => host.filtered),
    violations: unexpected.length + missing.length,
    scanned_ports: result.done,
    scan_ms: Math.round(result.durationMs),
  };
  if (diff !== undefined) {
    metrics.newly_open = diff.newlyOpen.length;
    metrics.newly_closed = diff.newlyClosed.length;
  }
  let status: StatusName = 'OK';
  let observation = 'compliant';
  if (unexpected.length > 0) [status, observation] = ['CRITICAL', 'violation'];
  else if (missing.length > 0) [status, observation] = ['CRITICAL', 'missing'];
  else if (result.aborted) [status, observation] = ['UNKNOWN', 'timeout'];
  else if (unresolved.length > 0) [status, observation] = ['UNKNOWN', 'resolve_failed'];

  const parts: string[] = [];
  if (unexpected.length > 0) parts.push(`${unexpected.length} unexpected open: ${listed(unexpected, true)}`);
  if (missing.length > 0) parts.push(`${missing.length} must be open but ${listed(missing, false)}`);
  if (diff !== undefined && diff.newlyOpen.length > 0) parts.push(`newly open: ${listed(diff.newlyOpen, false)}`);
  if (diff !== undefined && diff.newlyClosed.length > 0) parts.push(`newly closed: ${listed(diff.newlyClosed, false)}`);
  if (unresolved.length > 0) parts.push(`unresolved: ${unresolved.map((host) => `${host.target} (${host.resolveError})`).join(', ')}`);
  const seconds = (result.durationMs / 1000).toFixed(2);
  const hostsText = `${scanned.length} host${scanned.length === 1 ? '' : 's'}`;
  parts.push(
    result.aborted
      ? `scan stopped after ${result.done} of ${result.total} probes in ${seconds} s`
      : `${config.ports.length} ports on ${hostsText} in ${seconds} s, ${metrics.open_ports} open, ${metrics.filtered_ports} filtered`,
  );
  const observed: Observation = { status, observation, message: `${describe(config)}: ${parts.join('; ')}`, metrics };
  const changed = diff !== undefined && diff.newlyOpen.length + diff.newlyClosed.length > 0;
  if (unexpected.length + missing.length > 0 || changed) observed.transcript = transcript(config, result, unexpected, missing, diff);
  return observed;
}

function listed(findings: Finding[], withBanner: boolean): string {
  const shown = findings.slice(0, MAX_MESSAGE_ITEMS).map((finding) => {
    const where = formatHostPort({ host: finding.host, port: finding.port });
    const service = finding.service ?? serviceName(finding.port);
    const detail = finding.state === 'open' ? (service === 'unknown' ? '' : ` ${service}`) : ` ${finding.state}`;
    const banner = withBanner && finding.banner !== undefined ? ` "${finding.banner.slice(0, 48)}"` : '';
    return `${where}${detail}${banner}`;
  });
  const more = findings.length - shown.length;
  return more > 0 ? `${shown.join(', ')} (+${more} more)` : shown.join(', ');
}

/**
 * Evidence as JSON, bounded by MAX_TRANSCRIPT_BYTES: entries that would not fit are left
 * out and counted in `omitted`, so the record says that it is incomplete.
 */
function transcript(config: ExposureConfig, result: ScanResult, unexpected: Finding[], missing: Finding[], diff: Diff | undefined): Uint8Array {
  const sections: [string, Finding[]][] = [
    ['violations', unexpected],
    ['missing', missing],
    ['newly_open', diff?.newlyOpen ?? []],
    ['newly_closed', diff?.newlyClosed ?? []],
  ];
  const body: Record<string, unknown> = {
    type: 'exposure',
    targets: describe(config),
    ports: formatPortList(config.ports),
    allowed: formatPortList([...new Set([...config.must_open, ...config.may_open])].sort((a, b) => a - b)),
    scanned_ports: result.done,
    aborted: result.aborted,
  };
  let budget = MAX_TRANSCRIPT_BYTES - Buffer.byteLength(JSON.stringify(body)) - 200;
  let omitted = 0;
  for (const [name, findings] of sections) {
    const kept: Finding[] = [];
    for (const finding of findings) {
      const size = Buffer.byteLength(JSON.stringify(finding)) + 1;
      if (size > budget) omitted++;
      else {
        kept.push(finding);
        budget -= size;
      }
    }
    body[name] = kept;
  }
  body.omitted = omitted;
  return new TextEncoder().encode(JSON.stringify(body));
}

function describe(config: ExposureConfig): string {
  return Array.isArray(config.targets) ? config.targets.join(',') : config.targets;
}

/** What {@link observe} can emit; `newly_*` only once there is a previous scan to compare with. */
const EXPOSURE_METRICS = ['open_ports', 'closed_ports', 'filtered_ports', 'violations', 'scanned_ports', 'scan_ms', 'newly_open', 'newly_closed'];

/**
 * Exposure check: scan hosts or a range and hold them to a port policy. Ports in
 * `must_open` must be open, ports in `may_open` may be, every other scanned port must be
 * closed or filtered. Differences from the previous scan are reported as newly open/closed.
 *
 * @example
 * // config: { type: exposure, targets: 192.0.2.0/24, ports: "1-65535", must_open: "22", may_open: "80,443" }
 * const result = await exposureCheck.run(exposureCheck.schema.parse(raw), { signal, timeoutMs, memory });
 */
export const exposureCheck: CheckType<ExposureConfig> = {
  type: 'exposure',
  schema: exposureSchema,
  describe,
  metrics: () => EXPOSURE_METRICS,
  run,
};
