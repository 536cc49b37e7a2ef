// Agent footprint: a real `outpost-agent run` with 1000 TCP connect checks (60 s interval,
// jittered) against 127.0.0.1 listeners and closed ports, connected to a real collector;
// RSS and CPU sampled from /proc every second. The reference is the same agent with no
// checks, measured the same way in the same run (DESIGN §7: ≤ 60 MB RSS with 1000 checks).
// The agent runs with the V8 flags its launcher sets for `run` (bin/outpost-agent.js), or with
// --v8-flags "..." instead ("" for Node's defaults).
// Run: npm run bench:footprint [-- --checks 1000 --seconds 60 --tiny]. See bench/README.md.
import { existsSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { TestDeployment } from '../test/support/deployment.js';
import type { RunningProcess } from '../test/support/processes.js';
import { onInterrupt } from './lib/netns.js';
import { procStats, type ProcStats } from './lib/proc-stats.js';
import { formatTable, writeResults, type BenchRow } from './lib/report.js';
import { numberArg, parseArgs } from './lib/tools.js';

const args = parseArgs(process.argv.slice(2), {
  tiny: 'flag',
  checks: 'number',
  seconds: 'number',
  'baseline-seconds': 'number',
  jitter: 'string',
  'results-dir': 'string',
  'v8-flags': 'string',
});
const tiny = args.has('tiny');
const CHECKS = Math.max(1, numberArg(args, 'checks', tiny ? 100 : 1_000));
const SECONDS = Math.max(2, numberArg(args, 'seconds', tiny ? 5 : 60));
const BASELINE_SECONDS = Math.max(2, numberArg(args, 'baseline-seconds', tiny ? 3 : 20));
const JITTER = (args.get('jitter') as string | undefined) ?? '10%';
const V8_FLAGS = args.get('v8-flags') as string | undefined;
// Both agents inherit it; the launcher applies it instead of its own list.
if (V8_FLAGS !== undefined) process.env['OUTPOST_AGENT_V8_FLAGS'] = V8_FLAGS;
const flagsText = V8_FLAGS === undefined ? "the launcher's V8 flags" : V8_FLAGS.trim() === '' ? "Node's default V8 flags" : `V8 flags ${V8_FLAGS.trim()}`;
const BUNDLE = resolve(import.meta.dirname, '../packages/agent/dist/bundle/outpost-agent.mjs');
const LISTENERS = 4;
const CLOSED = 4;
/** DESIGN §7: agent ≤ 60 MB RSS with 1000 checks (MB = 10^6 bytes). */
const TARGET_MB = 60;
const MB_PER_MIB = 2 ** 20 / 1e6;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Sample {
  atSec: number;
  rssMB: number;
  cpuSeconds: number;
}

interface Footprint {
  samples: Sample[];
  rssMaxMB: number;
  rssAvgMB: number;
  /** VmHWM at the end: the true peak, including moments between samples. */
  peakMB: number;
  /** CPU seconds / wall seconds over the sampled window (1.0 = one core). */
  cpuShare: number;
  /** The same from the 10th second on, past start-up and the first burst of checks. */
  steadyCpuShare: number | undefined;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => resolve((server.address() as { port: number }).port));
  });
}

/** Ports that refuse: bound once to learn a free number, then closed again. */
async function closedPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    ports.push(await listen(server));
    await new Promise((resolve) => server.close(resolve));
  }
  return ports;
}

