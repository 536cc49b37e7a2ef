import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { range, TestDeployment } from './support/deployment.js';
import { eventually, runCli } from './support/processes.js';
import { RawAgent } from './support/raw-agent.js';

interface AgentsView {
  agents: { name: string; status: string; connected: boolean; resultsStored: number; duplicates: number }[];
}
interface ChecksView {
  checks: { agent: string; check: string; status: string; observation: string }[];
}
interface StatusView {
  counters: Record<string, number>;
}

let deployment: TestDeployment | undefined;

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
});

/** Checks against loopback ports the test controls: the collector's agent listener and its API port. */
function checksFor(d: TestDeployment) {
  return [
    { id: 'collector-port', type: 'tcp', target: `127.0.0.1:${d.port}`, interval: '200ms', jitter: '0%' },
    { id: 'api-port', type: 'tcp', target: `127.0.0.1:${d.httpPort}`, expect: 'open', interval: '200ms', jitter: '0%' },
  ];
}

describe('end to end: agent → signed batches on wss → collector → API', () => {
  it('delivers results that are queryable through the API', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    await d.initAgent('lab-1', { checks: checksFor(d) });
    d.startAgent('lab-1');

    const checks = await eventually('both checks in the API', async () => {
      const view = await d.api<ChecksView>('/api/v1/checks');
      return view.checks.length === 2 ? view.checks : undefined;
    });
    expect(checks.find((c) => c.check === 'collector-port')).toMatchObject({ agent: 'lab-1', status: 'OK', observation: 'open' });
    expect(checks.find((c) => c.check === 'api-port')).toMatchObject({ status: 'OK', observation: 'open' });

    const agents = await d.api<AgentsView>('/api/v1/agents');
    expect(agents.agents).toEqual([expect.objectContaining({ name: 'lab-1', status: 'active', connected: true })]);
    const results = await d.api<{ results: { check: string; resultId: number; startedAt: string }[] }>(
      '/api/v1/results?agent=lab-1&check=collector-port&limit=5',
    );
    expect(results.results.length).toBeGreaterThan(0);
    expect(results.results.every((r) => r.check === 'collector-port')).toBe(true);

    const status = await runCli('agent', ['status', '--config', d.configPath('lab-1'), '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ name: 'lab-1', connection: 'connected' });

    // Several heartbeats later (every 500 ms here) the agent is still on its first session.
    await new Promise((r) => setTimeout(r, 2_500));
    const counters = (await d.api<StatusView>('/api/v1/status')).counters;
    expect(counters['sessions.admitted']).toBe(1);
    // The collector-port check opens and resets TCP connections: those count as TLS handshake failures, nothing else may.
    expect(Object.keys(counters).filter((name) => name.startsWith('rejected.') && name !== 'rejected.tls_handshake')).toEqual([]);
  });

  it('keeps checking while the collector is down and delivers the backlog exactly once with original timestamps', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    await d.initAgent('lab-1', { checks: checksFor(d) });
    d.startAgent('lab-1');
    await eventually('first results', () => (d.collectorResultIds('lab-1').length >= 4 ? true : undefined));

    await d.stopCollector();
    const downAt = Date.now();
    // The agent goes on checking; its backlog grows in the outbox.
    await eventually('a backlog while the collector is down', () => (d.agentOutbox('lab-1').waiting >= 15 ? true : undefined));
    const status = await runCli('agent', ['status', '--config', d.configPath('lab-1'), '--json']);
    const report = JSON.parse(status.stdout) as { backlog: number; connection: string };
    expect(report.backlog).toBeGreaterThanOrEqual(15);
    expect(report.connection).not.toBe('connected');
    const upAt = Date.now();
    await d.startCollector();

    const made = await d.drain('lab-1');
    const stored = d.collectorResults('lab-1');
    expect(stored.map((r) => r.id)).toEqual(range(made));

    // Results made during the outage carry the time they were made, not the time they arrived.
    const duringOutage = stored.filter((r) => r.startedAt > downAt + 500 && r.startedAt < upAt);
    expect(duringOutage.length).toBeGreaterThanOrEqual(10);
    for (const r of duringOutage) expect(r.receivedAt).toBeGreaterThanOrEqual(upAt);
    const agents = await d.api<AgentsView>('/api/v1/agents');
    expect(agents.agents[0]!.resultsStored).toBe(made);
  });

  it('loses and duplicates nothing when the agent is SIGKILLed mid-upload', async () => {
    const d = (deployment = await TestDeployment.create());
    // One result per batch and one batch in flight: the drain takes long enough to kill it halfway.
    await d.initAgent('lab-1', {
      checks: Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, type: 'tcp', target: `127.0.0.1:${d.port}`, expect: 'closed', interval: '100ms', jitter: '0%' })),
      uplink: { window: 1, max_batch_results: 1 },
    });
    const agent = d.startAgent('lab-1');
    await eventually('a backlog of 600 results', () => (d.agentOutbox('lab-1').waiting >= 600 ? true : undefined), 60_000);
    await d.startCollector();
    await eventually('upload under way', () => (d.collectorResultIds('lab-1').length >= 50 ? true : undefined));
    await agent.stop('SIGKILL');
    const before = d.agentOutbox('lab-1');
    expect(before.waiting).toBeGreaterThan(0);
    expect(d.collectorResultIds('lab-1').length).toBeLessThan(before.lastId);

    const made = await d.drain('lab-1');
    expect(made).toBe(before.lastId);
    expect(d.collectorResultIds('lab-1')).toEqual(range(made));
  });

  it('refuses an agent without a valid token or approval before reading any batch, then admits it once approved', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    await d.initAgent('lab-2', { token: false, checks: checksFor(d) });
    const agent = d.startAgent('lab-2');
    await agent.waitForLine((line) => line.includes('OUTPOST_ERR_PENDING_APPROVAL'));
    const pending = await d.api<AgentsView>('/api/v1/agents');
    expect(pending.agents).toEqual([expect.objectContaining({ name: 'lab-2', status: 'pending', connected: false, resultsStored: 0 })]);
    expect(d.collectorResultIds('lab-2')).toEqual([]);

    // A client that pushes a batch right behind its Hello gets nothing stored.
    const raw = await RawAgent.connect(`wss://127.0.0.1:${d.port}/outpost/v1`);
    await raw.hello({ name: 'intruder', collectorKey: d.collectorKey });
    raw.send(raw.batch(1, 1, 5));
    const refused = await raw.next('error');
    expect(refused.type === 'error' && refused.body.code).toBe('OUTPOST_ERR_PENDING_APPROVAL');
    await raw.closed;
    // A batch before any Hello is refused too.
    const early = await RawAgent.connect(`wss://127.0.0.1:${d.port}/outpost/v1`);
    early.send(early.batch(1, 1, 5));
    expect((await early.closed).code).toBe(1002);
    // And a made-up token.
    const forger = await RawAgent.connect(`wss://127.0.0.1:${d.port}/outpost/v1`);
    await forger.hello({ name: 'forger', collectorKey: d.collectorKey, token: 'opt_not-a-real-token' });
    const bad = await forger.next('error');
    expect(bad.type === 'error' && bad.body.code).toBe('OUTPOST_ERR_BAD_TOKEN');

    const status = await d.api<StatusView>('/api/v1/status');
    expect(status.counters['refused.pending_approval']).toBeGreaterThanOrEqual(2);
    expect(status.counters['rejected.unexpected_frame']).toBe(1);
    expect(status.counters['refused.bad_token']).toBe(1);
    expect(d.collectorResultIds('intruder')).toEqual([]);

    const listed = await runCli('collector', ['agents', 'list', '--data-dir', d.collectorDir, '--json']);
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'lab-2', status: 'pending', lastSeen: null, remoteAddress: '127.0.0.1', resultsStored: 0, gaps: 0, dropped: 0 })]),
    );
    // Never seen, but still knocking: when it last tried, in the list and the API.
    const knocked = (JSON.parse(listed.stdout) as { name: string; lastRefused: number | null }[]).find((a) => a.name === 'lab-2')!.lastRefused;
    expect(knocked).toBeGreaterThan(Date.now() - 60_000);
    const table = await runCli('collector', ['agents', 'list', '--data-dir', d.collectorDir]);
    expect(table.stdout).toMatch(new RegExp(`^lab-2 +pending +never .*  \\(tried ${new Date(knocked!).toISOString().slice(0, 10)}\\S+ from 127\\.0\\.0\\.1\\)$`, 'm'));
    const [view] = (await d.api<{ agents: { name: string; lastRefused: string | null }[] }>('/api/v1/agents')).agents.filter((a) => a.name === 'lab-2');
    expect(view!.lastRefused).not.toBeNull();
    const approve = await runCli('collector', ['agents', 'approve', 'lab-2', '--data-dir', d.collectorDir]);
    expect(approve.code).toBe(0);
    await eventually('results after approval', () => (d.collectorResultIds('lab-2').length > 0 ? true : undefined));
  });

  it('rejects a batch with one flipped byte: the connection dies, the collector and its data do not', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const token = await d.token();
    const raw = await RawAgent.connect(`wss://127.0.0.1:${d.port}/outpost/v1`);
    await raw.hello({ name: 'raw-1', collectorKey: d.collectorKey, token });
    await raw.next('welcome');
    raw.send(raw.batch(1, 1, 10));
    const ack = await raw.next('ack');
    expect(ack.type === 'ack' && ack.body.stored).toBe(10);

    const frame = raw.batch(2, 11, 10);
    frame[frame.length - 80]! ^= 0x04; // inside the signed payload
    raw.send(frame);
    const refused = await raw.next('error');
    expect(refused.type === 'error' && refused.body.code).toBe('OUTPOST_ERR_BAD_SIGNATURE');
    expect((await raw.closed).code).toBe(1008);

    const status = await d.api<StatusView>('/api/v1/status');
    expect(status.counters['rejected.bad_signature']).toBe(1);
    const metrics = await (await fetch(`${d.apiUrl}/metrics`)).text();
    expect(metrics).toContain('outpost_rejected_total{reason="bad_signature"} 1');
    expect(metrics).toMatch(/outpost_ingest_total\{kind="results_stored"\} 10\n/);
    expect(metrics).toContain('outpost_connected_agents 0'); // its connection was dropped
    expect(d.collectorResultIds('raw-1')).toEqual(range(10));
    expect(d.collector!.child.exitCode).toBeNull();

    // The same agent reconnects and carries on: only that connection was dropped.
    const again = await RawAgent.connect(`wss://127.0.0.1:${d.port}/outpost/v1`, raw.keyPair);
    await again.hello({ name: 'raw-1', collectorKey: d.collectorKey });
    await again.next('welcome');
    again.send(again.batch(3, 11, 10));
    const ack2 = await again.next('ack');
    expect(ack2.type === 'ack' && ack2.body).toMatchObject({ stored: 10, duplicates: 0 });
    // A replay of the first batch is harmless: counted as duplicates, stored once.
    again.send(raw.batch(1, 1, 10));
    const ack3 = await again.next('ack');
    expect(ack3.type === 'ack' && ack3.body).toMatchObject({ stored: 0, duplicates: 10 });
    expect(d.collectorResultIds('raw-1')).toEqual(range(20));
    again.close();
  });

  it('an agent that pins another TLS key or collector key never sends its Hello', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const other = await TestDeployment.create();
    try {
      await d.initAgent('wrong-pin', { checks: checksFor(d) });
      await d.initAgent('wrong-key', { checks: checksFor(d) });
      const { readFileSync, writeFileSync } = await import('node:fs');
      const swap = (name: string, from: string, to: string) =>
        writeFileSync(d.configPath(name), readFileSync(d.configPath(name), 'utf8').replace(from, to));
      swap('wrong-pin', d.fingerprint, other.fingerprint);
      swap('wrong-key', d.collectorKey, other.collectorKey);
      const pin = d.startAgent('wrong-pin');
      const key = d.startAgent('wrong-key');
      await pin.waitForLine((line) => line.includes('OUTPOST_ERR_TLS_PIN'));
      await key.waitForLine((line) => line.includes('OUTPOST_ERR_COLLECTOR_KEY'));
      const agents = await d.api<AgentsView>('/api/v1/agents');
      expect(agents.agents).toEqual([]);
      const status = await d.api<StatusView>('/api/v1/status');
      expect(status.counters['sessions.admitted'] ?? 0).toBe(0);
    } finally {
      await other.cleanup();
    }
  });

  it('hostile upgrade requests and frames cost a connection, never the collector', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const exchange = (request: string) =>
      new Promise<string>((resolve) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: d.port, rejectUnauthorized: false }, () => socket.write(request));
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
        socket.on('error', () => {});
        socket.on('close', () => resolve(answer));
      });
    const upgrade = (target: string) =>
      `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    expect(await exchange(upgrade('http://['))).toMatch(/^HTTP\/1.1 400/);
    expect(await exchange(upgrade('/somewhere-else'))).toMatch(/^HTTP\/1.1 404/);
    await exchange('\x16\x03\x01 this is not HTTP at all\r\n\r\n');

    const garbage = await RawAgent.connect(`wss://127.0.0.1:${d.port}/outpost/v1`);
    garbage.send(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect((await garbage.closed).code).toBe(1002);
    const huge = await RawAgent.connect(`wss://127.0.0.1:${d.port}/outpost/v1`);
    huge.send(new Uint8Array(4 * 1024 * 1024 + 1));
    expect((await huge.closed).code).toBe(1009);

    const status = await d.api<StatusView>('/api/v1/status');
    // bad_request: the malformed URL and the bytes that are not HTTP at all.
    expect(status.counters).toMatchObject({ 'rejected.bad_request': 2, 'rejected.bad_path': 1, 'rejected.bad_frame': 1, 'rejected.frame_too_large': 1 });
    expect(d.collector!.child.exitCode).toBeNull();
    // And a real agent is still served afterwards.
    await d.initAgent('after', { checks: checksFor(d) });
    d.startAgent('after');
    await eventually('results after the abuse', () => (d.collectorResultIds('after').length > 0 ? true : undefined));
  });
});
