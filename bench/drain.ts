// Backlog drain: an agent that starts with a day of results (1000 checks/min = 1.44 M) in its
// outbox, and a local collector; time from agent start until the outbox is empty and the
// collector holds them all (DESIGN §7: ≤ 30 s). Real CLIs, real TLS, real SQLite files.
// Run: npx tsx bench/drain.ts [--results 1440000] [--window 8] [--batch 1000] [--tiny]
//      [--profile agent|collector|both] [--profile-dir DIR]. See bench/OUTBOX-DRAIN.md.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Outbox } from '../packages/agent/dist/outbox.js';
import { TestDeployment } from '../test/support/deployment.js';
import type { RunningProcess } from '../test/support/processes.js';
import { checkIds, dayShape, makeChunk } from './lib/backlog.js';
import { collectorCeiling } from './lib/collector-ceiling.js';
import { hotFunctions } from './lib/cpu-profile.js';
import { onInterrupt } from './lib/netns.js';
import { procStats, type ProcStats } from './lib/proc-stats.js';
import { formatTable, writeResults, type BenchRow } from './lib/report.js';
import { numberArg, parseArgs } from './lib/tools.js';

const args = parseArgs(process.argv.slice(2), {
  tiny: 'flag',
  results: 'number',
  window: 'number',
  batch: 'number',
  'poll-ms': 'number',
  'timeout-s': 'number',
  profile: 'string',
  'profile-dir': 'string',
  'results-dir': 'string',
});
const tiny = args.has('tiny');
const N = numberArg(args, 'results', tiny ? 20_000 : 1_440_000);
// The agent's default uplink window.
const WINDOW = numberArg(args, 'window', 8);
const BATCH = numberArg(args, 'batch', 1_000);
const POLL_MS = numberArg(args, 'poll-ms', 200);
const TIMEOUT_MS = numberArg(args, 'timeout-s', 600) * 1000;
const PROFILE = (args.get('profile') as string | undefined) ?? '';
if (!['', 'agent', 'collector', 'both'].includes(PROFILE)) throw new Error(`--profile expects agent, collector or both, got ${JSON.stringify(PROFILE)}`);
const AGENT = 'drain-bench';
const CHECKS = 1_000;
const ROWS_PER_APPEND = 1_000;
/** DESIGN §7: 1.44 M results in ≤ 30 s, i.e. 48,000 results/s. */
const TARGET_RATE = 1_440_000 / 30;

const seconds = (start: number) => (performance.now() - start) / 1000;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Progress {
  atSec: number;
  stored: number;
  waiting: number;
}

/** Read-only views of the two SQLite files, opened when they are ready; cheap queries only. */
class Watcher {
  #collector: Database.Database | undefined;
  #outbox: Database.Database | undefined;
  constructor(readonly collectorDb: string, readonly outboxDb: string) {}

  /** Results the collector has stored for the agent (its own counter, kept in the ingest transaction). */
  stored(): number {
    this.#collector ??= new Database(this.collectorDb, { readonly: true, fileMustExist: true });
    const row = this.#collector.prepare('SELECT results_stored AS n FROM agents WHERE name = ?').get(AGENT) as { n: number } | undefined;
    return row?.n ?? 0;
  }

  /** Rows waiting in the outbox (ids are contiguous here, so max - min + 1 without a count scan). */
  waiting(): number {
    this.#outbox ??= new Database(this.outboxDb, { readonly: true, fileMustExist: true });
    const row = this.#outbox.prepare('SELECT min(result_id) AS lo, max(result_id) AS hi FROM results').get() as { lo: number | null; hi: number | null };
    return row.lo === null || row.hi === null ? 0 : row.hi - row.lo + 1;
  }

