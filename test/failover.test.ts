import { cpSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { range, TestDeployment } from './support/deployment.js';
import { connectedTo, startCollectorProcess } from './support/extra-collector.js';
import { eventually, freePort, getJson, type RunningProcess } from './support/processes.js';
import { drainAll, editAgentConfig, missingIds, StoreView, strayIds } from './support/store-view.js';

/**
 * An agent with `collector.urls: [A, B]` moves to B when A dies and back to A once A returns
 * (uplink.failback_after). Two layouts an operator runs: a standby with a copy of A's data
 * directory (same identity, its own database), and two processes on one shared database.
 */

interface AgentsView {
  agents: { name: string; connected: boolean }[];
}

let deployment: TestDeployment | undefined;
let standby: RunningProcess | undefined;
let listener: Server | undefined;

afterEach(async () => {
  await standby?.stop('SIGKILL');
  standby = undefined;
  await deployment?.cleanup();
  deployment = undefined;
  await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
  listener = undefined;
});

async function setUp(name: string): Promise<TestDeployment> {
  const d = (deployment = await TestDeployment.create());
  const server = (listener = createServer((socket) => socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const openPort = (server.address() as { port: number }).port;
  const checks: Record<string, unknown>[] = [{ id: 'open', type: 'tcp', target: `127.0.0.1:${openPort}`, expect: 'open', interval: '100ms', jitter: '0%' }];
  for (let i = 0; i < 4; i++) checks.push({ id: `closed-${i}`, type: 'tcp', target: `127.0.0.1:${await freePort()}`, expect: 'closed', interval: '100ms', jitter: '0%' });
  await d.initAgent(name, { checks, uplink: { window: 2, max_batch_results: 20, failback_after: '3s' } });
  return d;
}

function pointAt(d: TestDeployment, name: string, ports: number[]): void {
  editAgentConfig(d, name, (config) => {
    const collector = config['collector'] as Record<string, unknown>;
    delete collector['url'];
    collector['urls'] = ports.map((port) => `wss://127.0.0.1:${port}`);
  });
}

/** A dies; the agent moves to B and keeps delivering there; A returns and the agent goes back. */
async function killAndFailBack(d: TestDeployment, agent: RunningProcess, portB: number, countAtB: () => number, countAtA: () => number): Promise<void> {
  await eventually('results at A', () => (countAtA() >= 20 ? true : undefined));
  const mark = agent.lines.length;
  await d.stopCollector('SIGKILL');
  await eventually('the agent on B', () => (connectedTo(agent, portB, mark).length > 0 ? true : undefined), 30_000);
  const atB = countAtB();
  await eventually('delivery going on at B', () => (countAtB() >= atB + 30 ? true : undefined), 30_000);

  // A comes back on its port: within failback_after (3 s) plus a backoff the agent returns.
  await d.startCollector();
  const back = agent.lines.length;
  await eventually('the agent back on A', () => (connectedTo(agent, d.port, back).length > 0 ? true : undefined), 30_000);
  expect(agent.lines.slice(mark).some((line) => line.includes('collector connection ended') && line.includes('returning to the first collector'))).toBe(true);
  const view = await eventually('A showing the agent connected', async () => {
    const v = await getJson<AgentsView>(`${d.apiUrl}/api/v1/agents`);
    return v.agents.some((a) => a.connected) ? v : undefined;
  });
  expect(view.agents).toEqual([expect.objectContaining({ connected: true })]);
  // And it stays there: on the first collector there is no failback timer to leave it again.
  const settled = agent.lines.length;
  const atA = countAtA();
  await new Promise((r) => setTimeout(r, 4_000));
  expect(agent.lines.slice(settled).filter((line) => line.includes('collector connection ended'))).toEqual([]);
  expect(countAtA()).toBeGreaterThan(atA);
}

describe('failover between collectors and failback to the first', () => {
  it('standby with a copy of the data directory: A ∪ B holds every id, and the agent returns to A', { timeout: 150_000 }, async () => {
    const name = 'fo-copy';
    const d = await setUp(name);
    // The standby is a copy made before either starts: same key and certificate (the agent pins
    // one of each), the unused enrollment token included, its own database from then on.
    const standbyDir = join(d.root, 'standby');
    cpSync(d.collectorDir, standbyDir, { recursive: true });
    const portB = await freePort();
    pointAt(d, name, [d.port, portB]);
    await d.startCollector();
    standby = await startCollectorProcess(standbyDir, { host: '127.0.0.1', port: portB, httpPort: await freePort() });
    const a = StoreView.of(d.collectorDir);
    const b = StoreView.of(standbyDir);
    const agent = d.startAgent(name);
    await killAndFailBack(d, agent, portB, () => b.count(name), () => a.count(name));

    const union = () => new Set([...a.results(name).map((r) => r.id), ...b.results(name).map((r) => r.id)]).size;
    const n = await drainAll(d, name, union);
    const idsA = a.results(name).map((r) => r.id);
    const idsB = b.results(name).map((r) => r.id);
    expect(strayIds(idsA, n)).toEqual([]);
    expect(strayIds(idsB, n)).toEqual([]);
    expect(missingIds([...idsA, ...idsB], n)).toEqual([]);
    expect(idsB.length).toBeGreaterThanOrEqual(30);
    // Only what was in flight when A died can be at both.
    const overlap = idsB.filter((id) => new Set(idsA).has(id));
    console.log(`standby: ${n} results, ${idsA.length} at A, ${idsB.length} at B, ${overlap.length} at both`);
    expect(overlap.length).toBeLessThanOrEqual(2 * 20);
    expect(a.gaps(name)).toEqual([]);
    expect(b.gaps(name)).toEqual([]);
  });

  it('two collector processes on one shared database: ids are exactly 1..N, and the agent returns to A', { timeout: 150_000 }, async () => {
    const name = 'fo-shared';
    const d = await setUp(name);
    const portB = await freePort();
    pointAt(d, name, [d.port, portB]);
    await d.startCollector();
    standby = await startCollectorProcess(d.collectorDir, { host: '127.0.0.1', port: portB, httpPort: await freePort() });
    const shared = StoreView.of(d.collectorDir);
    const agent = d.startAgent(name);
    const connectionsToB = () => connectedTo(agent, portB).length;
    await killAndFailBack(d, agent, portB, () => (connectionsToB() > 0 ? shared.count(name) : 0), () => shared.count(name));

    const n = await drainAll(d, name, () => shared.count(name));
    expect(shared.results(name).map((r) => r.id)).toEqual(range(n));
    const counters = shared.agent(name)!;
    expect(counters.resultsStored).toBe(n);
    expect(counters.maxResultId).toBe(n);
    expect(shared.gaps(name)).toEqual([]);
    console.log(`shared store: ${n} results, ${counters.duplicates} duplicates absorbed`);
  });
});
