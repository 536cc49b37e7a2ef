import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, runCli } from './support/processes.js';

interface StatusJson {
  connection: string;
  backlog: number;
  drainState: string | null;
  drainRatePerSec: number | null;
  drainEtaSec: number | null;
}

interface DrainLog {
  msg: string;
  remaining?: number;
  ratePerSec?: number | null;
  results?: number;
  durationMs?: number;
}

let deployment: TestDeployment | undefined;

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
});

function outboxMeta(d: TestDeployment, name: string, key: string): string | undefined {
  const db = new Database(join(d.root, name, 'data', 'outbox.db'), { readonly: true });
  try {
    return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  } finally {
    db.close();
  }
}

describe('agent status and drain figures across an outage', () => {
  it('shows no drain rate while the link is down, and measures the reconnect drain over a real interval', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const checks = [0, 1].map((i) => ({ id: `c${i}`, type: 'tcp', target: `127.0.0.1:${d.port}`, interval: '200ms', jitter: '0%' }));
    // Small batches, one in flight: the backlog after the outage takes several acks.
    await d.initAgent('lab-1', { checks, uplink: { window: 1, max_batch_results: 5 } });
    const agent = d.startAgent('lab-1');
    // The agent keeps a drain rate once a 10 s window of acks has passed.
    await eventually('a drain rate in the outbox meta', () => (outboxMeta(d, 'lab-1', 'drain_rate') ? true : undefined), 40_000);

    await d.stopCollector();
    await eventually('a backlog while the collector is down', () => (d.agentOutbox('lab-1').waiting >= 20 ? true : undefined));
    const json = await runCli('agent', ['status', '--config', d.configPath('lab-1'), '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as StatusJson;
    expect(report.connection).not.toBe('connected');
    expect(report.backlog).toBeGreaterThanOrEqual(20);
    expect(report).toMatchObject({ drainState: 'paused', drainRatePerSec: null, drainEtaSec: null });
    const text = await runCli('agent', ['status', '--config', d.configPath('lab-1')]);
    expect(text.stdout).toContain('draining    paused: not connected');
    expect(text.stdout).not.toContain('results/s');

    const linesBefore = agent.lines.length;
    await d.startCollector();
    // Not waitForLine: it also matches a "backlog drained" from before the outage.
    await eventually('the backlog drained after the outage', () => (agent.lines.slice(linesBefore).some((line) => line.includes('"backlog drained"')) ? true : undefined), 40_000);
    const drainLogs = agent.lines
      .slice(linesBefore)
      .filter((line) => line.includes('"draining backlog"') || line.includes('"backlog drained"'))
      .map((line) => JSON.parse(line) as DrainLog);
    // The backlog is announced on reconnect without a rate: one ack measures nothing, and a
    // window reaching back before the outage would count the time the link was down.
    expect(drainLogs[0]).toMatchObject({ msg: 'draining backlog', ratePerSec: null });
    expect(drainLogs[0]!.remaining).toBeGreaterThan(0);
    const drained = drainLogs.find((line) => line.msg === 'backlog drained')!;
    expect(drained.results).toBeGreaterThanOrEqual(20);
    // A rate, when given, is over at least a second, so it cannot exceed the results drained.
    if (drained.ratePerSec !== null) {
      expect(drained.durationMs).toBeGreaterThanOrEqual(1_000);
      expect(drained.ratePerSec).toBeLessThanOrEqual(drained.results!);
    }
  });
});
