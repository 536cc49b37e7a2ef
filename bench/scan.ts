// Port scan benchmark: Outpost's connect scanner beside nmap, against a namespace host.
// Run: npm run bench:scan [-- --ports-firewalled 5000 --repeat 3 --tiny]. See bench/README.md.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { scanPorts, type ScanOptions } from '../packages/agent/dist/checks/port-scanner.js';
import { createNamespaceHost, onInterrupt, type NamespaceHost } from './lib/netns.js';
import { formatTable, writeResults, type BenchRow } from './lib/report.js';
import { median, numberArg, parseArgs, requireTool } from './lib/tools.js';

const args = parseArgs(process.argv.slice(2), {
  tiny: 'flag',
  holes: 'flag',
  'syn-firewalled': 'flag',
  'nmap-timeout-s': 'number',
  'ports-firewalled': 'number',
  'firewalled-concurrency': 'number',
  'firewalled-timeout-ms': 'number',
  'full-concurrency': 'number',
  repeat: 'number',
  'results-dir': 'string',
});
const tiny = args.has('tiny');
const FIREWALL_FROM = 20_000;
const firewalledCount = numberArg(args, 'ports-firewalled', tiny ? 50 : 5_000);
const repeat = numberArg(args, 'repeat', tiny ? 1 : 3);
// The full scan uses the scanner's defaults unless told otherwise: that is what users get.
const fullOptions: ScanOptions = args.has('full-concurrency') ? { concurrency: numberArg(args, 'full-concurrency', 512) } : {};
// nmap starts with a 1 s round-trip timeout (--initial-rtt-timeout) and, with --max-retries 1,
// gives every silent port a second probe; 1 s per port is at least as patient as nmap.
const firewalledOptions: ScanOptions = {
  concurrency: numberArg(args, 'firewalled-concurrency', 4_096),
  portTimeoutMs: numberArg(args, 'firewalled-timeout-ms', 1_000),
  maxListedPorts: 65_536,
};
if (firewalledCount < 3 || FIREWALL_FROM + firewalledCount - 1 > 65_535) {
  throw new Error(`--ports-firewalled must be 3-${65_536 - FIREWALL_FROM}, got ${firewalledCount}`);
}

/** What nmap reported, per state, as port sets. */
interface NmapResult {
  seconds: number;
  open: Set<number>;
  closed: Set<number>;
  filtered: Set<number>;
}

function expandRanges(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

function compressRanges(ports: readonly number[]): string {
  const sorted = [...ports].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const from = sorted[i]!;
    while (sorted[i + 1] === sorted[i]! + 1) i++;
    parts.push(from === sorted[i] ? `${from}` : `${from}-${sorted[i]}`);
  }
  return parts.join(',');
}

/** Parse `-oX -`: listed ports, and the summarised `extraports` (nmap ≥ 7.80 lists their ports). */
function parseNmapXml(xml: string): Omit<NmapResult, 'seconds'> {
  const sets = { open: new Set<number>(), closed: new Set<number>(), filtered: new Set<number>() };
  const add = (state: string, ports: number[]) => {
    const set = sets[state as keyof typeof sets];
    if (set === undefined) throw new Error(`nmap reported an unexpected port state ${JSON.stringify(state)}`);
    for (const port of ports) set.add(port);
  };
  for (const match of xml.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="([^"]+)"/g)) add(match[2]!, [Number(match[1])]);
  for (const match of xml.matchAll(/<extraports state="([^"]+)" count="(\d+)">([\s\S]*?)<\/extraports>/g)) {
    const ports = [...match[3]!.matchAll(/ports="([^"]+)"/g)].flatMap((m) => expandRanges(m[1]!));
    if (ports.length !== Number(match[2])) throw new Error(`nmap summarised ${match[2]} ${match[1]} ports but listed ${ports.length}; nmap too old?`);
    add(match[1]!, ports);
  }
  return sets;
}

