import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { range, TestDeployment } from './support/deployment.js';
import { freePort, type RunningProcess } from './support/processes.js';
import { Rng } from './support/prng.js';
import { drainAll, missingIds, outboxFile, outboxView, StoreView, strayIds } from './support/store-view.js';

/**
 * Crash either side at random moments, many times, then check the one promise that matters:
 * the collector holds every result id the agent ever assigned, exactly once. The kill points
 * come from a seeded PRNG; set OUTPOST_CRASH_SEED to replay a run.
 */

let deployment: TestDeployment | undefined;
let listener: Server | undefined;

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
  await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
  listener = undefined;
  delete process.env['OUTPOST_LOG_LEVEL'];
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The agent opened its outbox and started its scheduler; fails at once if it exited instead. */
async function started(agent: RunningProcess): Promise<void> {
  const exited = agent.exited.then((code) => {
    throw new Error(`agent exited (${code}) before starting:\n${agent.lines.join('\n')}`);
  });
  // Once started, the later (expected) exit must not surface as an unhandled rejection.
  exited.catch(() => {});
  await Promise.race([agent.waitForLine((line) => line.includes('agent started'), 30_000), exited]);
}

function seeded(label: string): Rng {
  const rng = new Rng(Rng.seedFromEnv('OUTPOST_CRASH_SEED'));
  console.log(`${label}: seed ${rng.seed} (replay with OUTPOST_CRASH_SEED=${rng.seed})`);
  return rng;
}

/** ~10 tcp checks at 100-130 ms (100 ms is the shortest interval config allows): `open` ports the test names, the rest closed loopback ports. */
async function tcpChecks(rng: Rng, open: number[]): Promise<Record<string, unknown>[]> {
  const checks: Record<string, unknown>[] = open.map((port, i) => ({
    id: `open-${i}`, type: 'tcp', target: `127.0.0.1:${port}`, expect: 'open', interval: `${rng.int(100, 130)}ms`, jitter: '0%',
  }));
  while (checks.length < 10) {
    const i = checks.length;
    checks.push({ id: `closed-${i}`, type: 'tcp', target: `127.0.0.1:${await freePort()}`, expect: 'closed', interval: `${rng.int(100, 130)}ms`, jitter: '0%' });
  }
  return checks;
}

/** Every id in 1..n either stored or inside a gap record, counts adding up; no id twice. */
function expectExactCover(view: StoreView, agent: string, n: number): void {
  const ids = view.results(agent).map((r) => r.id);
  const gaps = view.gaps(agent);
  expect(strayIds(ids, n)).toEqual([]);
  const missing = missingIds(ids, n);
  expect(missing.filter((id) => !gaps.some((g) => id >= g.from && id <= g.to))).toEqual([]);
  expect(gaps.reduce((sum, g) => sum + g.count, 0)).toBe(missing.length);
  // Nothing here may be dropped: a crash is not a budget overflow.
  expect(gaps).toEqual([]);
  expect(ids).toEqual(range(n));
}

