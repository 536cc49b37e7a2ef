import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, freePort } from './support/processes.js';
import { editAgentConfig, outboxFile, outboxIds, outboxView, StoreView } from './support/store-view.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

// The outage summary ("lab-1 back after …: N results, 1 incident during outage") survives a
// collector killed while the returning agent's backlog drains: the restarted collector
// sends it once the backlog has drained, counting every result stored since the return
// (before and after the kill), and never a second time.

interface EventView { kind: string; agent: string; message: string; atMs: number }
interface AgentView { name: string; health: string; connected: boolean; lastSeenMs: number | null }

/** Roughly 100 results a second from 10 checks: a backlog of BACKLOG builds in about 15 s. */
const CHECKS = 10;
const BACKLOG = 1_500;

let d: TestDeployment | undefined;
let hook: WebhookReceiver | undefined;
const servers = new Set<Server>();
const sockets = new Set<Socket>();

afterEach(async () => {
  await d?.cleanup();
  d = undefined;
  await hook?.stop();
  hook = undefined;
  for (const socket of sockets) socket.destroy();
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  servers.clear();
});

/** A TCP listener on `port` the `web` check watches: OK while it listens, CRITICAL when closed. */
async function listen(port: number): Promise<Server> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  servers.add(server);
  return server;
}

async function close(server: Server): Promise<void> {
  servers.delete(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The returns waiting for their summary, read from the collector's file while it is down. */
function pendingReturns(dataDir: string): { agent_id: number; back_at: number; results_at_back: number }[] {
  const db = new Database(join(dataDir, 'collector.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT agent_id, back_at, results_at_back FROM agent_returns').all() as { agent_id: number; back_at: number; results_at_back: number }[];
  } finally {
    db.close();
  }
}

describe('return summary across a collector restart', () => {
  it('is sent once, after the restart, with every result stored since the return', { timeout: 300_000 }, async () => {
    const deployment = (d = await TestDeployment.create());
    const receiver = (hook = await WebhookReceiver.start());
    const config = join(deployment.root, 'collector.yaml');
    writeFileSync(
      config,
      [
        'state:',
        '  grace: 2s',
        '  summary_after: 10m', // only a drained backlog sends the summary within this test
        ...receiver.notifyConfig(),
        '',
      ].join('\n'),
    );
    const run = ['--config', config];
    const events = (kind: string) => deployment.api<{ events: EventView[] }>(`/api/v1/events?agent=lab-1&kind=${kind}&limit=100`).then((r) => r.events);
    const agentView = async () => (await deployment.api<{ agents: AgentView[] }>('/api/v1/agents')).agents.find((a) => a.name === 'lab-1');
    const view = StoreView.of(deployment.collectorDir);

    const webPort = await freePort();
    let web = await listen(webPort);
    const every = { interval: '100ms', jitter: '0%', timeout: '500ms' };
    const checks: Record<string, unknown>[] = [{ id: 'web', type: 'tcp', target: `127.0.0.1:${webPort}`, ...every }];
    while (checks.length < CHECKS) checks.push({ id: `closed-${checks.length}`, type: 'tcp', target: `127.0.0.1:${await freePort()}`, expect: 'closed', ...every });
    // One batch of at most 50 in flight, and a byte rate cap: the backlog takes many seconds
    // to drain, so the collector can be killed in the middle of it on any machine.
    await deployment.initAgent('lab-1', { checks, uplink: { window: 1, max_batch_results: 50, max_bytes_per_sec: 16_384 } });

    // Heard from, then silent.
    await deployment.startCollector(run);
    const first = deployment.startAgent('lab-1');
    await eventually('results from lab-1', () => (view.count('lab-1') >= CHECKS ? true : undefined), 60_000, 250);
    await first.stop('SIGTERM');
    await eventually('lab-1 silent', async () => ((await agentView())?.health === 'silent' ? true : undefined), 30_000, 250);

    // The outage as the agent lives it, the collector down: the service fails for a while and recovers.
    await deployment.stopCollector();
    const offline = deployment.startAgent('lab-1');
    const outbox = outboxFile(deployment, 'lab-1');
    await eventually('the backlog begins', () => (outboxView(outbox).waiting >= 300 ? true : undefined), 60_000, 250);
    await close(web);
    await eventually('failing runs in the backlog', () => (outboxView(outbox).waiting >= 600 ? true : undefined), 60_000, 250);
    web = await listen(webPort);
    await eventually('the whole backlog', () => (outboxView(outbox).waiting >= BACKLOG ? true : undefined), 60_000, 250);
    await offline.stop('SIGTERM');
    // From now on it only uploads: what is stored after the return is exactly its backlog.
    editAgentConfig(deployment, 'lab-1', (c) => {
      c['checks'] = [];
    });
    const storedBefore = view.count('lab-1');
    // A batch the collector stored but had not acked when the first agent stopped is still
    // in the outbox: its resend is a duplicate, not a result stored since the return.
    const held = new Set(view.results('lab-1').map((r) => r.id));
    const waiting = outboxIds(outbox).filter((id) => !held.has(id)).length;
    expect(view.agent('lab-1')!.resultsStored).toBe(storedBefore);

    // Back: the return is recorded; the collector dies while the backlog drains.
    await deployment.startCollector(run);
    deployment.startAgent('lab-1');
    await eventually('the agent_back event', async () => ((await events('agent_back')).length === 1 ? true : undefined), 60_000, 250);
    await eventually('part of the backlog stored', () => (view.count('lab-1') >= storedBefore + 200 ? true : undefined), 60_000, 100);
    await deployment.stopCollector('SIGKILL');
    const stored = view.count('lab-1') - storedBefore;
    console.log(`return summary: killed with ${stored} of ${waiting} results stored since the return`);
    expect(stored).toBeLessThan(waiting);
    expect(pendingReturns(deployment.collectorDir)).toMatchObject([{ results_at_back: storedBefore }]);
    expect(receiver.matching({ agent: 'lab-1', kind: 'summary' })).toEqual([]);

    // Restarted: the rest drains, then the summary, counting both runs' results.
    await deployment.startCollector(run);
    await eventually('the summary event', async () => ((await events('summary')).length > 0 ? true : undefined), 120_000, 250);
    expect(outboxView(outbox).waiting).toBe(0);
    const total = view.count('lab-1') - storedBefore;
    expect(total).toBe(waiting);
    const [summary] = await events('summary');
    expect(summary!.message).toMatch(new RegExp(`^lab-1 back after \\d+ (s|min)\\b.*: ${total.toLocaleString('en-US')} results, 1 incident during outage$`));
    await eventually('the summary page', () => (receiver.matching({ agent: 'lab-1', kind: 'summary' }).length > 0 ? true : undefined), 30_000, 100);
    expect(receiver.matching({ agent: 'lab-1', kind: 'summary' }).map((n) => n.message)).toEqual([summary!.message]);

    // Never twice: another restart, the agent reconnects and reports an empty backlog again.
    await deployment.stopCollector();
    expect(pendingReturns(deployment.collectorDir)).toEqual([]);
    const restartedAt = Date.now();
    await deployment.startCollector(run);
    await eventually(
      'lab-1 heard for a few heartbeats after the last restart',
      async () => {
        const agent = await agentView();
        return agent?.connected && (agent.lastSeenMs ?? 0) > restartedAt + 3_000 ? true : undefined;
      },
      60_000,
      250,
    );
    expect((await events('summary')).map((e) => e.message)).toEqual([summary!.message]);
    expect(await events('agent_back')).toHaveLength(1);
    expect(receiver.matching({ agent: 'lab-1', kind: 'summary' })).toHaveLength(1);
  });
});