async function nmap(kind: '-sT' | '-sS', address: string, ports: readonly number[]): Promise<NmapResult> {
  const started = performance.now();
  const nmapArgs = [kind, `-p${compressRanges(ports)}`, '-n', '-Pn', '--max-retries', '1', address, '-oX', '-'];
  let forget = () => {};
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile('nmap', nmapArgs, { maxBuffer: 64 * 1024 * 1024, timeout: numberArg(args, 'nmap-timeout-s', 3_600) * 1000 }, (err, out) => (err ? reject(err) : resolve(out)));
    // Ctrl-C while nmap runs: the namespace goes, so nmap must too.
    forget = onInterrupt(() => child.kill('SIGKILL'));
  }).finally(() => forget());
  return { seconds: (performance.now() - started) / 1000, ...parseNmapXml(stdout) };
}

async function outpost(address: string, ports: readonly number[], options: ScanOptions) {
  const started = performance.now();
  const result = await scanPorts([address], ports, options, AbortSignal.timeout(600_000));
  const seconds = (performance.now() - started) / 1000;
  const host = result.hosts[0]!;
  if (result.aborted) throw new Error(`Outpost scan of ${address} did not finish within 600 s`);
  return { seconds, threads: result.threads, open: new Set(host.open), closed: host.closed, filtered: new Set(host.filteredPorts), errors: host.errors, retried: host.retried ?? 0 };
}

function sameSet(a: Set<number>, b: Set<number>): boolean {
  return a.size === b.size && [...a].every((port) => b.has(port));
}

function describeSet(set: Set<number>): string {
  return set.size <= 20 ? `[${[...set].sort((x, y) => x - y).join(', ')}]` : `${set.size} ports (${compressRanges([...set]).slice(0, 80)}…)`;
}

/** Packets the kernel dropped from its per-CPU input backlog (net.core.netdev_max_backlog). */
function backlogDrops(): number {
  return readFileSync('/proc/net/softnet_stat', 'utf8')
    .trim()
    .split('\n')
    .reduce((sum, line) => sum + parseInt(line.split(' ')[1] ?? '0', 16), 0);
}

const warnings: string[] = [];
const mismatches: string[] = [];
/** Record (and shout about) two sets that must be equal. */
function requireSame(what: string, left: [string, Set<number>], right: [string, Set<number>]): void {
  if (sameSet(left[1], right[1])) return;
  const message = `MISMATCH ${what}: ${left[0]} ${describeSet(left[1])} vs ${right[0]} ${describeSet(right[1])}`;
  mismatches.push(message);
  console.error(`\n!!!!!!!! ${message}\n`);
}

const log = (text: string) => console.error(`[bench:scan] ${text}`);

