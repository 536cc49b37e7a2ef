import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { range, TestDeployment } from './support/deployment.js';
import { LinkLab } from './support/netns-deployment.js';
import { eventually, freePort, type RunningProcess } from './support/processes.js';
import { editAgentConfig, outboxFile, outboxView, StoreView } from './support/store-view.js';

/**
 * The collector in its own network namespace behind a veth link, the agent in the root
 * namespace: the link goes down, or silently drops everything, while checks go on.
 */

let deployment: TestDeployment | undefined;
let lab: LinkLab | undefined;
let listener: Server | undefined;

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
  await lab?.destroy();
  lab = undefined;
  await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
  listener = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collector in the namespace, agent in the root namespace pointed at it, results flowing. */
async function linkedAgent(name: string): Promise<{ d: TestDeployment; agent: RunningProcess; view: StoreView }> {
  const l = (lab = LinkLab.create());
  const d = (deployment = await TestDeployment.create());
  const server = (listener = createServer((socket) => socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  // The checks stay on loopback, so they go on unchanged whatever happens to the link.
  const checks: Record<string, unknown>[] = [
    { id: 'open', type: 'tcp', target: `127.0.0.1:${(server.address() as { port: number }).port}`, expect: 'open', interval: '100ms', jitter: '0%' },
  ];
  for (let i = 0; i < 3; i++) checks.push({ id: `closed-${i}`, type: 'tcp', target: `127.0.0.1:${await freePort()}`, expect: 'closed', interval: '100ms', jitter: '0%' });
  await d.initAgent(name, { checks, uplink: { heartbeat_interval: '500ms', idle_timeout: '2s', backoff_min: '50ms', backoff_max: '1s' } });
  editAgentConfig(d, name, (config) => {
    (config['collector'] as Record<string, unknown>)['url'] = `wss://${l.collectorAddress}:${d.port}`;
  });
  await l.startCollector(d.collectorDir, d.port, d.httpPort);
  const agent = d.startAgent(name);
  const view = StoreView.of(d.collectorDir);
  await eventually('results across the link', () => (view.count(name) >= 20 ? true : undefined), 30_000);
  return { d, agent, view };
}

/** Wait for the agent to log a new connection; on failure show what it said meanwhile. */
async function reconnected(agent: RunningProcess, from: number, what: string, timeoutMs: number): Promise<void> {
  try {
    await eventually(what, () => (connected(agent, from).length > 0 ? true : undefined), timeoutMs);
  } catch (err: unknown) {
    throw new Error(`${(err as Error).message}; agent log since:\n${agent.lines.slice(from).slice(-40).join('\n')}`);
  }
}

const ended = (agent: RunningProcess, from: number) => agent.lines.slice(from).filter((line) => line.includes('collector connection ended'));
const connected = (agent: RunningProcess, from: number) => agent.lines.slice(from).filter((line) => line.includes('connected to collector'));

describe('link faults between agent and collector (network namespaces)', () => {
  it('link down for 5 s: the agent buffers, reconnects, and the outage results arrive with their own times', { timeout: 150_000 }, async () => {
    const name = 'link-down';
    const { d, agent, view } = await linkedAgent(name);
    const mark = agent.lines.length;
    const waitingBefore = outboxView(outboxFile(d, name)).waiting;
    lab!.linkDown();
    const downAt = Date.now();
    await sleep(5_000);
    const waitingDuring = outboxView(outboxFile(d, name)).waiting;
    const upAt = Date.now();
    lab!.linkUp();
    // The dead connection was noticed during the outage (idle timeout 2 s), not only after it.
    expect(ended(agent, mark).length).toBeGreaterThan(0);
    // Four checks every 100 ms for 5 s: hundreds of results, all of them held in the outbox.
    expect(waitingDuring - waitingBefore).toBeGreaterThanOrEqual(50);
    await reconnected(agent, mark, 'a reconnect after the link is back', 30_000);

    const n = await d.drain(name);
    const stored = view.results(name);
    expect(stored.map((r) => r.id)).toEqual(range(n));
    const duringOutage = stored.filter((r) => r.startedAt > downAt && r.startedAt < upAt);
    expect(duringOutage.length).toBeGreaterThanOrEqual(50);
    // Checked during the outage, received after it: original timestamps, not arrival times.
    expect(duringOutage.filter((r) => r.receivedAt < upAt)).toEqual([]);
    expect(view.agent(name)!.resultsStored).toBe(n);
  });

  it('silent blackhole: missing heartbeat replies end the connection, results buffer, and arrive exactly once after', { timeout: 150_000 }, async () => {
    const name = 'blackhole';
    const { d, agent, view } = await linkedAgent(name);
    const mark = agent.lines.length;
    lab!.blackhole();
    const holeAt = Date.now();
    // The TCP connection is still "up"; only the missing Heartbeat answers can tell.
    const line = await agent.waitForLine((l) => agent.lines.indexOf(l) >= mark && l.includes('collector connection ended'), 20_000);
    const noticedAfterMs = Date.now() - holeAt;
    expect((JSON.parse(line) as { reason: string }).reason).toMatch(/no frame from the collector for 2000 ms/);
    console.log(`blackhole noticed after ${noticedAfterMs} ms`);
    const waitingAtNotice = outboxView(outboxFile(d, name)).waiting;
    const storedInHole = view.count(name);
    await sleep(3_000);
    // Still buffering, nothing got through.
    expect(outboxView(outboxFile(d, name)).waiting).toBeGreaterThan(waitingAtNotice + 30);
    expect(view.count(name)).toBe(storedInHole);

    const reconnectMark = agent.lines.length;
    lab!.clearBlackhole();
    // A connect attempt caught in the hole is abandoned at its 10 s handshake timeout at worst.
    await reconnected(agent, reconnectMark, 'a reconnect after the blackhole is lifted', 40_000);

    const n = await d.drain(name);
    expect(view.results(name).map((r) => r.id)).toEqual(range(n));
    const counters = view.agent(name)!;
    expect(counters.resultsStored).toBe(n);
    console.log(`blackhole: ${n} results, ${counters.duplicates} duplicates absorbed`);
  });

  it('a connection attempt whose SYNs vanish is abandoned at the handshake timeout (10 s), not after the kernel gives up', { timeout: 90_000 }, async () => {
    const l = (lab = LinkLab.create());
    const d = (deployment = await TestDeployment.create());
    await d.initAgent('syn-hole', { checks: [], uplink: { heartbeat_interval: '500ms', idle_timeout: '2s' } });
    editAgentConfig(d, 'syn-hole', (config) => {
      (config['collector'] as Record<string, unknown>)['url'] = `wss://${l.collectorAddress}:${d.port}`;
    });
    await l.startCollector(d.collectorDir, d.port, d.httpPort);
    l.blackhole();
    const agent = d.startAgent('syn-hole');
    await expectAttemptAbandoned(agent, 'SYNs dropped by the collector namespace');
  });
});

describe('connection attempts that never complete', () => {
  it('a collector address that accepts TCP but never speaks TLS does not hang the agent', { timeout: 90_000 }, async () => {
    const d = (deployment = await TestDeployment.create());
    const held = new Set<Socket>();
    const silent = (listener = createServer((socket) => {
      held.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => held.delete(socket));
    }));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    await d.initAgent('tls-stall', { checks: [], uplink: { heartbeat_interval: '500ms', idle_timeout: '2s' } });
    editAgentConfig(d, 'tls-stall', (config) => {
      (config['collector'] as Record<string, unknown>)['url'] = `wss://127.0.0.1:${(silent.address() as { port: number }).port}`;
    });
    const agent = d.startAgent('tls-stall');
    try {
      await expectAttemptAbandoned(agent, 'TCP accepted, TLS never answered');
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});

/**
 * The agent's WebSocket is opened with a 10 s handshake timeout: an attempt that has not
 * opened by then must end ("collector connection ended") so the agent retries or fails over.
 */
async function expectAttemptAbandoned(agent: RunningProcess, what: string): Promise<void> {
  const startedAt = Date.now();
  let line: string;
  try {
    line = await agent.waitForLine((l) => l.includes('collector connection ended'), 25_000);
  } catch {
    throw new Error(
      `connection attempt (${what}) still pending after 25 s: the 10 s handshake timeout did not apply. ` +
        `Agent log:\n${agent.lines.join('\n')}`,
    );
  }
  expect((JSON.parse(line) as { reason: string }).reason).toMatch(/time/i);
  expect(Date.now() - startedAt).toBeLessThan(25_000);
}
