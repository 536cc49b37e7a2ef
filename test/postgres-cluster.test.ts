import { cpSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresServer } from '../bench/lib/postgres-server.js';
import { TestDeployment } from './support/deployment.js';
import { connectedTo } from './support/extra-collector.js';
import { eventually, freePort, runCli, RunningProcess } from './support/processes.js';
import { editAgentConfig, outboxFile, outboxView } from './support/store-view.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/**
 * Two collector processes on one PostgreSQL database (each with a copy of one data
 * directory: agents pin one collector key and TLS certificate), two agents listing both.
 * The first collector leads (sweeps, deliveries) and is killed mid-stream; the agents move
 * to the second, which takes over the leadership. Every result id arrives exactly once, and
 * every notifiable event is delivered exactly once.
 */

let db: PostgresServer | undefined;
let d: TestDeployment | undefined;
let hook: WebhookReceiver | undefined;
let collectors: RunningProcess[] = [];
let service: Server | undefined;

afterEach(async () => {
  for (const c of collectors) await c.stop('SIGKILL');
  collectors = [];
  await d?.cleanup();
  d = undefined;
  await hook?.stop();
  hook = undefined;
  await new Promise<void>((resolve) => (service ? service.close(() => resolve()) : resolve()));
  service = undefined;
  await db?.stop();
  db = undefined;
});