async function fullScan(host: NamespaceHost, openPorts: readonly number[]) {
  const ports = tiny ? [...new Set([...openPorts, ...Array.from({ length: 400 }, (_, i) => i + 1)])].slice(0, 200) : Array.from({ length: 65_535 }, (_, i) => i + 1);
  const expected = new Set(openPorts.filter((port) => ports.includes(port)));
  const samples = { outpost: [] as number[], nmapConnect: [] as number[], nmapSyn: [] as number[], outpostFiltered: [] as number[], outpostRetried: [] as number[], outpostBacklogDrops: [] as number[], nmapBacklogDrops: [] as number[] };
  let threads = 1;
  // Untimed warm-up: the first connects wait for ARP, and SYNs queued behind an unresolved
  // neighbour beyond its small queue are dropped and resent by the kernel a second later.
  await outpost(host.peerAddress, openPorts, fullOptions);
  await nmap('-sT', host.peerAddress, openPorts);
  for (let i = 0; i < repeat; i++) {
    // Alternate who goes first so neither always meets a warm (or cold) kernel.
    const order = i % 2 === 0 ? ['outpost', 'nmap'] : ['nmap', 'outpost'];
    for (const who of order) {
      if (who === 'outpost') {
        const dropsBefore = backlogDrops();
        const result = await outpost(host.peerAddress, ports, fullOptions);
        const drops = backlogDrops() - dropsBefore;
        threads = result.threads;
        samples.outpost.push(result.seconds);
        samples.outpostFiltered.push(result.filtered.size);
        samples.outpostRetried.push(result.retried);
        samples.outpostBacklogDrops.push(drops);
        requireSame(`full scan open set (run ${i + 1})`, ['outpost', result.open], ['planted', expected]);
        if (result.filtered.size > 0) {
          // Nothing is firewalled here: a "filtered" port lost its SYN or RST (see backlog drops).
          const warning = `full scan run ${i + 1}: outpost reported ${result.filtered.size} closed port(s) as filtered ${describeSet(result.filtered)}; ${drops} packets dropped by the kernel input backlog meanwhile`;
          warnings.push(warning);
          console.error(`\n!!!!!!!! WARNING ${warning}\n`);
        }
        log(`full scan ${ports.length} ports: outpost ${result.seconds.toFixed(3)} s, open ${describeSet(result.open)}, filtered ${result.filtered.size}, retried ${result.retried}, threads ${result.threads}, backlog drops ${drops}`);
      } else {
        const dropsBefore = backlogDrops();
        const connect = await nmap('-sT', host.peerAddress, ports);
        samples.nmapBacklogDrops.push(backlogDrops() - dropsBefore);
        const syn = await nmap('-sS', host.peerAddress, ports);
        samples.nmapConnect.push(connect.seconds);
        samples.nmapSyn.push(syn.seconds);
        requireSame(`full scan open set (run ${i + 1})`, ['nmap -sT', connect.open], ['planted', expected]);
        requireSame(`full scan open set (run ${i + 1})`, ['nmap -sS', syn.open], ['planted', expected]);
        log(`full scan ${ports.length} ports: nmap -sT ${connect.seconds.toFixed(3)} s, -sS ${syn.seconds.toFixed(3)} s, open ${describeSet(connect.open)}, filtered ${connect.filtered.size}, backlog drops (-sT) ${samples.nmapBacklogDrops.at(-1)}`);
      }
    }
  }
  const settings = `${ports.length} ports, median of ${repeat}; outpost concurrency ${fullOptions.concurrency ?? 512}, threads ${threads}, timeout 1000 ms; nmap --max-retries 1`;
  const outpostSeconds = median(samples.outpost);
  const rows: BenchRow[] = [
    { scenario: 'full scan vs nmap -sT', unit: 's', outpost: outpostSeconds, peer: median(samples.nmapConnect), peerTool: 'nmap -sT', better: 'lower', target: '≤ 1.0×', met: undefined, settings },
    { scenario: 'full scan vs nmap -sS', unit: 's', outpost: outpostSeconds, peer: median(samples.nmapSyn), peerTool: 'nmap -sS', better: 'lower', target: '(reference only)', met: undefined, settings },
  ];
  rows[0]!.met = outpostSeconds <= rows[0]!.peer!;
  return { rows, details: { ports: ports.length, open: [...expected], samples } };
}

