import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ScanEngine, type ResolvedScanOptions, type ShardMessage, type ShardRequest } from './port-scanner-engine.js';

export interface ScanOptions {
  /** Connects in flight at once. */
  concurrency?: number;
  /** Most connects started per second (token bucket); undefined for no cap. */
  maxRate?: number;
  /** A port that has not answered after this long is `filtered`. */
  portTimeoutMs?: number;
  /** Closed and filtered ports are listed per host up to this many each (then only counted). */
  maxListedPorts?: number;
  /** Use `net.Socket` instead of raw TCP handles (slower; for runtimes without `tcp_wrap`). */
  portableSockets?: boolean;
  /**
   * Worker threads to spread a big scan over (default: the cores, at most 4); 1 keeps it
   * in this thread. A connect costs more in the kernel than in JavaScript, so a second core
   * nearly halves a full-range scan.
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

const DEFAULTS = { concurrency: 512, portTimeoutMs: 1_000, maxListedPorts: 1_024, threads: Math.min(4, availableParallelism()) };
const PROGRESS_EVERY_MS = 1_000;
/** Below this many probes per thread, starting a worker costs more than it saves. */
const MIN_PROBES_PER_THREAD = 8_192;
// Under a TypeScript runner (vitest) the engine is a .ts file that a worker cannot load.
const ENGINE_URL = new URL('./port-scanner-engine.js', import.meta.url);
const WORKERS_AVAILABLE = import.meta.url.endsWith('.js');

/**
 * TCP connect scan of every port on every target. States: open, closed (refused) and
 * filtered (no answer within `portTimeoutMs`, or host unreachable). Never rejects for
 * network outcomes; on abort it stops at once and reports what was finished.
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
  const startedAt = Date.now();
  const started = performance.now();
  const hosts = await resolveAll(targets, signal);
  const scanned = hosts.filter((host) => host.address !== undefined);
  const resolved = { ...DEFAULTS, ...withoutUndefined(options) };
  const total = scanned.length * ports.length;
  const threads = WORKERS_AVAILABLE ? Math.max(1, Math.min(Math.floor(resolved.threads), Math.floor(total / MIN_PROBES_PER_THREAD), ports.length)) : 1;
  const shardTotals = new Array<{ done: number; open: number }>(threads);
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
  const shards = Array.from({ length: threads }, (_, index) => ({
    index,
    // Interleaved ports give every shard the same mix of quick refusals and slow silences.
    ports: threads === 1 ? ports : ports.filter((_, i) => i % threads === index),
    options: threads === 1 ? resolved : { ...resolved, concurrency: Math.ceil(resolved.concurrency / threads), maxRate: resolved.maxRate && resolved.maxRate / threads },
  }));
  const outcomes = await Promise.all(shards.map((shard) => (threads === 1 ? runHere : runInWorker)(scanned, shard, signal, onTick)));
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

interface Shard {
  index: number;
  ports: readonly number[];
  options: ResolvedScanOptions;
}

interface ShardOutcome {
  hosts: HostScan[];
  done: number;
  aborted: boolean;
}

type OnTick = (shard: number, done: number, open: number) => void;

async function runHere(hosts: HostScan[], shard: Shard, signal: AbortSignal, onTick: OnTick): Promise<ShardOutcome> {
  const own = hosts.map((host) => emptyHost(host.target, host.address));
  const engine = new ScanEngine(own, shard.ports, shard.options, (done, open) => onTick(shard.index, done, open));
  await engine.run(signal);
  return { hosts: own, done: engine.done, aborted: engine.aborted };
}

/** Run one shard in a worker; if the worker cannot start or dies, run it here instead. */
function runInWorker(hosts: HostScan[], shard: Shard, signal: AbortSignal, onTick: OnTick): Promise<ShardOutcome> {
  const request: ShardRequest = { kind: 'outpost-scan-shard', hosts: hosts.map((host) => emptyHost(host.target, host.address)), ports: [...shard.ports], options: shard.options };
  return new Promise((resolve) => {
    const worker = new Worker(ENGINE_URL, { workerData: request });
    const onAbort = () => worker.postMessage('abort');
    let settled = false;
    const settle = (outcome: ShardOutcome | undefined) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
      resolve(outcome ?? runHere(hosts, shard, signal, onTick));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    worker.on('message', (message: ShardMessage) => {
      if (message.type === 'tick') onTick(shard.index, message.done, message.open);
      else settle(message);
    });
    worker.once('error', () => settle(undefined));
    worker.once('exit', () => settle(undefined));
  });
}

function merge(into: HostScan, parts: HostScan[], maxListed: number): void {
  const ascending = (a: number, b: number) => a - b;
  for (const part of parts) {
    into.open.push(...part.open);
    into.closed += part.closed;
    into.filtered += part.filtered;
    into.errors += part.errors;
    into.selfConnects += part.selfConnects;
    into.closedPorts.push(...part.closedPorts);
    into.filteredPorts.push(...part.filteredPorts);
  }
  into.open.sort(ascending);
  into.closedPorts = into.closedPorts.sort(ascending).slice(0, maxListed);
  into.filteredPorts = into.filteredPorts.sort(ascending).slice(0, maxListed);
}

function emptyHost(target: string, address?: string): HostScan {
  const host: HostScan = { target, open: [], closed: 0, filtered: 0, errors: 0, closedPorts: [], filteredPorts: [], selfConnects: 0 };
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

