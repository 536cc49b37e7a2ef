import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { MAX_RETRIES, ScanEngine, type ResolvedScanOptions } from './port-scanner-engine.js';
import { claimedRanges, MAX_SHARDS, ProbeQueue, shareProbes } from './port-scanner-queue.js';
import { runInWorker, WORKERS_AVAILABLE, type ShardOutcome } from './port-scanner-worker.js';
import { SCAN_CONCURRENCY, SCAN_PORT_TIMEOUT_MS } from './scan-limits.js';

export interface ScanOptions {
  /** Connects in flight at once. */
  concurrency?: number;
  /** Most connects started per second (token bucket); undefined for no cap. */
  maxRate?: number;
  /** A probe that has not been answered after this long is sent again, or the port is `filtered`. */
  portTimeoutMs?: number;
  /**
   * Times a silent port is probed again before it counts as `filtered` (default 1, like
   * `nmap --max-retries 1`): one lost SYN on a lossy link must not hide an open port.
   * Each retry costs a silent port another `portTimeoutMs`; 0 to 15.
   */
  retries?: number;
  /** Closed and filtered ports are listed per host up to this many each (then only counted). */
  maxListedPorts?: number;
  /** Use `net.Socket` instead of raw TCP handles (slower; for runtimes without `tcp_wrap`). */
  portableSockets?: boolean;
  /**
   * Threads to spread a big scan over (default: the cores, at most 4): this one plus
   * workers; 1 keeps it in this thread. A connect costs more in the kernel than in
   * JavaScript, so a second core nearly halves a full-range scan.
   */
  threads?: number;
}

export interface ScanProgress {
  done: number;
  total: number;
  open: number;
  /** Probes finished per second since the scan started. */
  ratePerSec: number;
  elapsedMs: number;
}

export interface HostScan {
  /** The target as given (address or host name). */
  target: string;
  /** The address scanned; undefined when the name did not resolve. */
  address?: string;
  /** Why the host was not scanned (e.g. `ENOTFOUND`). */
  resolveError?: string;
  open: number[];
  closed: number;
  filtered: number;
  /** Probes that failed with an unexpected local error (EACCES, EADDRNOTAVAIL, ...). */
  errors: number;
  /** The first `maxListedPorts` closed and filtered ports, ascending per probe order. */
  closedPorts: number[];
  filteredPorts: number[];
  /** Loopback connects that reached themselves (local port = remote port); counted as closed. */
  selfConnects: number;
  /** Probes sent again after no answer (see `ScanOptions.retries`); set by scanPorts. */
  retried?: number;
}

export interface ScanResult {
  hosts: HostScan[];
  /** Ports per host, in scan order. */
  ports: readonly number[];
  /** Probes planned (hosts that resolved × ports) and probes finished. */
  total: number;
  done: number;
  startedAt: number;
  durationMs: number;
  /** The signal stopped the scan; ports not yet answered count nowhere. */
  aborted: boolean;
  /** Threads the probes ran on (1 = this thread only). */
  threads: number;
}

const DEFAULTS = { concurrency: 512, portTimeoutMs: 1_000, maxListedPorts: 1_024, retries: 1, threads: Math.min(4, availableParallelism()) };
const PROGRESS_EVERY_MS = 1_000;
/** Below this many probes per thread, starting a worker costs more than it saves. */
const MIN_PROBES_PER_THREAD = 8_192;

/**
 * What each numeric option accepts, inclusive; `maxRate` is any finite number above 0. The
 * exposure check's schema holds to the same concurrency and port timeout bounds (scan-limits.ts).
 */
export const SCAN_LIMITS = {
  concurrency: SCAN_CONCURRENCY,
  portTimeoutMs: SCAN_PORT_TIMEOUT_MS,
  retries: { min: 0, max: MAX_RETRIES },
  threads: { min: 1, max: MAX_SHARDS },
  maxListedPorts: { min: 0, max: Number.MAX_SAFE_INTEGER },
} as const;

export interface ScanOptionProblem {
  option: keyof ScanOptions;
  /** What the option accepts, e.g. `a whole number from 1 to 16384`. */
  expected: string;
  got: number;
}

/**
 * The first numeric option the scanner cannot work with, or undefined when all are usable.
 * Each bad value fails in its own way further in: a max rate of 0 or below never lets a
 * probe out (the scan hangs), NaN caps nothing, a fractional or NaN concurrency sizes no
 * slot table.
 *
 * @example
 * scanOptionProblem({ maxRate: -5 }) // { option: 'maxRate', expected: 'a number above 0', got: -5 }
 */
export function scanOptionProblem(options: ScanOptions): ScanOptionProblem | undefined {
  const { maxRate } = options;
  if (maxRate !== undefined && !(Number.isFinite(maxRate) && maxRate > 0)) return { option: 'maxRate', expected: 'a number above 0', got: maxRate };
  for (const [option, { min, max }] of Object.entries(SCAN_LIMITS) as [keyof typeof SCAN_LIMITS, { min: number; max: number }][]) {
    const value = options[option];
    if (value === undefined) continue;
    const whole = option !== 'portTimeoutMs';
    if ((whole ? Number.isInteger(value) : Number.isFinite(value)) && value >= min && value <= max) continue;
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    return { option, expected: `${whole ? 'a whole number' : 'a number'} ${range}`, got: value };
  }
  return undefined;
}