/** Sample the process every second for `seconds`, starting now (the clock starts at spawn). */
async function sample(proc: RunningProcess, seconds: number): Promise<Footprint> {
  const pid = proc.child.pid!;
  const start = performance.now();
  const samples: Sample[] = [];
  let last: ProcStats | undefined;
  for (let tick = 1; tick <= seconds; tick++) {
    const due = start + tick * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    if (proc.child.exitCode !== null) throw new Error(`agent exited during sampling:\n${proc.lines.slice(-15).join('\n')}`);
    const stats = procStats(pid);
    if (stats === undefined) throw new Error(`agent ${pid} vanished during sampling`);
    last = stats;
    samples.push({ atSec: (performance.now() - start) / 1000, rssMB: stats.rssMiB * MB_PER_MIB, cpuSeconds: stats.cpuSeconds });
  }
  const rss = samples.map((s) => s.rssMB);
  const end = samples.at(-1)!;
  const steadyFrom = samples.find((s) => s.atSec >= 10);
  return {
    samples,
    rssMaxMB: Math.max(...rss),
    rssAvgMB: rss.reduce((a, b) => a + b, 0) / rss.length,
    peakMB: last!.peakRssMiB * MB_PER_MIB,
    // CPU since spawn: start-up is part of what the agent costs in the window.
    cpuShare: end.cpuSeconds / end.atSec,
    steadyCpuShare: steadyFrom && end !== steadyFrom ? (end.cpuSeconds - steadyFrom.cpuSeconds) / (end.atSec - steadyFrom.atSec) : undefined,
  };
}

