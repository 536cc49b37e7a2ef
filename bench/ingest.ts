// Collector ingest: signed batches pushed over wss into a real `outpost-collector run`
// (verify + decode + dedup + store + Ack), beside two ceilings measured in the same run:
// decodeFrame + openBatch alone in this process, and a raw better-sqlite3 insert into a
// collector-shaped table (DESIGN §7: ≥ 200k results/s per process). Then the same ingest
// into PostgreSQL (`run --store postgres://…`, a server of the bench's own on a temporary
// data directory, fsync on) with one and with two collector processes on one database.
// Run: npm run bench:ingest [-- --results 500000 --batch 1000 --window 8 --profile-dir DIR --no-postgres --tiny]. See bench/README.md.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFrame, generateKeyPair, openBatch, PublicKey } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { SqliteStore } from '../packages/collector/dist/sqlite-store.js';
import { TestDeployment } from '../test/support/deployment.js';
import { checkIds, dayShape, makeChunk } from './lib/backlog.js';
import { collectorCeiling } from './lib/collector-ceiling.js';
import { hotFunctions } from './lib/cpu-profile.js';
import { encodeResults, IngestAgent, signedBatchFrame } from './lib/ingest-agent.js';
import { onInterrupt } from './lib/netns.js';
import { ingestIntoPostgres, type PostgresIngestRun } from './lib/postgres-ingest.js';
import { PostgresServer } from './lib/postgres-server.js';
import { procStats } from './lib/proc-stats.js';
import { formatTable, writeResults, type BenchRow } from './lib/report.js';
import { median, numberArg, parseArgs } from './lib/tools.js';

