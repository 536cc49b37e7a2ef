// ICMP sweep: Outpost's fping-driven sweep path (sweepIcmp: builds the invocation, feeds
// the hosts, parses the -C summary, makes per-host results) beside a bare `fping -i0 -c1 -q`
// of the same hosts, both started from this process, alternating, same run.
// Run: npm run bench:icmp [-- --hosts 254 --repeat 15 --tiny]. See bench/README.md.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { icmpCheck } from '../packages/agent/dist/checks/icmp.js';
import { findFping, sweepIcmp } from '../packages/agent/dist/checks/icmp-fping.js';
import { formatTable, writeResults, type BenchRow } from './lib/report.js';
import { median, numberArg, parseArgs, requireTool } from './lib/tools.js';

const args = parseArgs(process.argv.slice(2), { tiny: 'flag', hosts: 'number', repeat: 'number', 'results-dir': 'string' });
const tiny = args.has('tiny');
const HOST_COUNT = Math.min(254, Math.max(1, numberArg(args, 'hosts', tiny ? 16 : 254)));
const REPEAT = Math.max(1, numberArg(args, 'repeat', tiny ? 3 : 15));
/** DESIGN §7: ICMP sweep of 254 hosts ≤ 1.5× fping -i0. */
const TARGET_RATIO = 1.5;
// Every 127/8 address answers on `lo`: 254 real ICMP echo round trips, nothing leaves the machine.
const HOSTS = Array.from({ length: HOST_COUNT }, (_, i) => `127.0.0.${i + 1}`);

const ms = (start: number) => performance.now() - start;

interface Sample {
  ms: number;
  alive: number;
}

/** The reference: `fping -i0 -c1 -q <hosts>` as a user types it; alive = hosts with 1/1 received. */
function bareFping(fping: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(fping, ['-i0', '-c1', '-q', ...HOSTS], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const elapsed = ms(start);
      if (code !== 0 && code !== 1) return reject(new Error(`fping -i0 exited with ${code}: ${stderr.trim().slice(0, 300)}`));
      resolve({ ms: elapsed, alive: stderr.split('\n').filter((line) => /xmt\/rcv\/%loss = 1\/1\//.test(line)).length });
    });
  });
}

/** Outpost's sweep path, one ping per host like the reference, at `hostIntervalMs` between hosts. */
async function outpostSweep(fpingPath: string, hostIntervalMs: number): Promise<Sample> {
  const start = performance.now();
  const sweep = await sweepIcmp(HOSTS, { count: 1, fpingPath, hostIntervalMs });
  const elapsed = ms(start);
  if (sweep.outcome !== 'done') throw new Error(`sweepIcmp: ${sweep.outcome}: ${sweep.detail}`);
  return { ms: elapsed, alive: sweep.hosts.filter((host) => host.received === 1).length };
}

/** The whole icmp check as the scheduler runs it (schema-parsed config, verdicts, message). */
async function outpostCheck(): Promise<Sample> {
  const config = icmpCheck.schema.parse({ hosts: HOSTS, count: 1, host_interval: 0 });
  const start = performance.now();
  const seen = await icmpCheck.run(config, { signal: AbortSignal.timeout(30_000), timeoutMs: 30_000 });
  const elapsed = ms(start);
  if (seen.status !== 'OK') throw new Error(`icmp check: ${seen.status} ${seen.observation}: ${seen.message}`);
  return { ms: elapsed, alive: HOST_COUNT === 1 ? 1 : (seen.metrics['hosts_up'] ?? 0) };
}

async function main(): Promise<void> {
  requireTool('fping', 'fping', ['--version']);
  const fping = await findFping();
  if (fping === undefined) throw new Error('fping not found: install the Debian package fping (apt-get install fping)');
  console.error(`icmp bench: ${HOST_COUNT} hosts (${HOSTS[0]}–${HOSTS.at(-1)}), median of ${REPEAT}, ${fping}`);

  const tools = {
    fping: () => bareFping(fping),
    sweep: () => outpostSweep(fping, 0),
    sweepDefault: () => outpostSweep(fping, 10),
    check: () => outpostCheck(),
  } as const;
  type Tool = keyof typeof tools;
  const samples: Record<Tool, Sample[]> = { fping: [], sweep: [], sweepDefault: [], check: [] };
  // Untimed warm-up of each: the first spawn pays for loading fping and sh.
  for (const tool of Object.keys(tools) as Tool[]) await tools[tool]();
  const order = Object.keys(tools) as Tool[];
  for (let i = 0; i < REPEAT; i++) {
    // Rotate the order so no tool always runs first (or right after the slowest one).
    const round = [...order.slice(i % order.length), ...order.slice(0, i % order.length)];
    for (const tool of round) samples[tool].push(await tools[tool]());
    console.error(`  round ${i + 1}/${REPEAT}: ${round.map((t) => `${t} ${samples[t].at(-1)!.ms.toFixed(1)} ms`).join(', ')}`);
  }
  const lost = Object.entries(samples).flatMap(([tool, list]) => list.filter((s) => s.alive !== HOST_COUNT).map((s) => `${tool}: ${s.alive}/${HOST_COUNT} alive`));
  if (lost.length > 0) {
    console.error(`MISMATCH: not every loopback host answered:\n  ${lost.join('\n  ')}`);
    process.exitCode = 1;
  }

  const millis = (tool: Tool) => median(samples[tool].map((s) => s.ms));
  const reference = millis('fping');
  const peerTool = 'fping -i0 -c1 -q';
  const target = `≤ ${TARGET_RATIO}× fping -i0`;
  const row = (scenario: string, tool: Tool, settings: string, judged: boolean): BenchRow => ({
    scenario,
    unit: 'ms',
    outpost: millis(tool),
    peer: reference,
    peerTool,
    better: 'lower',
    target: judged ? target : '(informational)',
    met: judged ? millis(tool) / reference <= TARGET_RATIO : undefined,
    settings,
  });
  const rows: BenchRow[] = [
    row(`ICMP sweep of ${HOST_COUNT} hosts: sweepIcmp, host_interval 0`, 'sweep', `count 1, -i 0 -p 200 -t 500 -B1 -r0, hosts on stdin, median of ${REPEAT}`, true),
    row('sweepIcmp at the default host_interval 10ms', 'sweepDefault', "fping's own default gap between hosts (-i 10)", false),
    row('icmp check run (schema + sweep + verdicts)', 'check', `icmpCheck.run({ hosts: ${HOST_COUNT}, count: 1, host_interval: 0 })`, false),
  ];
  console.log(`\n${formatTable(rows)}\n`);
  const resultsDir = args.get('results-dir');
  const path = writeResults(
    {
      name: 'icmp',
      rows,
      details: {
        hosts: HOST_COUNT, repeat: REPEAT, fping, loadAverage: loadavg(),
        samplesMs: Object.fromEntries(Object.entries(samples).map(([tool, list]) => [tool, list.map((s) => Number(s.ms.toFixed(3)))])),
        alive: Object.fromEntries(Object.entries(samples).map(([tool, list]) => [tool, list.map((s) => s.alive)])),
      },
    },
    typeof resultsDir === 'string' ? resultsDir : undefined,
  );
  console.log(`results: ${path}`);
}

await main();