/**
 * TCP connect scan of every port on every target. States: open, closed (refused) and
 * filtered (no answer within `portTimeoutMs`, or host unreachable). Never rejects for
 * network outcomes; on abort it stops at once and reports what was finished. Options
 * outside SCAN_LIMITS throw a RangeError before anything is sent: callers validate what
 * people type first (`scan`, the exposure schema), so reaching it is a bug.
 *
 * @example
 * const result = await scanPorts(['127.0.0.1'], parsePortList('1-65535').value, {}, AbortSignal.timeout(30_000));
 * result.hosts[0].open // [22, 631]
 */
export async function scanPorts(
  targets: readonly string[],
  ports: readonly number[],
  options: ScanOptions,
  signal: AbortSignal,
  onProgress?: (progress: ScanProgress) => void,
): Promise<ScanResult> {
  const problem = scanOptionProblem(options);
  if (problem !== undefined) throw new RangeError(`scan option ${problem.option}: expected ${problem.expected}, got ${problem.got}`);
  const startedAt = Date.now();
  const started = performance.now();
  const hosts = await resolveAll(targets, signal);
  const scanned = hosts.filter((host) => host.address !== undefined);
  const resolved = { ...DEFAULTS, ...withoutUndefined(options) };
  const total = scanned.length * ports.length;
  const threads = WORKERS_AVAILABLE ? Math.max(1, Math.min(resolved.threads, Math.floor(total / MIN_PROBES_PER_THREAD))) : 1;
  const shardTotals = Array.from({ length: threads }, () => ({ done: 0, open: 0 }));
  let lastProgress = started;
  const onTick = (shard: number, done: number, open: number) => {
    shardTotals[shard] = { done, open };
    const now = performance.now();
    if (onProgress === undefined || now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    const sum = shardTotals.reduce((acc, t) => ({ done: acc.done + t.done, open: acc.open + t.open }), { done: 0, open: 0 });
    const elapsedMs = now - started;
    onProgress({ ...sum, total, ratePerSec: (sum.done * 1000) / elapsedMs, elapsedMs });
  };
  const shardOptions = threads === 1 ? resolved : { ...resolved, concurrency: Math.ceil(resolved.concurrency / threads), maxRate: resolved.maxRate && resolved.maxRate / threads };
  const runShard = (shard: number, queue: ProbeQueue) => runHere(scanned, ports, shardOptions, queue, signal, (done, open) => onTick(shard, done, open));
  let outcomes: ShardOutcome[];
  if (threads === 1) outcomes = [await runShard(0, new ProbeQueue([0, total]))];
  else {
    // Every thread claims chunks of probes as it goes (see port-scanner-queue.ts). This one
    // is shard 0 and starts at once; the workers join ~40 ms later, when they have started.
    const shared = shareProbes(total);
    outcomes = await Promise.all(
      Array.from({ length: threads }, (_, shard) => {
        if (shard === 0) return runShard(0, new ProbeQueue([], shared, 0));
        // A worker that fails loses what it found: the probes it had claimed run again here.
        const fallback = () => runShard(shard, new ProbeQueue(claimedRanges(shared, shard), shared, shard));
        return runInWorker(blankHosts(scanned), ports, shard, shared, shardOptions, signal, (done, open) => onTick(shard, done, open), fallback);
      }),
    );
  }
  for (const [i, host] of scanned.entries()) merge(host, outcomes.map((outcome) => outcome.hosts[i]!), resolved.maxListedPorts);
  return {
    hosts,
    ports,
    total,
    done: outcomes.reduce((sum, outcome) => sum + outcome.done, 0),
    startedAt,
    durationMs: performance.now() - started,
    aborted: outcomes.some((outcome) => outcome.aborted),
    threads,
  };
}

async function runHere(
  hosts: HostScan[],
  ports: readonly number[],
  options: ResolvedScanOptions,
  queue: ProbeQueue,
  signal: AbortSignal,
  onTick: (done: number, open: number) => void,
): Promise<ShardOutcome> {
  const own = blankHosts(hosts);
  const engine = new ScanEngine(own, ports, options, queue, onTick);
  await engine.run(signal);
  return { hosts: own, done: engine.done, aborted: engine.aborted };
}

function blankHosts(hosts: readonly HostScan[]): HostScan[] {
  return hosts.map((host) => emptyHost(host.target, host.address));
}

function merge(into: HostScan, parts: HostScan[], maxListed: number): void {
  const ascending = (a: number, b: number) => a - b;
  for (const part of parts) {
    into.open.push(...part.open);
    into.closed += part.closed;
    into.filtered += part.filtered;
    into.errors += part.errors;
    into.selfConnects += part.selfConnects;
    into.retried = (into.retried ?? 0) + (part.retried ?? 0);
    into.closedPorts.push(...part.closedPorts);
    into.filteredPorts.push(...part.filteredPorts);
  }
  into.open.sort(ascending);
  into.closedPorts = into.closedPorts.sort(ascending).slice(0, maxListed);
  into.filteredPorts = into.filteredPorts.sort(ascending).slice(0, maxListed);
}

function emptyHost(target: string, address?: string): HostScan {
  const host: HostScan = { target, open: [], closed: 0, filtered: 0, errors: 0, closedPorts: [], filteredPorts: [], selfConnects: 0, retried: 0 };
  if (address !== undefined) host.address = address;
  return host;
}

async function resolveAll(targets: readonly string[], signal: AbortSignal): Promise<HostScan[]> {
  return Promise.all(
    targets.map(async (target) => {
      const host = emptyHost(target);
      if (isIP(target) !== 0) host.address = target;
      else if (!signal.aborted) {
        try {
          host.address = (await lookup(target)).address;
        } catch (error: unknown) {
          host.resolveError = (error as NodeJS.ErrnoException).code ?? 'ERESOLVE';
        }
      }
      return host;
    }),
  );
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