async function main(): Promise<void> {
  const d = await TestDeployment.create();
  const servers: Server[] = [];
  const forget = onInterrupt(() => {
    for (const proc of [d.collector, ...d.agents.values()]) proc?.child.kill('SIGKILL');
    for (const server of servers) server.close();
    rmSync(d.root, { recursive: true, force: true });
  });
  try {
    // A few listeners (accept, then drop) and a few refusing ports, shared round-robin.
    for (let i = 0; i < LISTENERS; i++) {
      const server = createServer((socket) => {
        socket.on('error', () => {});
        socket.destroy();
      });
      servers.push(server);
    }
    const open = await Promise.all(servers.map(listen));
    const closed = await closedPorts(CLOSED);
    const ports = [...open, ...closed];
    const checks = Array.from({ length: CHECKS }, (_, i) => ({
      id: `fp-${String(i).padStart(4, '0')}`,
      type: 'tcp',
      target: `127.0.0.1:${ports[i % ports.length]}`,
      interval: '60s',
      jitter: JITTER,
    }));
    const expectOk = checks.filter((_, i) => i % ports.length < LISTENERS).length;
    console.error(`footprint bench: ${CHECKS} tcp checks (60 s, jitter ${JITTER}) on ${open.length} listeners + ${closed.length} closed ports, ${SECONDS} s; files in ${d.root}`);

    await d.startCollector();
    const uplink = { heartbeat_interval: '10s', backoff_min: '500ms', backoff_max: '30s' };
    await d.initAgent('footprint', { checks, uplink });
    await d.initAgent('footprint-idle', { checks: [], uplink });

    // 1. The agent with its checks, sampled from spawn.
    const loadAtStart = loadavg();
    const agent = d.startAgent('footprint');
    console.error(`sampling agent pid ${agent.child.pid} for ${SECONDS} s`);
    const measured = await sample(agent, SECONDS);
    // The launcher runs dist/ instead of a missing or stale one-file build, ~10 MB more RSS:
    // a figure that says which one it measured.
    const build = !existsSync(BUNDLE) || process.env['OUTPOST_AGENT_BUNDLE'] === '0' || agent.lines.some((line) => line.includes('running dist/cli.js')) ? 'dist/' : 'bundle';
    if (build !== 'bundle') console.error(`footprint bench: the agent ran dist/, not ${BUNDLE} (build it: node scripts/build-agent-bundle.mjs)`);
    await agent.waitForLine((line) => line.includes('connected to collector'), 5_000);
    // Every check has run once (first runs spread over 2 s); wait for their upload.
    const db = new Database(join(d.collectorDir, 'collector.db'), { readonly: true });
    let states = { ok: 0, critical: 0, total: 0 };
    const deadline = performance.now() + 15_000;
    while (performance.now() < deadline) {
      states = db
        .prepare(
          `SELECT count(*) AS total, coalesce(sum(s.status = 0), 0) AS ok, coalesce(sum(s.status = 2), 0) AS critical
             FROM check_state s JOIN agents a ON a.id = s.agent_id WHERE a.name = ?`,
        )
        .get('footprint') as typeof states;
      if (states.total >= CHECKS) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const stored = (db.prepare('SELECT results_stored AS n FROM agents WHERE name = ?').get('footprint') as { n: number } | undefined)?.n ?? 0;
    db.close();
    await agent.stop('SIGTERM');
    console.error(`checks seen at the collector: ${states.total} (${states.ok} OK, ${states.critical} CRITICAL), ${fmt(stored)} results stored`);
    if (states.total !== CHECKS || states.ok !== expectOk || states.critical !== CHECKS - expectOk) {
      throw new Error(`expected ${CHECKS} checks (${expectOk} OK, ${CHECKS - expectOk} CRITICAL) at the collector, got ${JSON.stringify(states)}`);
    }

    // 2. The reference: the same agent binary, same collector, no checks.
    const idle = d.startAgent('footprint-idle');
    const baseline = await sample(idle, BASELINE_SECONDS);
    await idle.stop('SIGTERM');

    const settings = `${CHECKS} tcp checks, 60 s interval, jitter ${JITTER}, ${open.length} listeners + ${closed.length} refused ports, wss to a local collector, ${flagsText}, the agent's ${build}, 1 s samples for ${SECONDS} s from spawn`;
    const peerTool = `same agent, 0 checks, ${BASELINE_SECONDS} s`;
    const rows: BenchRow[] = [
      { scenario: `agent RSS max (${CHECKS} checks)`, unit: 'MB', outpost: measured.rssMaxMB, peer: baseline.rssMaxMB, peerTool, better: 'lower', target: `≤ ${TARGET_MB} MB RSS`, met: measured.rssMaxMB <= TARGET_MB, settings },
      { scenario: 'agent RSS avg', unit: 'MB', outpost: measured.rssAvgMB, peer: baseline.rssAvgMB, peerTool, better: 'lower', target: '(informational)', met: undefined, settings: 'mean of the 1 s samples' },
      { scenario: 'agent RSS peak (VmHWM)', unit: 'MB', outpost: measured.peakMB, peer: baseline.peakMB, peerTool, better: 'lower', target: '(informational)', met: undefined, settings: 'kernel high-water mark, includes moments between samples' },
      { scenario: 'agent CPU share', unit: '% of a core', outpost: measured.cpuShare * 100, peer: baseline.cpuShare * 100, peerTool, better: 'lower', target: '(informational)', met: undefined, settings: 'user+system CPU s / wall s since spawn' },
    ];
    if (measured.steadyCpuShare !== undefined) {
      rows.push({ scenario: 'agent CPU share from 10 s on', unit: '% of a core', outpost: measured.steadyCpuShare * 100, peer: baseline.steadyCpuShare === undefined ? undefined : baseline.steadyCpuShare * 100, peerTool, better: 'lower', target: '(informational)', met: undefined, settings: 'past start-up and the first round of checks' });
    }
    console.log(`\n${formatTable(rows)}\n`);
    const resultsDir = args.get('results-dir');
    const path = writeResults(
      {
        name: 'footprint',
        rows,
        details: {
          checks: CHECKS, seconds: SECONDS, baselineSeconds: BASELINE_SECONDS, jitter: JITTER, v8Flags: V8_FLAGS ?? 'launcher default', openPorts: open, closedPorts: closed,
          collector: { checks: states.total, ok: states.ok, critical: states.critical, resultsStored: stored }, agentBuild: build, loadAverageAtStart: loadAtStart, loadAverage: loadavg(),
          measured, baseline,
        },
      },
      typeof resultsDir === 'string' ? resultsDir : undefined,
    );
    console.log(`results: ${path}`);
  } finally {
    for (const server of servers) server.close();
    await d.cleanup();
    forget();
  }
}

await main();
