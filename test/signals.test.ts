import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { range, TestDeployment } from './support/deployment.js';
import { eventually, runCli } from './support/processes.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

interface CheckState {
  check: string;
  status: string;
  reportedStatus: string;
  stale: boolean;
  staleSince: string | null;
  reported: string | null;
  everyMs: number | null;
  observation: string;
  message: string;
  satelliteSilent: boolean;
}

interface ResultsView {
  results: { check: string; resultId: number }[];
}
interface AgentsView {
  agents: { name: string; labels: Record<string, string>; duplicates: number; resultsStored: number }[];
}

let deployment: TestDeployment | undefined;
let hook: WebhookReceiver | undefined;
let service: Server | undefined;

afterEach(async () => {
  await deployment?.cleanup();
  await hook?.stop();
  await new Promise((r) => (service ? service.close(r) : r(undefined)));
  deployment = hook = service = undefined;
});

/** A loopback TCP port that accepts and closes, for checks that should be OK. */
async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

function tcpCheck(id: string, port: number, interval = '200ms') {
  return { id, type: 'tcp', target: `127.0.0.1:${port}`, expect: 'open', interval, jitter: '0%' };
}

function editConfig(file: string, change: (doc: Record<string, unknown>) => void): void {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(doc);
  writeFileSync(file, stringify(doc), { mode: 0o600 });
}

async function countOf(d: TestDeployment, agent: string, check: string): Promise<number> {
  return (await d.api<ResultsView>(`/api/v1/results?agent=${agent}&check=${encodeURIComponent(check)}&limit=1000`)).results.length;
}

describe('agent signals', () => {
  it('SIGHUP swaps the check list on the same uplink; an invalid file is logged with its path and the old checks keep running', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const file = await d.initAgent('lab-1', { checks: [tcpCheck('api', d.httpPort)] });
    const agent = d.startAgent('lab-1');
    await eventually('results of the first check', async () => ((await countOf(d, 'lab-1', 'api')) >= 3 ? true : undefined));

    // Add one check, remove the other.
    editConfig(file, (doc) => (doc['checks'] = [tcpCheck('listener', d.port)]));
    agent.child.kill('SIGHUP');
    const line = await agent.waitForLine((l) => l.includes('config reloaded'));
    expect(JSON.parse(line)).toMatchObject({ added: ['listener'], removed: ['api'], changed: [] });
    await eventually('results of the added check', async () => ((await countOf(d, 'lab-1', 'listener')) >= 5 ? true : undefined));
    const apiCount = await countOf(d, 'lab-1', 'api');
    const listenerCount = await countOf(d, 'lab-1', 'listener');
    await eventually('five more results of the added check', async () => ((await countOf(d, 'lab-1', 'listener')) >= listenerCount + 5 ? true : undefined));
    expect(await countOf(d, 'lab-1', 'api')).toBe(apiCount); // removed: runs no more

    // An invalid file: logged with the file and the key, and nothing changes.
    editConfig(file, (doc) => (doc['checks'] = [tcpCheck('listener', d.port), { id: 'broken', type: 'tcp', target: '192.0.2.5' }]));
    agent.child.kill('SIGHUP');
    const failure = await agent.waitForLine((l) => l.includes('config reload failed'));
    expect(failure).toContain(file);
    expect(failure).toContain('checks[1].target');
    const before = await countOf(d, 'lab-1', 'listener');
    await eventually('the running check goes on', async () => ((await countOf(d, 'lab-1', 'listener')) >= before + 5 ? true : undefined));
    expect(agent.child.exitCode).toBe(null);

    // One session throughout: the uplink was never dropped by a reload.
    const counters = (await d.api<{ counters: Record<string, number> }>('/api/v1/status')).counters;
    expect(counters['sessions.admitted']).toBe(1);
    expect(await agent.stop('SIGTERM')).toBe(0);
  }, 120_000);

  it('a check removed by SIGHUP turns stale (UNKNOWN) at the collector once three intervals and 30 s pass; the one that runs stays OK', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const file = await d.initAgent('lab-1', { checks: [tcpCheck('kept', d.httpPort), tcpCheck('dropped', d.httpPort)] });
    const agent = d.startAgent('lab-1');
    const checks = async () => new Map((await d.api<{ checks: CheckState[] }>('/api/v1/checks?agent=lab-1')).checks.map((c) => [c.check, c]));
    await eventually('both checks report, their interval known', async () => ((await checks()).get('dropped')?.everyMs ? true : undefined));
    expect((await checks()).get('dropped')).toMatchObject({ status: 'OK', stale: false });

    editConfig(file, (doc) => (doc['checks'] = [tcpCheck('kept', d.httpPort)]));
    agent.child.kill('SIGHUP');
    await agent.waitForLine((l) => l.includes('config reloaded') && l.includes('dropped'));
    const stale = await eventually('the removed check turns stale', async () => {
      const view = (await checks()).get('dropped');
      return view?.stale ? view : undefined;
    }, 60_000);
    // The interval the agent said with its results, and due three of them and 30 s after its last result arrived.
    expect(stale.everyMs).toBe(200);
    expect(Date.parse(stale.staleSince!) - Date.parse(stale.reported!)).toBe(3 * 200 + 30_000);
    expect(stale).toMatchObject({ status: 'UNKNOWN', reportedStatus: 'OK', observation: 'stale', satelliteSilent: false });
    expect(stale.message).toMatch(/^no result since .*, runs every .+; last result: /);
    expect((await checks()).get('kept')).toMatchObject({ status: 'OK', stale: false });
    const metrics = await (await fetch(`${d.apiUrl}/metrics`)).text();
    expect(metrics).toContain('outpost_checks_stale 1');

    // The operator's side: listed among the problems, then forgotten; its history stays.
    const problems = await runCli('collector', ['checks', 'list', '--problems', '--data-dir', d.collectorDir]);
    expect(problems.code).toBe(0);
    expect(problems.stdout.split('\n')[1]).toMatch(/^UNKNOWN\s+lab-1\s+dropped\s+\S+\s+stale \(last OK\)\s+no result since /);
    expect(problems.stdout).not.toContain('kept');
    const running = await runCli('collector', ['checks', 'forget', 'lab-1', 'kept', '--data-dir', d.collectorDir]);
    expect(running.code).toBe(2);
    expect(running.stderr).toContain('lab-1/kept is not stale: it still reports');
    const forgotten = await runCli('collector', ['checks', 'forget', 'lab-1', 'dropped', '--data-dir', d.collectorDir]);
    expect(forgotten).toMatchObject({ code: 0, stdout: 'lab-1/dropped: forgotten\n' });
    expect([...(await checks()).keys()]).toEqual(['kept']);
    expect(await countOf(d, 'lab-1', 'dropped')).toBeGreaterThan(0);
    const again = await runCli('collector', ['checks', 'forget', 'lab-1', 'dropped', '--data-dir', d.collectorDir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('agent "lab-1" has no check "dropped"');
    expect(await agent.stop('SIGTERM')).toBe(0);
  }, 150_000);

  it('SIGTERM during a steady upload exits 0; after a restart every result is stored exactly once', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const checks = range(20).map((i) => tcpCheck(`c${i}`, i % 2 ? d.httpPort : d.port, '100ms'));
    await d.initAgent('lab-1', { checks, uplink: { max_batch_results: 20 } });
    const agent = d.startAgent('lab-1');
    await eventually('a steady upload', () => (d.collectorResultIds('lab-1').length >= 400 ? true : undefined), 60_000);
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.lines.some((l) => l.includes('"signal":"SIGTERM"'))).toBe(true);

    // Restart (checks off) and let the outbox drain: ids 1..last, each once, none lost.
    const lastId = await d.drain('lab-1');
    expect(d.collectorResultIds('lab-1')).toEqual(range(lastId));
  }, 180_000);
});