describe('crash cycles: SIGKILL at random points never loses or doubles a result', () => {
  it('agent killed 50 times: during checks, outbox writes, uploads and between commit and ack', { timeout: 170_000 }, async () => {
    const rng = seeded('agent-kill');
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const name = 'crash-a';
    await d.initAgent(name, {
      checks: await tcpChecks(rng, [d.port, d.httpPort]),
      uplink: { window: 2, max_batch_results: rng.int(5, 20) },
    });
    const view = StoreView.of(d.collectorDir);
    const cycles: { waitMs: number; made: number; uploaded: number; connected: boolean; backlogAtKill: number }[] = [];
    for (let cycle = 0; cycle < 50; cycle++) {
      const before = { made: cycle === 0 ? 0 : outboxView(outboxFile(d, name)).lastId, stored: view.count(name) };
      const agent = d.startAgent(name);
      await started(agent);
      const waitMs = rng.int(100, 600);
      await sleep(waitMs);
      await agent.stop('SIGKILL');
      const after = outboxView(outboxFile(d, name));
      cycles.push({
        waitMs,
        made: after.lastId - before.made,
        uploaded: view.count(name) - before.stored,
        connected: agent.lines.some((line) => line.includes('connected to collector')),
        backlogAtKill: after.waiting,
      });
    }
    const summary = {
      cyclesThatChecked: cycles.filter((c) => c.made > 0).length,
      cyclesThatUploaded: cycles.filter((c) => c.uploaded > 0).length,
      killedWithBacklogAfterUploading: cycles.filter((c) => c.uploaded > 0 && c.backlogAtKill > 0).length,
      cyclesConnected: cycles.filter((c) => c.connected).length,
    };
    console.log('agent-kill cycles', summary);
    // The kills did land in the middle of real work, not only before the agent got going.
    expect(summary.cyclesThatChecked).toBeGreaterThanOrEqual(25);
    expect(summary.cyclesThatUploaded).toBeGreaterThanOrEqual(5);

    const n = await drainAll(d, name, () => view.count(name) + view.gaps(name).reduce((s, g) => s + g.count, 0));
    expect(n).toBeGreaterThan(100);
    expectExactCover(view, name, n);
    const counters = view.agent(name)!;
    expect(counters.resultsStored).toBe(n);
    expect(counters.maxResultId).toBe(n);
    console.log('agent-kill: results', n, 'duplicates absorbed', counters.duplicates);
  });

  it('collector killed 20 times mid-ingest while the agent uploads a backlog', { timeout: 170_000 }, async () => {
    const rng = seeded('collector-kill');
    const d = (deployment = await TestDeployment.create());
    const server = (listener = createServer((socket) => socket.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const openPort = (server.address() as { port: number }).port;
    const name = 'crash-c';
    // No check touches the collector: its listener is up and down all through this test.
    await d.initAgent(name, { checks: await tcpChecks(rng, [openPort]), uplink: { window: 2, max_batch_results: 5 } });
    // Debug logging shows every Ack's stored/duplicates counts.
    process.env['OUTPOST_LOG_LEVEL'] = 'debug';
    const agent = d.startAgent(name);
    const view = StoreView.of(d.collectorDir);
    await started(agent);
    const deadline = Date.now() + 60_000;
    while (outboxView(outboxFile(d, name)).waiting < 400 && Date.now() < deadline) await sleep(200);
    expect(outboxView(outboxFile(d, name)).waiting).toBeGreaterThanOrEqual(400);

    let ingestingAtKill = 0;
    for (let cycle = 0; cycle < 20; cycle++) {
      await d.startCollector();
      await sleep(rng.int(300, 1200));
      // Rows stored in the last moments before the kill: the kill landed while batches were going in.
      const before = view.count(name);
      await sleep(rng.int(0, 150));
      await d.stopCollector('SIGKILL');
      if (view.count(name) > before) ingestingAtKill += 1;
    }
    console.log('collector-kill: cycles killed while rows were being stored', ingestingAtKill);
    expect(agent.lines.filter((line) => line.includes('connected to collector')).length).toBeGreaterThanOrEqual(5);
    expect(ingestingAtKill).toBeGreaterThanOrEqual(3);
    expect(agent.child.exitCode).toBeNull();

    await d.startCollector();
    const n = await drainAll(d, name, () => view.count(name) + view.gaps(name).reduce((s, g) => s + g.count, 0));
    expectExactCover(view, name, n);
    const counters = view.agent(name)!;
    // Every row was counted once as stored; every re-send was counted as a duplicate instead.
    expect(counters.resultsStored).toBe(n);
    expect(counters.duplicates).toBeGreaterThanOrEqual(0);
    const acks = [...agent.lines, ...d.agents.get(name)!.lines]
      .filter((line) => line.includes('batch acknowledged'))
      .map((line) => JSON.parse(line) as { stored: number; duplicates: number });
    const acked = acks.reduce((sum, a) => ({ stored: sum.stored + a.stored, duplicates: sum.duplicates + a.duplicates }), { stored: 0, duplicates: 0 });
    // Acks lost with a killed collector are missing from the agent's log, never extra.
    expect(acked.stored).toBeLessThanOrEqual(n);
    expect(acked.duplicates).toBeLessThanOrEqual(counters.duplicates);
    console.log('collector-kill: results', n, 'duplicates at the collector', counters.duplicates, 'acked', acked, 'acks', acks.length);
  });
});