function listen(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function startCollector(dataDir: string, port: number, httpPort: number, url: string, configFile: string): Promise<RunningProcess> {
  const proc = new RunningProcess('collector', [
    'run', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--http', `127.0.0.1:${httpPort}`, '--store', url, '--config', configFile,
  ]);
  collectors.push(proc);
  await proc.waitForLine((line) => line.includes('collector listening'), 30_000);
  return proc;
}

const isLeaderLine = (line: string) => line.includes('leader: this collector runs sweeps');

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Per agent: how often each result id is stored. */
async function storedIds(url: string, agent: string): Promise<Map<number, number>> {
  const rows = await query<{ id: string; n: string }>(
    url,
    'SELECT r.result_id AS id, count(*) AS n FROM results r JOIN agents a ON a.id = r.agent_id WHERE a.name = $1 GROUP BY r.result_id',
    [agent],
  );
  return new Map(rows.map((r) => [Number(r.id), Number(r.n)]));
}

describe('several collectors on one PostgreSQL database', () => {
  it('agents fail over between them: every result once, every notification once, leadership handed over', { timeout: 240_000 }, async () => {
    db = await PostgresServer.start();
    const url = await db.createDatabase('cluster');
    const deployment = (d = await TestDeployment.create());
    hook = await WebhookReceiver.start();
    const svcPort = await freePort();
    service = await listen(svcPort);

    // Collector B runs on a copy of A's data directory: the same key and certificate.
    const dirB = join(deployment.root, 'collector-b');
    cpSync(deployment.collectorDir, dirB, { recursive: true });
    const [portB, httpB] = [await freePort(), await freePort()];
    const configFile = join(deployment.root, 'collector.yaml');
    writeFileSync(
      configFile,
      [
        'notify:',
        '  notifiers:',
        `    hook: { type: webhook, url: "${hook.url}", backoff_min: 50ms, backoff_max: 500ms }`,
        '  rules:',
        '    - name: checks',
        '      match: { kinds: [check] }',
        '      notify: [hook]',
        '',
      ].join('\n'),
    );
    const a = await startCollector(deployment.collectorDir, deployment.port, deployment.httpPort, url, configFile);
    await a.waitForLine(isLeaderLine, 15_000);
    const b = await startCollector(dirB, portB, httpB, url, configFile);

    const token = await runCli('collector', ['token', '--data-dir', deployment.collectorDir, '--store', url]);
    expect(token.code, token.stderr).toBe(0);
    const agents = ['lab-1', 'lab-2'];
    for (const name of agents) {
      // Each agent needs its own token: they are one-time.
      const t = name === 'lab-1' ? token.stdout.trim() : (await runCli('collector', ['token', '--data-dir', dirB, '--store', url])).stdout.trim();
      await deployment.initAgent(name, {
        token: t,
        checks: [{ id: 'svc', type: 'tcp', target: `127.0.0.1:${svcPort}`, expect: 'open', interval: '200ms', jitter: '0%', timeout: '500ms' }],
        uplink: { window: 2, max_batch_results: 20 },
      });
      editAgentConfig(deployment, name, (config) => {
        const collector = config['collector'] as Record<string, unknown>;
        delete collector['url'];
        collector['urls'] = [`wss://127.0.0.1:${deployment.port}`, `wss://127.0.0.1:${portB}`];
      });
    }
    const procs = agents.map((name) => deployment.startAgent(name));
    for (const name of agents) await eventually(`${name} storing at A`, async () => ((await storedIds(url, name)).size >= 20 ? true : undefined), 60_000);

    // The check fails once: A records and delivers the change of both agents.
    await new Promise<void>((resolve) => service!.close(() => resolve()));
    service = undefined;
    await eventually('both failures notified', () => (hook!.matching({ to: 'CRITICAL' }).length >= 2 ? true : undefined), 60_000);
    // ... and recorded as sent. (A leader killed between a receiver's 200 and that write
    // delivers again after the lease: at least once, which receivers dedupe by event id.)
    await eventually('both deliveries recorded', async () => {
      const [row] = await query<{ n: string }>(url, "SELECT count(*) AS n FROM notifications WHERE state = 'sent'");
      return Number(row?.n) >= 2 ? true : undefined;
    });

    // A dies mid-stream: the agents move to B, and B takes the leadership over.
    const marks = procs.map((p) => p.lines.length);
    await a.stop('SIGKILL');
    expect(b.lines.some(isLeaderLine)).toBe(false);
    await b.waitForLine(isLeaderLine, 30_000);
    for (const [i, p] of procs.entries()) await eventually(`${agents[i]} on B`, () => (connectedTo(p, portB, marks[i]).length > 0 ? true : undefined), 30_000);

    // The check recovers: B records and delivers that.
    service = await listen(svcPort);
    await eventually('both recoveries notified', () => (hook!.matching({ from: 'CRITICAL', to: 'OK' }).length >= 2 ? true : undefined), 60_000);

    // Drain: each agent restarted without checks until its outbox is empty.
    for (const [i, name] of agents.entries()) {
      await procs[i]!.stop('SIGTERM');
      editAgentConfig(deployment, name, (config) => (config['checks'] = []));
      const drainer = deployment.startAgent(name);
      const { lastId } = outboxView(outboxFile(deployment, name));
      await eventually(`${name} drained to ${lastId}`, async () => {
        const view = outboxView(outboxFile(deployment, name));
        return view.waiting === 0 && (await storedIds(url, name)).size >= lastId ? true : undefined;
      }, 60_000);
      await drainer.stop('SIGTERM');
      const ids = await storedIds(url, name);
      expect(lastId).toBeGreaterThan(20);
      expect([...ids.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: lastId }, (_, k) => k + 1));
      expect([...ids.values()].every((n) => n === 1)).toBe(true);
    }

    // Exactly one webhook per notifiable event: wait out any late duplicate, then compare.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const notifiable = await query<{ id: string; agent: string; to: number }>(
      url,
      "SELECT e.id, a.name AS agent, e.to_status AS to FROM events e JOIN agents a ON a.id = e.agent_id WHERE e.kind = 'check' AND e.suppressed IS NULL ORDER BY e.id",
    );
    expect(notifiable.map((e) => e.agent).sort()).toEqual(['lab-1', 'lab-1', 'lab-2', 'lab-2']);
    const received = hook.received.map((n) => Number((n as unknown as { id: number }).id)).sort((x, y) => x - y);
    expect(received).toEqual(notifiable.map((e) => Number(e.id)).sort((x, y) => x - y));
    const rows = await query<{ state: string; n: string }>(url, 'SELECT state, count(*) AS n FROM notifications GROUP BY state');
    expect(rows.map((r) => [r.state, Number(r.n)])).toEqual([['sent', 4]]);
  });
});
