import { createServer, type Server } from 'node:net';
import { Status } from '@outpost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { range, TestDeployment } from './support/deployment.js';
import { eventually, freePort } from './support/processes.js';
import { editAgentConfig, outboxFile, outboxView, StoreView } from './support/store-view.js';

/**
 * Newest-first catch-up: after an outage the centre's current view must be right within the
 * first batch, long before a backlog of thousands has drained, and the late history that
 * follows must not drag the state back.
 */

interface ChecksView {
  checks: { check: string; status: string; resultId: number }[];
}

const CHECKS = 15;
const BACKLOG = 2_500;

let deployment: TestDeployment | undefined;
const servers = new Set<Server>();

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  servers.clear();
});

describe('catch-up after an outage: newest state first, history after', () => {
  it('the first stored batch holds every check newest result, and late history does not override it', { timeout: 170_000 }, async () => {
    const d = (deployment = await TestDeployment.create());
    const name = 'catch-up';
    const flip = createServer((socket) => socket.destroy());
    servers.add(flip);
    await new Promise<void>((resolve) => flip.listen(0, '127.0.0.1', () => resolve()));
    const flipPort = (flip.address() as { port: number }).port;
    const checks: Record<string, unknown>[] = [{ id: 'flip', type: 'tcp', target: `127.0.0.1:${flipPort}`, expect: 'open', interval: '100ms', jitter: '0%' }];
    while (checks.length < CHECKS) {
      checks.push({ id: `closed-${checks.length}`, type: 'tcp', target: `127.0.0.1:${await freePort()}`, expect: 'closed', interval: '100ms', jitter: '0%' });
    }
    // window 1 and 50 results per batch as specified; the byte cap stretches the drain over
    // many seconds, so "long before the backlog drained" does not depend on machine speed.
    await d.initAgent(name, { checks, uplink: { window: 1, max_batch_results: 50, max_bytes_per_sec: 32_768 } });
    const agent = d.startAgent(name);
    const file = outboxFile(d, name);

    // Collector down. Most of the backlog sees `flip` open (OK); near its end the listener goes,
    // so the newest state is CRITICAL and everything older says OK.
    await eventually('most of the backlog', () => (outboxView(file).waiting >= BACKLOG - 300 ? true : undefined), 120_000, 250);
    await new Promise<void>((resolve) => flip.close(() => resolve()));
    servers.delete(flip);
    await eventually('the full backlog', () => (outboxView(file).waiting >= BACKLOG ? true : undefined), 60_000, 250);
    await agent.stop('SIGTERM');

    const snapshot = outboxView(file);
    const n = snapshot.lastId;
    expect(snapshot.waiting).toBe(n);
    expect(snapshot.newestPerCheck.size).toBe(CHECKS);
    expect(snapshot.newestPerCheck.get('flip')!.status).toBe(Status.CRITICAL);
    const newestIds = [...snapshot.newestPerCheck.values()].map((v) => v.resultId).sort((a, b) => a - b);

    // Upload only (no new results), so "newest" stays exactly the snapshot's.
    editAgentConfig(d, name, (config) => {
      config['checks'] = [];
    });
    await d.startCollector();
    d.startAgent(name);
    const view = StoreView.of(d.collectorDir);
    let storedWhenCurrent = 0;
    const current = await eventually(
      'every check newest state in the API',
      async () => {
        const v = await d.api<ChecksView>(`/api/v1/checks?agent=${name}`);
        const right = v.checks.filter((c) => c.resultId === snapshot.newestPerCheck.get(c.check)?.resultId);
        if (right.length < CHECKS) return undefined;
        storedWhenCurrent = view.count(name);
        return v;
      },
      60_000,
      100,
    );
    console.log(`catch-up: ${n} results waiting; API current with ${storedWhenCurrent} stored`);
    expect(current.checks.find((c) => c.check === 'flip')!.status).toBe('CRITICAL');
    // The view was current while most of the backlog had not arrived yet.
    expect(storedWhenCurrent).toBeLessThan(n / 2);

    await eventually('the backlog drained', () => (outboxView(file).waiting === 0 && view.count(name) === n ? true : undefined), 120_000, 250);
    const rows = view.results(name);
    expect(rows.map((r) => r.id)).toEqual(range(n));
    const firstSeq = Math.min(...rows.map((r) => r.batchSeq));
    const first = rows.filter((r) => r.batchSeq === firstSeq);
    // The first batch is exactly the newest result of every check, nothing else.
    expect(first.map((r) => r.id).sort((a, b) => a - b)).toEqual(newestIds);
    const firstReceived = Math.max(...first.map((r) => r.receivedAt));
    expect(rows.filter((r) => r.batchSeq !== firstSeq && r.receivedAt < firstReceived)).toEqual([]);
    expect(new Set(rows.map((r) => r.batchSeq)).size).toBeGreaterThanOrEqual(Math.ceil((n - CHECKS) / 50));

    // 2,500 older results arrived after it; the state is still the newest one.
    const states = view.checkStates(name);
    for (const [check, newest] of snapshot.newestPerCheck) {
      expect({ check, ...states.get(check) }).toMatchObject({ check, resultId: newest.resultId, status: newest.status });
    }
    const after = await d.api<ChecksView>(`/api/v1/checks?agent=${name}`);
    expect(after.checks.find((c) => c.check === 'flip')).toMatchObject({ status: 'CRITICAL', resultId: snapshot.newestPerCheck.get('flip')!.resultId });
  });
});