const args = parseArgs(process.argv.slice(2), { tiny: 'flag', results: 'number', batch: 'number', window: 'number', 'profile-dir': 'string', 'results-dir': 'string', 'no-postgres': 'flag' });
const tiny = args.has('tiny');
const N = numberArg(args, 'results', tiny ? 20_000 : 500_000);
const BATCH = Math.min(5_000, Math.max(1, numberArg(args, 'batch', 1_000)));
const WINDOW = Math.max(1, numberArg(args, 'window', 8));
const CHECKS = 1_000;
const AGENT = 'ingest-bench';
/** When set, the collector is profiled (see bench/lib/cpu-prof-preload.mjs) and its hot functions printed. */
const PROFILE_DIR = args.get('profile-dir') as string | undefined;
const PRELOAD = join(import.meta.dirname, 'lib', 'cpu-prof-preload.mjs');
/** DESIGN §7: collector ingest (verify + dedup + store) ≥ 200k results/s per process. */
const TARGET_RATE = 200_000;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const d = await TestDeployment.create();
  const scratch = mkdtempSync(join(tmpdir(), 'outpost-bench-ingest-'));
  let agent: IngestAgent | undefined;
  let pgServer: PostgresServer | undefined;
  const forget = onInterrupt(() => {
    agent?.close();
    void pgServer?.stop();
    d.collector?.child.kill('SIGKILL');
    rmSync(d.root, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });
  try {
    const ids = checkIds(CHECKS);
    const shape = dayShape(N, CHECKS);
    const make = (from: number, count: number) => makeChunk(from, count, shape, ids);
    console.error(`ingest bench: ${fmt(N)} results in ${BATCH}-result batches, window ${WINDOW}, files in ${d.root}`);

    // 1. Every batch built and signed before any clock starts.
    let start = performance.now();
    const token = await d.token();
    const keyPair = generateKeyPair();
    const frames: Uint8Array[] = [];
    for (let from = 0, seq = 1; from < N; from += BATCH, seq++) {
      const count = Math.min(BATCH, N - from);
      frames.push(signedBatchFrame(keyPair, seq, encodeResults(make(from, count), from + 1)));
    }
    const wireBytes = frames.reduce((sum, f) => sum + f.length, 0);
    console.error(`built ${frames.length} signed batches, ${(wireBytes / 2 ** 20).toFixed(1)} MiB on the wire, in ${((performance.now() - start) / 1000).toFixed(1)} s`);

    // 2. Ceiling A: what the collector does to a Batch message before the store, in-process.
    const key = PublicKey.from(keyPair.publicKey);
    const openSamples: number[] = [];
    for (let r = 0; r < 3; r++) {
      start = performance.now();
      let opened = 0;
      for (const frame of frames) {
        const decoded = decodeFrame(frame);
        if (decoded.type !== 'batch') throw new Error(`built a ${decoded.type} frame, expected batch`);
        opened += openBatch(decoded.body, key).results.length;
      }
      if (opened !== N) throw new Error(`openBatch saw ${opened} results, expected ${N}`);
      openSamples.push((performance.now() - start) / 1000);
    }
    const openSec = median(openSamples);
    console.error(`decodeFrame + openBatch: ${openSec.toFixed(2)} s (${fmt(N / openSec)} results/s), median of 3`);

    // 3. Ceiling B: plain better-sqlite3 into the collector's table shape, nothing else running.
    const rawSec = collectorCeiling({ path: join(scratch, 'ceiling.db'), results: N, rowsPerTxn: BATCH, make });
    rmSync(join(scratch, 'ceiling.db'), { force: true });
    rmSync(join(scratch, 'ceiling.db-wal'), { force: true });
    console.error(`raw insert: ${rawSec.toFixed(2)} s (${fmt(N / rawSec)} rows/s), synchronous=FULL, ${BATCH}-row transactions`);
    // The best batching the collector can get from one agent: its whole window in one commit;
    // the same without the per-check index, to show what that index costs; and into the bare
    // table (no secondary index at all): what storing one row per result costs by itself.
    const windowRows = BATCH * WINDOW;
    const ceilingWithout = (name: string, indexes: string[]) => {
      const path = join(scratch, `${name}.db`);
      void SqliteStore.open(path).close();
      const indexed = new Database(path);
      for (const index of indexes) indexed.exec(`DROP INDEX ${index}`);
      indexed.close();
      const sec = collectorCeiling({ path, results: N, rowsPerTxn: windowRows, make });
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
      return sec;
    };
    const windowSec = ceilingWithout('ceiling-window', []);
    const noIndexSec = ceilingWithout('ceiling-no-check-index', ['results_by_check_time']);
    const bareSec = ceilingWithout('ceiling-bare', ['results_by_check_time', 'results_by_time']);
    console.error(
      `raw insert, ${windowRows}-row transactions (one window per commit): ${fmt(N / windowSec)} rows/s; ` +
        `same without results_by_check_time: ${fmt(N / noIndexSec)} rows/s; bare table (no secondary index): ${fmt(N / bareSec)} rows/s`,
    );

    // 4. The real thing: a collector process, one enrolled agent, `WINDOW` batches in flight.
    // Node 20 refuses --cpu-prof in NODE_OPTIONS; the preload starts the profiler instead.
    const savedOptions = process.env['NODE_OPTIONS'];
    if (PROFILE_DIR) {
      process.env['NODE_OPTIONS'] = `${savedOptions ?? ''} --import=${PRELOAD}`.trim();
      process.env['OUTPOST_BENCH_CPU_PROF_DIR'] = PROFILE_DIR;
    }
    const collector = await d.startCollector().finally(() => {
      if (savedOptions === undefined) delete process.env['NODE_OPTIONS'];
      else process.env['NODE_OPTIONS'] = savedOptions;
      delete process.env['OUTPOST_BENCH_CPU_PROF_DIR'];
    });
    const pid = collector.child.pid!;
    agent = await IngestAgent.enrol(`wss://127.0.0.1:${d.port}/outpost/v1`, { name: AGENT, collectorKey: d.collectorKey, token, keyPair });
    const before = procStats(pid);
    const outcome = await agent.pump(frames, WINDOW);
    const after = procStats(pid);
    agent.close();
    // The collector's own count of commits (acks can arrive together for other reasons).
    const counters = (await d.api<{ counters: Record<string, number> }>('/api/v1/status')).counters;
    const batchesPerCommit = (counters['ingest.batches'] ?? 0) / Math.max(1, counters['ingest.commits'] ?? 0);
    console.error(`wss ingest: ${outcome.seconds.toFixed(2)} s (${fmt(N / outcome.seconds)} results/s), stored ${fmt(outcome.stored)}, duplicates ${outcome.duplicates}`);

    const db = new Database(join(d.collectorDir, 'collector.db'), { readonly: true });
    const counted = db.prepare('SELECT a.results_stored AS stored, (SELECT count(*) FROM results r WHERE r.agent_id = a.id) AS rows FROM agents a WHERE a.name = ?').get(AGENT) as
      | { stored: number; rows: number }
      | undefined;
    db.close();
    await d.stopCollector('SIGTERM');
    if (outcome.stored !== N || outcome.duplicates !== 0 || counted?.rows !== N) {
      throw new Error(`ingest incomplete: acked ${outcome.stored} stored + ${outcome.duplicates} duplicates, collector holds ${counted?.rows ?? 0} of ${N}`);
    }

    // 5. PostgreSQL: the same batches through one collector, then the results split over two
    // agents, each on its own collector process, both on one database.
    const pgRuns: PostgresIngestRun[] = [];
    if (!args.has('no-postgres')) {
      pgServer = await PostgresServer.start({ durable: true });
      pgRuns.push(await ingestIntoPostgres(d, pgServer, 'bench_one', [{ keyPair, frames }], WINDOW));
      const half = Math.ceil(N / 2);
      const halves = [generateKeyPair(), generateKeyPair()].map((kp, i) => {
        const first = i === 0 ? 0 : half;
        const end = i === 0 ? half : N;
        const list: Uint8Array[] = [];
        for (let from = first, seq = 1; from < end; from += BATCH, seq++) list.push(signedBatchFrame(kp, seq, encodeResults(make(from, Math.min(BATCH, end - from)), from + 1)));
        return { keyPair: kp, frames: list };
      });
      pgRuns.push(await ingestIntoPostgres(d, pgServer, 'bench_two', halves, WINDOW));
      await pgServer.stop();
      pgServer = undefined;
    }
    for (const run of pgRuns) {
      console.error(
        `PostgreSQL, ${run.collectors} collector(s): ${run.seconds.toFixed(2)} s (${fmt(N / run.seconds)} results/s), stored ${fmt(run.stored)}, duplicates ${run.duplicates}, ` +
          `~${run.batchesPerCommit.toFixed(1)} batches per commit`,
      );
      if (run.stored !== N || run.duplicates !== 0 || run.rows !== N) {
        throw new Error(`PostgreSQL ingest with ${run.collectors} collector(s) incomplete: acked ${run.stored} stored + ${run.duplicates} duplicates, database holds ${run.rows} of ${N}`);
      }
    }

    // 6. Report.
    const cpuSec = before && after ? after.cpuSeconds - before.cpuSeconds : undefined;
    const rate = N / outcome.seconds;
    const settings = `${fmt(N)} results, ${BATCH}/batch, window ${WINDOW}, wss (TLS), Ed25519-signed, ~${Math.round(wireBytes / N)} B/result`;
    const rawTool = 'raw better-sqlite3 insert, collector table, FULL';
    const rows: BenchRow[] = [
      { scenario: 'collector ingest over wss (verify + dedup + store + ack)', unit: 'results/s', outpost: rate, peer: N / rawSec, peerTool: rawTool, better: 'higher', target: '≥ 200,000 results/s', met: rate >= TARGET_RATE, settings },
      { scenario: 'decodeFrame + openBatch alone (in-process ceiling)', unit: 'results/s', outpost: N / openSec, peer: N / rawSec, peerTool: rawTool, better: 'higher', target: '(informational)', met: undefined, settings: `same batches, one thread, median of 3` },
    ];
    console.log(`\n${formatTable(rows)}\n`);
    console.log(
      `raw better-sqlite3 ceilings (same rows, collector schema, WAL + synchronous=FULL): ${BATCH}-row transactions ${fmt(N / rawSec)} rows/s; ` +
        `${windowRows}-row transactions ${fmt(N / windowSec)} rows/s; ${windowRows}-row transactions without results_by_check_time ${fmt(N / noIndexSec)} rows/s; ` +
        `${windowRows}-row transactions into the bare table (no secondary index) ${fmt(N / bareSec)} rows/s\n`,
    );
    const pgRow = (run: PostgresIngestRun): BenchRow => ({
      scenario: `PostgreSQL ingest, ${run.collectors} collector process${run.collectors === 1 ? '' : 'es'} on one database`,
      unit: 'results/s', outpost: N / run.seconds, peer: rate, peerTool: 'the SQLite collector above, same run', better: 'higher',
      target: '(informational)', met: undefined, settings: `${settings}; PostgreSQL with fsync on, one agent per collector`,
    });
    if (pgRuns.length > 0) console.log(`${formatTable(pgRuns.map(pgRow))}\n`);
    const latency = outcome.ackLatencyMs;
    const quantile = (q: number) => [...latency].sort((a, b) => a - b)[Math.min(latency.length - 1, Math.floor(q * latency.length))];
    console.log(
      `collector: ${cpuSec?.toFixed(1) ?? '?'} CPU s over ${outcome.seconds.toFixed(1)} s (${cpuSec === undefined ? '?' : ((cpuSec / outcome.seconds) * 100).toFixed(0)} % of one core), ` +
        `RSS ${after?.rssMiB.toFixed(0) ?? '?'} MiB (peak ${after?.peakRssMiB.toFixed(0) ?? '?'}); ack latency p50 ${quantile(0.5)?.toFixed(1)} ms, p99 ${quantile(0.99)?.toFixed(1)} ms; ` +
        `${batchesPerCommit.toFixed(1)} batches per commit (the collector's ingest.batches / ingest.commits)`,
    );
    const resultsDir = args.get('results-dir');
    const path = writeResults(
      {
        name: 'ingest',
        rows,
        details: {
          results: N, batchResults: BATCH, window: WINDOW, batches: frames.length, wireBytes, loadAverage: loadavg(),
          ingestSec: outcome.seconds, openBatchSec: openSamples, rawInsertSec: rawSec,
          rawWindowInsertSec: windowSec, rawWindowInsertNoCheckIndexSec: noIndexSec, rawWindowInsertBareTableSec: bareSec, rawWindowRowsPerTxn: windowRows,
          collector: { cpuSeconds: cpuSec, busyShare: cpuSec === undefined ? undefined : cpuSec / outcome.seconds, rssMiB: after?.rssMiB, peakRssMiB: after?.peakRssMiB },
          acks: { stored: outcome.stored, duplicates: outcome.duplicates, p50Ms: quantile(0.5), p99Ms: quantile(0.99), batchesPerCommit },
          collectorRows: counted?.rows,
          // Kept out of `rows`, whose two scenarios the bench smoke test pins.
          postgres: pgRuns.map((run) => ({ ...run, resultsPerSec: N / run.seconds })),
        },
      },
      typeof resultsDir === 'string' ? resultsDir : undefined,
    );
    console.log(`results: ${path}`);
    if (PROFILE_DIR) {
      for (const file of readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile'))) {
        console.log(`\nCPU profile of the collector (${join(PROFILE_DIR, file)}), self time over its whole life:`);
        for (const f of hotFunctions(join(PROFILE_DIR, file), 20)) console.log(`  ${f.selfMs.toFixed(0).padStart(7)} ms ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}`);
      }
    }
  } finally {
    agent?.close();
    await pgServer?.stop();
    await d.cleanup();
    rmSync(scratch, { recursive: true, force: true });
    forget();
  }
}

await main();
