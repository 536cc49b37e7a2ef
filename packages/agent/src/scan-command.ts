import { formatDuration, parseDurationMs } from '@outpost/protocol';
import { parsePortList, parseTargetList } from './checks/port-list.js';
import type { ScanOptions, ScanProgress } from './checks/port-scanner.js';
import { SCAN_CIDR_PREFIX } from './checks/scan-limits.js';
import { renderScanReport, scanReportJson, type ServiceGuesses } from './checks/scan-report.js';
import { identifyServices } from './checks/service-id.js';

export interface ScanCommandOptions {
  target: string;
  ports: string;
  concurrency: number;
  maxRate?: number;
  portTimeout: string;
  json: boolean;
  maxCidrPrefix: number;
  /** Identify what answers on open ports (a banner or one harmless probe at a time). */
  service?: boolean;
}

/** Past this many open ports the scan reports port names only: identification costs connections. */
const MAX_IDENTIFIED_PORTS = 256;
/** yargs turns `--concurrency abc` into NaN; say so rather than print "NaN". */
const shown = (value: number) => (Number.isNaN(value) ? 'something that is not a number' : String(value));

/**
 * `outpost-agent scan TARGET -p RANGE`: a TCP connect scan printed like nmap, with a
 * progress line on stderr for long scans. Returns the exit code: 0 once the scan ran (a
 * target that did not resolve is reported, as nmap does, not an error), 2 for bad input,
 * which is checked before anything is resolved or sent.
 */
export async function scanCommand(options: ScanCommandOptions, signal: AbortSignal): Promise<number> {
  // Imported here, not at the top: the one-file agent (scripts/build-agent-bundle.mjs) keeps
  // the scanner in its own file for its worker threads, and a static import would load it
  // into every `outpost-agent run`.
  const { scanPorts, scanOptionProblem, SCAN_LIMITS } = await import('./checks/port-scanner.js');
  const usage = (problem: string) => {
    process.stderr.write(`outpost-agent scan: ${problem}\n`);
    return 2;
  };
  const { maxCidrPrefix } = options;
  if (!Number.isInteger(maxCidrPrefix) || maxCidrPrefix < SCAN_CIDR_PREFIX.min || maxCidrPrefix > SCAN_CIDR_PREFIX.max) {
    return usage(`--max-cidr-prefix: expected a whole number from ${SCAN_CIDR_PREFIX.min} to ${SCAN_CIDR_PREFIX.max}, got ${shown(maxCidrPrefix)}`);
  }
  const targets = parseTargetList(options.target, { maxCidrPrefix });
  if (!targets.ok) return usage(`target: ${targets.error}`);
  const ports = parsePortList(options.ports);
  if (!ports.ok) return usage(`-p: ${ports.error}`);
  const portTimeoutMs = parseDurationMs(options.portTimeout);
  const timeoutBounds = SCAN_LIMITS.portTimeoutMs;
  if (portTimeoutMs === undefined || portTimeoutMs < timeoutBounds.min || portTimeoutMs > timeoutBounds.max) {
    return usage(`--port-timeout: expected a duration from ${formatDuration(timeoutBounds.min)} to ${formatDuration(timeoutBounds.max)} such as 1s, got ${JSON.stringify(options.portTimeout)}`);
  }
  const scanOptions: ScanOptions = { concurrency: options.concurrency, portTimeoutMs, ...(options.maxRate === undefined ? {} : { maxRate: options.maxRate }) };
  const problem = scanOptionProblem(scanOptions);
  if (problem !== undefined) {
    const flag = problem.option === 'maxRate' ? '--max-rate' : '--concurrency';
    const unit = problem.option === 'maxRate' ? 'connects per second, ' : '';
    return usage(`${flag}: expected ${unit}${problem.expected}, got ${shown(problem.got)}`);
  }
  const total = targets.value.length * ports.value.length;
  process.stderr.write(`Starting Outpost scan of ${targets.value.length} host${targets.value.length === 1 ? '' : 's'}, ${ports.value.length} port${ports.value.length === 1 ? '' : 's'} each\n`);
  const tty = process.stderr.isTTY;
  const onProgress = (p: ScanProgress) => {
    const pct = ((p.done / p.total) * 100).toFixed(1);
    const eta = p.ratePerSec > 0 ? Math.ceil((p.total - p.done) / p.ratePerSec) : 0;
    process.stderr.write(`${tty ? '\r' : ''}Progress: ${pct}% (${p.done}/${p.total}), ${p.open} open, ${Math.round(p.ratePerSec)} ports/s, ETC ${eta}s${tty ? '   ' : '\n'}`);
  };
  const result = await scanPorts(targets.value, ports.value, scanOptions, signal, total >= 5_000 ? onProgress : undefined);
  if (tty && total >= 5_000) process.stderr.write('\n');
  // As nmap: names that did not resolve are listed in the report, and a scan left with no
  // address at all says so, but it ran as asked and exits 0.
  if (result.hosts.every((host) => host.resolveError !== undefined)) process.stderr.write('WARNING: no target resolved, so 0 hosts scanned.\n');
  let services: ServiceGuesses | undefined;
  if (options.service === true && !signal.aborted) {
    const open = result.hosts.flatMap((host) => (host.address === undefined ? [] : host.open.map((port) => ({ address: host.address!, port })))).slice(0, MAX_IDENTIFIED_PORTS);
    const guesses = await identifyServices(open, { concurrency: Math.min(16, options.concurrency) }, signal);
    services = new Map(open.map((target, i) => [`${target.address}:${target.port}`, guesses[i]!]));
  }
  process.stdout.write(options.json ? `${JSON.stringify(scanReportJson(result, services))}\n` : renderScanReport(result, services));
  return 0;
}