describe('collector signals', () => {
  it('SIGHUP reloads notification rules and agent labels; an invalid file keeps the running config', async () => {
    const d = (deployment = await TestDeployment.create());
    hook = await WebhookReceiver.start();
    const target = await listening();
    service = target.server;
    const file = join(d.root, 'collector.yaml');
    writeFileSync(file, 'agents:\n  - match: "lab-*"\n    labels: { segment: lab }\n');
    const collector = await d.startCollector(['--config', file]);
    await d.initAgent('lab-1', { checks: [tcpCheck('svc', target.port)] });
    d.startAgent('lab-1');
    const labels = async () => (await d.api<AgentsView>('/api/v1/agents')).agents.find((a) => a.name === 'lab-1')?.labels;
    await eventually('labels from the first config', async () => ((await labels())?.['segment'] === 'lab' ? true : undefined));

    writeFileSync(
      file,
      [
        'agents:',
        '  - match: "lab-*"',
        '    labels: { segment: plant }',
        ...hook.notifyConfig(),
        '',
      ].join('\n'),
    );
    collector.child.kill('SIGHUP');
    const reloaded = await collector.waitForLine((l) => l.includes('config reloaded'));
    expect(reloaded).toContain('notify.rules: added everything');
    expect(reloaded).toContain('notify.notifiers: added hook');
    await eventually('labels from the reloaded config', async () => ((await labels())?.['segment'] === 'plant' ? true : undefined));

    // The new rule pages for the next change, through the new notifier, with the new labels.
    await new Promise((r) => service!.close(r));
    service = undefined;
    const page = await eventually('a CRITICAL page', () => hook!.matching({ agent: 'lab-1', check: 'svc', to: 'CRITICAL' })[0], 30_000);
    expect(page).toMatchObject({ rule: 'everything', notifier: 'hook', labels: { segment: 'plant' } });

    writeFileSync(file, 'agents:\n  - match: "lab-*"\n    labels: { "bad label": x }\n');
    collector.child.kill('SIGHUP');
    const failure = await collector.waitForLine((l) => l.includes('config reload failed'));
    expect(failure).toContain(file);
    expect(await labels()).toEqual({ segment: 'plant' });
    expect(collector.child.exitCode).toBe(null);
  }, 120_000);

  it('SIGTERM while agents upload exits 0; after a restart nothing is lost or stored twice', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const checks = range(20).map((i) => tcpCheck(`c${i}`, d.httpPort, '100ms'));
    await d.initAgent('lab-1', { checks, uplink: { max_batch_results: 20 } });
    d.startAgent('lab-1');
    await eventually('a steady upload', () => (d.collectorResultIds('lab-1').length >= 300 ? true : undefined), 60_000);
    const collector = d.collector!;
    expect(await collector.stop('SIGTERM')).toBe(0);
    expect(collector.lines.some((l) => l.includes('collector stopped'))).toBe(true);

    await d.startCollector();
    const lastId = await d.drain('lab-1');
    expect(d.collectorResultIds('lab-1')).toEqual(range(lastId));
  }, 180_000);
});