  meta(key: string): string | undefined {
    return (this.#outbox?.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  exactCounts(): { collectorRows: number; outboxRows: number; duplicates: number } {
    const { n } = this.#collector!.prepare('SELECT count(*) AS n FROM results WHERE agent_id = (SELECT id FROM agents WHERE name = ?)').get(AGENT) as { n: number };
    const { d } = this.#collector!.prepare('SELECT duplicates AS d FROM agents WHERE name = ?').get(AGENT) as { d: number };
    const { m } = this.#outbox!.prepare('SELECT count(*) AS m FROM results').get() as { m: number };
    return { collectorRows: n, outboxRows: m, duplicates: d };
  }

  close(): void {
    this.#collector?.close();
    this.#outbox?.close();
    this.#collector = undefined;
    this.#outbox = undefined;
  }
}

const PRELOAD = join(import.meta.dirname, 'lib', 'cpu-prof-preload.mjs');

/**
 * Start a process profiled when asked. Node 20 refuses --cpu-prof in NODE_OPTIONS, so a
 * preload starts the inspector's profiler; the child reads both variables at spawn.
 */
function withProfile<T>(which: 'agent' | 'collector', dir: string, start: () => T): T {
  const saved = { options: process.env['NODE_OPTIONS'], dir: process.env['OUTPOST_BENCH_CPU_PROF_DIR'] };
  if (PROFILE === which || PROFILE === 'both') {
    process.env['NODE_OPTIONS'] = `${saved.options ?? ''} --import=${PRELOAD}`.trim();
    process.env['OUTPOST_BENCH_CPU_PROF_DIR'] = join(dir, which);
  }
  try {
    return start();
  } finally {
    for (const [key, value] of [['NODE_OPTIONS', saved.options], ['OUTPOST_BENCH_CPU_PROF_DIR', saved.dir]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

const cpuDelta = (a: ProcStats | undefined, b: ProcStats | undefined) => (a && b ? b.cpuSeconds - a.cpuSeconds : undefined);

async function main(): Promise<void> {
  const d = await TestDeployment.create();
  const scratch = mkdtempSync(join(tmpdir(), 'outpost-bench-drain-'));
  const profileDir = (args.get('profile-dir') as string | undefined) ?? join(scratch, 'profiles');
  const forget = onInterrupt(() => {
    for (const proc of [d.collector, ...d.agents.values()]) proc?.child.kill('SIGKILL');
    rmSync(d.root, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });
  const watcher = new Watcher(join(d.collectorDir, 'collector.db'), join(d.root, AGENT, 'data', 'outbox.db'));
  try {
    const ids = checkIds(CHECKS);
    const shape = dayShape(N, CHECKS);
    const make = (from: number, count: number) => makeChunk(from, count, shape, ids);
    console.log(`drain bench: ${fmt(N)} results, ${CHECKS} checks, window ${WINDOW}, ${BATCH} results/batch, files in ${d.root}`);

    // 1. The ceiling: plain better-sqlite3 into a collector-shaped table, nothing else running.
    const rawSec = collectorCeiling({ path: join(scratch, 'ceiling.db'), results: N, rowsPerTxn: BATCH, make });
    rmSync(join(scratch, 'ceiling.db'), { force: true });
    console.log(`raw ceiling: ${rawSec.toFixed(2)} s (${fmt(N / rawSec)} rows/s) into a collector-shaped table, synchronous=FULL, ${BATCH}-row transactions`);

    // 2. The backlog, written by the real Outbox after a real `outpost-agent init`.
    await d.initAgent(AGENT, {
      checks: [],
      uplink: { window: WINDOW, max_batch_results: BATCH, heartbeat_interval: '10s', idle_timeout: '30s' },
    });
    let start = performance.now();
    const outbox = Outbox.open(watcher.outboxDb);
    for (let from = 0; from < N; from += ROWS_PER_APPEND) outbox.append(make(from, Math.min(ROWS_PER_APPEND, N - from)));
    const backlog = outbox.depth();
    outbox.close();
    const buildSec = seconds(start);
    console.log(`backlog: ${fmt(backlog.count)} results, ${(backlog.bytes / 2 ** 20).toFixed(1)} MiB encoded, built in ${buildSec.toFixed(1)} s`);

    // 3. The drain: collector up first, then the agent; the clock starts at the agent's spawn.
    const collector = await withProfile('collector', profileDir, () => d.startCollector());
    const collectorPid = collector.child.pid!;
    const collectorBefore = procStats(collectorPid);
    const startEpochMs = Date.now();
    start = performance.now();
    const agent: RunningProcess = withProfile('agent', profileDir, () => d.startAgent(AGENT));
    const agentPid = agent.child.pid!;
    let connectedSec: number | undefined;
    void agent.waitForLine((line) => line.includes('connected to collector'), TIMEOUT_MS).then(() => (connectedSec = seconds(start)), () => undefined);

    const progress: Progress[] = [];
    let lastPrint = 0;
    let agentPeak = 0;
    let collectorPeak = 0;
    for (;;) {
      if (performance.now() - start > TIMEOUT_MS) {
        throw new Error(`not drained within ${TIMEOUT_MS / 1000} s\nagent:\n${agent.lines.slice(-15).join('\n')}\ncollector:\n${collector.lines.slice(-15).join('\n')}`);
      }
      if (agent.child.exitCode !== null || collector.child.exitCode !== null) {
        throw new Error(`a process exited during the drain\nagent:\n${agent.lines.slice(-15).join('\n')}\ncollector:\n${collector.lines.slice(-15).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      let stored: number;
      let waiting: number;
      try {
        stored = watcher.stored();
        waiting = watcher.waiting();
      } catch {
        continue; // a file not ready yet, or briefly locked by a checkpoint
      }
      const atSec = seconds(start);
      progress.push({ atSec, stored, waiting });
      agentPeak = Math.max(agentPeak, procStats(agentPid)?.rssMiB ?? 0);
      collectorPeak = Math.max(collectorPeak, procStats(collectorPid)?.rssMiB ?? 0);
      if (waiting === 0 && stored >= N) break;
      if (atSec - lastPrint >= 2) {
        lastPrint = atSec;
        const rate = stored / Math.max(1e-9, atSec - (connectedSec ?? 0));
        console.log(`  t=${atSec.toFixed(1)} s  stored ${fmt(stored)}  waiting ${fmt(waiting)}  ~${fmt(rate)} results/s since connect`);
      }
    }
    const totalSec = seconds(start);
    const collectorAfter = procStats(collectorPid);
    const agentAfter = procStats(agentPid);
    const lastAckAt = Number(watcher.meta('last_ack_at') ?? 0);
    const lastAckSec = lastAckAt > 0 ? (lastAckAt - startEpochMs) / 1000 : undefined;
    const counts = watcher.exactCounts();
    if (counts.collectorRows !== N || counts.outboxRows !== 0) throw new Error(`drain incomplete: collector ${counts.collectorRows} of ${N}, outbox ${counts.outboxRows} left`);
    watcher.close();
    const counters = (await d.api<{ counters: Record<string, number> }>('/api/v1/status')).counters;
    const batchesPerCommit = (counters['ingest.batches'] ?? 0) / Math.max(1, counters['ingest.commits'] ?? 0);

    await agent.stop('SIGTERM');
    await d.stopCollector('SIGTERM');

    // 4. Report.
    const collectorCpu = cpuDelta(collectorBefore, collectorAfter);
    const agentCpu = agentAfter?.cpuSeconds;
    const drainedSec = lastAckSec ?? totalSec;
    const uplinkSettings = `window ${WINDOW}, ${BATCH} results/batch, max_batch_bytes 1 MiB, wss (TLS, pinned), ${CHECKS} checks, ~${Math.round(backlog.bytes / N)} B/result`;
    const rows: BenchRow[] = [
      {
        scenario: `backlog drain of ${fmt(N)} results (agent spawn → outbox empty, collector holds all)`,
        unit: 's',
        outpost: totalSec,
        peer: rawSec,
        peerTool: 'raw better-sqlite3 insert, collector table, FULL',
        better: 'lower',
        target: N === 1_440_000 ? '≤ 30 s' : `≤ ${((N / 1_440_000) * 30).toFixed(2)} s (30 s × N/1.44M)`,
        met: N / totalSec >= TARGET_RATE,
        settings: uplinkSettings,
      },
      {
        scenario: 'drain rate',
        unit: 'results/s',
        outpost: N / totalSec,
        peer: N / rawSec,
        peerTool: 'raw better-sqlite3 insert, collector table, FULL',
        better: 'higher',
        target: '≥ 48,000 results/s',
        met: N / totalSec >= TARGET_RATE,
        settings: uplinkSettings,
      },
    ];
    console.log(`\n${formatTable(rows)}\n`);
    const phases = {
      spawnToConnectedSec: connectedSec,
      connectedToLastAckSec: connectedSec !== undefined && lastAckSec !== undefined ? lastAckSec - connectedSec : undefined,
      lastAckSec,
      observedDoneSec: totalSec,
      pollMs: POLL_MS,
    };
    const processes = {
      collector: { batchesPerCommit, cpuSecondsDuringDrain: collectorCpu, busyShare: collectorCpu === undefined ? undefined : collectorCpu / totalSec, rssMiB: collectorAfter?.rssMiB, peakRssMiB: collectorAfter?.peakRssMiB, sampledPeakRssMiB: collectorPeak },
      agent: { cpuSeconds: agentCpu, busyShare: agentCpu === undefined ? undefined : agentCpu / totalSec, rssMiB: agentAfter?.rssMiB, peakRssMiB: agentAfter?.peakRssMiB, sampledPeakRssMiB: agentPeak },
    };
    console.log(`phases: spawn→connected ${connectedSec?.toFixed(2) ?? '?'} s, connected→last ack ${phases.connectedToLastAckSec?.toFixed(2) ?? '?'} s, last ack at ${lastAckSec?.toFixed(2) ?? '?'} s, seen done at ${totalSec.toFixed(2)} s`);
    console.log(
      `collector: ${collectorCpu?.toFixed(1) ?? '?'} CPU s during the drain (${((processes.collector.busyShare ?? 0) * 100).toFixed(0)} % of one core), RSS ${processes.collector.rssMiB?.toFixed(0)} MiB, peak ${processes.collector.peakRssMiB?.toFixed(0)} MiB, ${batchesPerCommit.toFixed(1)} batches per commit`,
    );
    console.log(`agent:     ${agentCpu?.toFixed(1) ?? '?'} CPU s (${((processes.agent.busyShare ?? 0) * 100).toFixed(0)} % of one core), RSS ${processes.agent.rssMiB?.toFixed(0)} MiB, peak ${processes.agent.peakRssMiB?.toFixed(0)} MiB`);
    console.log(`counts: collector ${fmt(counts.collectorRows)} rows, ${counts.duplicates} duplicates; outbox ${counts.outboxRows} left`);

    const profiles: Record<string, unknown> = {};
    if (PROFILE) {
      for (const which of ['agent', 'collector'] as const) {
        const dir = join(profileDir, which);
        let files: string[] = [];
        try {
          files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
        } catch {
          continue;
        }
        for (const file of files) {
          const hot = hotFunctions(join(dir, file), 20);
          profiles[`${which}/${file}`] = hot;
          console.log(`\nCPU profile of the ${which} (${join(dir, file)}), self time:`);
          for (const f of hot) console.log(`  ${f.selfMs.toFixed(0).padStart(7)} ms ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}`);
        }
      }
    }
    const resultsDir = args.get('results-dir');
    const path = writeResults(
      {
        name: 'drain',
        rows,
        details: {
          results: N, checks: CHECKS, window: WINDOW, batchResults: BATCH, backlogBytes: backlog.bytes, backlogBuildSec: buildSec,
          rawCeilingSec: rawSec, phases, processes, counts, loadAverage: loadavg(), profiles,
          progress: progress.filter((_, i) => i % 5 === 0 || i === progress.length - 1),
        },
      },
      typeof resultsDir === 'string' ? resultsDir : undefined,
    );
    console.log(`results: ${path}`);
  } finally {
    watcher.close();
    await d.cleanup();
    // Profiles asked for in --profile-dir stay; everything else made here goes.
    rmSync(scratch, { recursive: true, force: true });
    forget();
  }
}

await main();