async function firewalledScan(host: NamespaceHost, openHole: number, closedHole: number) {
  const last = FIREWALL_FROM + firewalledCount - 1;
  // --holes: one open and one closed port in the wall, so all three states are compared.
  // Off by default: answered probes among the drops make nmap treat the drops as congestion
  // and slow down ~25× (333 s instead of ~14 s for 5,000 ports here), which flatters Outpost.
  const holes = args.has('holes') ? [openHole, closedHole] : [];
  for (const hole of holes) host.exec('iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', String(hole), '-j', 'ACCEPT');
  host.exec('iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', `${FIREWALL_FROM}:${last}`, '-j', 'DROP');
  const ports = Array.from({ length: firewalledCount }, (_, i) => FIREWALL_FROM + i);
  const expectedFiltered = new Set(ports.filter((port) => !holes.includes(port)));
  const expectedOpen = new Set(holes.length > 0 ? [openHole] : []);

  const ours = await outpost(host.peerAddress, ports, firewalledOptions);
  log(`firewalled ${ports.length} ports: outpost ${ours.seconds.toFixed(3)} s, open ${describeSet(ours.open)}, filtered ${ours.filtered.size}, closed ${ours.closed}`);
  // Measured here: nmap -sT manages ~5 silent ports/s once its congestion control has
  // seen the drops (500 ports ≈ 100 s), so the default 5,000 take ~17 minutes.
  log(`firewalled ${ports.length} ports: nmap -sT running (≈ ${Math.ceil(ports.length / 5)} s expected on a 2-core machine)`);
  const connect = await nmap('-sT', host.peerAddress, ports);
  log(`firewalled ${ports.length} ports: nmap -sT ${connect.seconds.toFixed(3)} s, open ${describeSet(connect.open)}, filtered ${connect.filtered.size}`);
  const syn = args.has('syn-firewalled') ? await nmap('-sS', host.peerAddress, ports) : undefined;
  if (syn) log(`firewalled ${ports.length} ports: nmap -sS ${syn.seconds.toFixed(3)} s, open ${describeSet(syn.open)}, filtered ${syn.filtered.size}`);

  requireSame('firewalled filtered set', ['outpost', ours.filtered], ['nmap -sT', connect.filtered]);
  requireSame('firewalled open set', ['outpost', ours.open], ['nmap -sT', connect.open]);
  requireSame('firewalled filtered set', ['outpost', ours.filtered], ['planted', expectedFiltered]);
  requireSame('firewalled open set', ['outpost', ours.open], ['planted', expectedOpen]);
  if (syn) requireSame('firewalled filtered set', ['nmap -sS', syn.filtered], ['planted', expectedFiltered]);
  const settings = `${ports.length} ports ${FIREWALL_FROM}-${last} (DROP${holes.length > 0 ? ', 1 open + 1 closed hole' : ''}); outpost concurrency ${firewalledOptions.concurrency}, port timeout ${firewalledOptions.portTimeoutMs} ms, threads ${ours.threads}; nmap --max-retries 1`;
  const rows: BenchRow[] = [
    { scenario: 'firewalled vs nmap -sT', unit: 's', outpost: ours.seconds, peer: connect.seconds, peerTool: 'nmap -sT', better: 'lower', target: '≤ 0.25×', met: ours.seconds <= 0.25 * connect.seconds, settings },
  ];
  if (syn) rows.push({ scenario: 'firewalled vs nmap -sS', unit: 's', outpost: ours.seconds, peer: syn.seconds, peerTool: 'nmap -sS', better: 'lower', target: '(reference only)', met: undefined, settings });
  return { rows, details: { ports: ports.length, range: [FIREWALL_FROM, last], filtered: ours.filtered.size, errors: ours.errors } };
}

async function main(): Promise<number> {
  requireTool('nmap', 'nmap');
  requireTool('iptables', 'iptables');
  // Known high ports outside the firewalled range, plus a few random ones above it.
  const randomHigh = new Set<number>();
  while (randomHigh.size < 4) randomHigh.add(30_000 + Math.floor(Math.random() * 35_000));
  const openHole = FIREWALL_FROM + 1;
  const openPorts = [...new Set([22, 80, 443, 8080, 28081, openHole, ...randomHigh])].sort((a, b) => a - b);
  const host = createNamespaceHost();
  try {
    log(`namespace ${host.namespace}: ${host.peerAddress} listening on ${openPorts.join(', ')}`);
    await host.listen(openPorts);
    const full = await fullScan(host, openPorts);
    const firewalled = await firewalledScan(host, openHole, FIREWALL_FROM + 2);
    const rows = [...full.rows, ...firewalled.rows];
    console.log(`\nPort scan benchmark, ${new Date().toISOString().slice(0, 10)}${tiny ? ' (--tiny: smoke sizes, figures meaningless)' : ''}\n`);
    console.log(formatTable(rows));
    const resultsDir = args.get('results-dir');
    const path = writeResults({ name: 'scan', rows, details: { tiny, full: full.details, firewalled: firewalled.details, mismatches, warnings } }, typeof resultsDir === 'string' ? resultsDir : undefined);
    console.log(`\nresults: ${path}`);
  } finally {
    host.destroy();
  }
  if (mismatches.length > 0) {
    console.error(`\nMISMATCH: ${mismatches.length} result set(s) differ; the timings above do not compare like with like:\n${mismatches.join('\n')}`);
    return 1;
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (err: unknown) {
  console.error(`[bench:scan] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
