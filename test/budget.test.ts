import { createServer, type Server } from 'node:net';
import { Status } from '@outpost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, freePort } from './support/processes.js';
import { drainAll, editAgentConfig, missingIds, outboxFile, outboxView, runsOf, StoreView, strayIds } from './support/store-view.js';

/**
 * The smallest outbox budget (64 KiB) and a long outage: the agent must drop only repeats,
 * tell the collector exactly how many it dropped (gap records), and keep every state change
 * the test caused by opening and closing a listener during the outage.
 */

const BUDGET_BYTES = 65_536;
const PHASE_MS = 1_500;
const TOGGLES = 8;

let deployment: TestDeployment | undefined;
const servers = new Set<Server>();

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  servers.clear();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listen(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  servers.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

async function unlisten(server: Server): Promise<void> {
  servers.delete(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('outbox budget: a long outage with a tiny budget keeps every state change and accounts for every drop', () => {
  it('drops repeats only, records them as gaps, and the collector sees every transition', { timeout: 170_000 }, async () => {
    const d = (deployment = await TestDeployment.create());
    const name = 'budget-1';
    const steady = await listen(0);
    const steadyPort = (steady.address() as { port: number }).port;
    const flapPort = await freePort();
    const checks: Record<string, unknown>[] = [
      { id: 'flap', type: 'tcp', target: `127.0.0.1:${flapPort}`, expect: 'open', interval: '100ms', jitter: '0%' },
      { id: 'steady', type: 'tcp', target: `127.0.0.1:${steadyPort}`, expect: 'open', interval: '100ms', jitter: '0%' },
    ];
    for (let i = 0; i < 10; i++) checks.push({ id: `closed-${i}`, type: 'tcp', target: `127.0.0.1:${await freePort()}`, expect: 'closed', interval: '100ms', jitter: '0%' });
    await d.initAgent(name, { checks });
    // initAgent writes checks and uplink; the budget goes in the same file.
    editAgentConfig(d, name, (config) => {
      config['outbox'] = { max_bytes: BUDGET_BYTES };
    });

    // The collector is not started: the whole test until the drain is one outage.
    const agent = d.startAgent(name);
    await agent.waitForLine((line) => line.includes('agent started'), 30_000);
    const phases: { status: number; from: number; to: number }[] = [{ status: Status.CRITICAL, from: Date.now(), to: 0 }];
    await sleep(PHASE_MS);
    let flap: Server | undefined;
    for (let i = 0; i < TOGGLES; i++) {
      if (flap) {
        await unlisten(flap);
        flap = undefined;
      } else {
        flap = await listen(flapPort);
      }
      const at = Date.now();
      phases.at(-1)!.to = at;
      phases.push({ status: flap ? Status.OK : Status.CRITICAL, from: at, to: 0 });
      await sleep(PHASE_MS);
    }
    const compactions = () => agent.lines.filter((line) => line.includes('outbox over budget')).length;
    let maxBytesAfterFirst = 0;
    await eventually(
      'three compactions',
      () => {
        if (compactions() > 0) maxBytesAfterFirst = Math.max(maxBytesAfterFirst, outboxView(outboxFile(d, name)).bytes);
        return compactions() >= 3 ? true : undefined;
      },
      90_000,
      250,
    );
    phases.at(-1)!.to = Date.now();
    const beforeDrain = outboxView(outboxFile(d, name));
    console.log(`budget: ${compactions()} compactions, outbox ${beforeDrain.waiting} rows / ${beforeDrain.bytes} bytes of ${beforeDrain.lastId} made, ${beforeDrain.pendingGaps} gap records; max bytes seen ${maxBytesAfterFirst}`);
    expect(beforeDrain.pendingGaps).toBeGreaterThanOrEqual(3);
    // The budget holds: the outbox exceeds it by at most about a second of results between compactions.
    expect(maxBytesAfterFirst).toBeLessThanOrEqual(2 * BUDGET_BYTES);

    await d.startCollector();
    const view = StoreView.of(d.collectorDir);
    const delivered = () => view.count(name) + view.gaps(name).reduce((sum, g) => sum + g.count, 0);
    const n = await drainAll(d, name, delivered);

    // (a) Exact accounting: every id is stored or inside a gap, the gap counts add up exactly.
    const rows = view.results(name);
    const gaps = view.gaps(name);
    const ids = rows.map((r) => r.id);
    expect(strayIds(ids, n)).toEqual([]);
    const missing = missingIds(ids, n);
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.filter((id) => !gaps.some((g) => id >= g.from && id <= g.to))).toEqual([]);
    expect(gaps.reduce((sum, g) => sum + g.count, 0)).toBe(n - rows.length);
    for (const gap of gaps) {
      expect(Object.values(gap.perCheck).reduce((sum, c) => sum + c, 0)).toBe(gap.count);
      expect(gap.reason).toBe('cap');
      expect(gap.firstMs).toBeLessThanOrEqual(gap.lastMs);
    }
    const droppedPerCheck = (check: string) => gaps.reduce((sum, g) => sum + (g.perCheck[check] ?? 0), 0);
    // Repeats of the flapping check were dropped too, so its transitions survived a real squeeze.
    expect(droppedPerCheck('flap')).toBeGreaterThan(0);

    // Every transition the test caused is there, in order, with no extra one: the dropped
    // results were all repeats inside a run of equal status.
    const flapRows = rows.filter((r) => r.checkId === 'flap').sort((x, y) => x.startedAt - y.startedAt || x.id - y.id);
    expect(runsOf(flapRows.map((r) => r.status))).toEqual(phases.map((p) => p.status));
    // And each run sits in its phase: it starts within that phase (the first result of the
    // new status, kept by the compaction), and no stored result contradicts the phase it lies in.
    const runStarts = flapRows.filter((r, i) => i === 0 || flapRows[i - 1]!.status !== r.status);
    runStarts.forEach((row, i) => {
      const phase = phases[i]!;
      expect(row.startedAt).toBeGreaterThanOrEqual(phase.from - 300);
      expect(row.startedAt).toBeLessThan(phase.to);
    });
    for (const phase of phases) {
      const inside = flapRows.filter((r) => r.startedAt > phase.from + 300 && r.startedAt < phase.to - 300);
      expect(inside.filter((r) => r.status !== phase.status)).toEqual([]);
    }
    for (const check of checks.map((c) => String(c.id)).filter((id) => id !== 'flap')) {
      const statuses = rows.filter((r) => r.checkId === check).map((r) => r.status);
      // `steady` expects open and `closed-*` expect closed: OK throughout.
      expect(runsOf(statuses)).toEqual([Status.OK]);
    }
    const flapState = view.checkStates(name).get('flap')!;
    expect(flapState.status).toBe(phases.at(-1)!.status);

    // (b) The gap records are visible at the centre: in the database, and through the API if it has them.
    const res = await fetch(`${d.apiUrl}/api/v1/gaps?agent=${name}`);
    if (res.status === 200) {
      const body = (await res.json()) as { gaps: { fromResultId: number; toResultId: number; count: number; perCheck: Record<string, number> }[] };
      const viaApi = body.gaps.map((g) => ({ from: g.fromResultId, to: g.toResultId, count: g.count, perCheck: g.perCheck })).sort((x, y) => x.from - y.from);
      expect(viaApi).toEqual(gaps.map((g) => ({ from: g.from, to: g.to, count: g.count, perCheck: g.perCheck })));
      const agents = (await (await fetch(`${d.apiUrl}/api/v1/agents`)).json()) as { agents: { name: string; droppedReported?: number }[] };
      const me = agents.agents.find((a) => a.name === name)!;
      if (me.droppedReported !== undefined) expect(me.droppedReported).toBe(n - rows.length);
    } else {
      expect(res.status).toBe(404);
      console.log('budget: GET /api/v1/gaps is not there (404); gap records checked in the database only');
    }
  });
});
