import { parseDurationMs } from '@outpost/protocol';
import { parsePortList, parseTargetList } from './checks/port-list.js';
import type { ScanProgress } from './checks/port-scanner.js';
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

/**
 * `outpost-agent scan TARGET -p RANGE`: a TCP connect scan printed like nmap, with a
 * progress line on stderr for long scans. Returns the exit code (0, or 2 for bad input).
 */
export async function scanCommand(options: ScanCommandOptions, signal: AbortSignal): Promise<number> {
  const targets = parseTargetList(options.target, { maxCidrPrefix: options.maxCidrPrefix });
  const ports = parsePortList(options.ports);
  const portTimeoutMs = parseDurationMs(options.portTimeout);
  const problem = !targets.ok ? `target: ${targets.error}` : !ports.ok ? `-p: ${ports.error}` : portTimeoutMs === undefined ? `--port-timeout: expected a duration such as 1s` : undefined;
  if (problem || !targets.ok || !ports.ok || portTimeoutMs === undefined) {
    process.stderr.write(`outpost-agent scan: ${problem}\n`);
    return 2;
  }
  const total = targets.value.length * ports.value.length;
  process.stderr.write(`Starting Outpost scan of ${targets.value.length} host${targets.value.length === 1 ? '' : 's'}, ${ports.value.length} port${ports.value.length === 1 ? '' : 's'} each\n`);
  const tty = process.stderr.isTTY;
  const onProgress = (p: ScanProgress) => {
    const pct = ((p.done / p.total) * 100).toFixed(1);
    const eta = p.ratePerSec > 0 ? Math.ceil((p.total - p.done) / p.ratePerSec) : 0;
    process.stderr.write(`${tty ? '\r' : ''}Progress: ${pct}% (${p.done}/${p.total}), ${p.open} open, ${Math.round(p.ratePerSec)} ports/s, ETC ${eta}s${tty ? '   ' : '\n'}`);
  };
  // Imported here, not at the top: the one-file agent (scripts/build-agent-bundle.mjs) keeps
  // the scanner in its own file for its worker threads, and a static import would load it
  // into every `outpost-agent run`.
  const { scanPorts } = await import('./checks/port-scanner.js');
  const result = await scanPorts(
    targets.value,
    ports.value,
    { concurrency: options.concurrency, portTimeoutMs, ...(options.maxRate ? { maxRate: options.maxRate } : {}) },
    signal,
    total >= 5_000 ? onProgress : undefined,
  );
  if (tty && total >= 5_000) process.stderr.write('\n');
  let services: ServiceGuesses | undefined;
  if (options.service === true && !signal.aborted) {
    const open = result.hosts.flatMap((host) => (host.address === undefined ? [] : host.open.map((port) => ({ address: host.address!, port })))).slice(0, MAX_IDENTIFIED_PORTS);
    const guesses = await identifyServices(open, { concurrency: Math.min(16, options.concurrency) }, signal);
    services = new Map(open.map((target, i) => [`${target.address}:${target.port}`, guesses[i]!]));
  }
  process.stdout.write(options.json ? `${JSON.stringify(scanReportJson(result, services))}\n` : renderScanReport(result, services));
  return 0;
}
