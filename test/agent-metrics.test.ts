import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, freePort, runCli } from './support/processes.js';

let deployment: TestDeployment | undefined;
let listener: Server | undefined;

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
  await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
  listener = undefined;
});

/** A TCP port on loopback that accepts and closes: the target of the agent's check. */
async function openPort(): Promise<number> {
  const server = (listener = createServer((socket) => socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** One scrape as name{labels} → value; fails on a line that is not a comment or a sample. */
async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const samples = new Map<string, number>();
  for (const line of (await res.text()).trimEnd().split('\n')) {
    if (line.startsWith('# ')) continue;
    const match = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

const COUNTED = ['outpost_agent_results_produced_total{check="listener"}', 'outpost_agent_results_acked_total', 'outpost_agent_outbox_depth'];
const same = (a: Map<string, number>, b: Map<string, number>) => COUNTED.every((key) => a.get(key) === b.get(key));

describe('outpost-agent run --metrics', () => {
  it('serves counters that agree with the outbox and the collector, and shows the backlog and the lost connection when the collector stops', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const target = await openPort();
    await d.initAgent('lab-1', { checks: [{ id: 'listener', type: 'tcp', target: `127.0.0.1:${target}`, expect: 'open', interval: '200ms', jitter: '0%' }] });
    const metricsPort = await freePort();
    const agent = d.startAgent('lab-1', ['--metrics', `127.0.0.1:${metricsPort}`]);
    await agent.waitForLine((line) => line.includes('metrics listening'));
    const url = `http://127.0.0.1:${metricsPort}/metrics`;

    // Between two identical scrapes with nothing in flight (every result sent was acknowledged),
    // the outbox file and the collector's database are what the counters say.
    const view = await eventually('a quiet moment after 5 acknowledged results', async () => {
      const before = await scrape(url);
      const waiting = d.agentOutbox('lab-1').waiting;
      const stored = d.collectorResultIds('lab-1').length;
      const api = (await d.api<{ agents: { name: string; resultsStored: number }[] }>('/api/v1/agents')).agents.find((a) => a.name === 'lab-1');
      const after = await scrape(url);
      const [uploaded, ackedNow] = [after.get('outpost_agent_results_uploaded_total'), after.get('outpost_agent_results_acked_total')!];
      // Thrown, not returned: if the moment never comes, the timeout says what was seen last.
      if (!same(before, after) || uploaded !== ackedNow || ackedNow < 5) throw new Error(`not quiet: uploaded ${uploaded}, acked ${ackedNow}, changed ${!same(before, after)}`);
      return { metrics: after, waiting, stored, apiStored: api?.resultsStored };
    });
    const m = view.metrics;
    const acked = m.get('outpost_agent_results_acked_total')!;
    expect(m.get('outpost_agent_connected')).toBe(1);
    expect(m.get('outpost_agent_outbox_depth')).toBe(view.waiting);
    expect(acked).toBe(view.stored);
    expect(acked).toBe(view.apiStored);
    expect(m.get('outpost_agent_duplicates_total')).toBe(0);
    expect(m.get('outpost_agent_dropped_results_total')).toBe(0);
    const produced = m.get('outpost_agent_results_produced_total{check="listener"}')!;
    expect(produced).toBe(acked + view.waiting);
    expect(m.get('outpost_agent_check_runs_total{type="tcp",status="OK"}')).toBe(produced);
    expect(m.get('outpost_agent_check_duration_seconds_count{type="tcp"}')).toBe(produced);
    expect(m.get('outpost_agent_check_duration_seconds_bucket{type="tcp",le="+Inf"}')).toBe(produced);
    expect(m.get('outpost_agent_batches_acked_total')).toBe(m.get('outpost_agent_batches_sent_total'));
    expect(m.get('outpost_agent_batches_sent_total')).toBeGreaterThan(0);
    expect(m.get('outpost_agent_upload_bytes_total')).toBeGreaterThan(acked * 20);
    expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(m.get('process_cpu_seconds_total')).toBeGreaterThan(0);

    await d.stopCollector();
    const down = await eventually('the backlog to grow while disconnected', async () => {
      const now = await scrape(url);
      const growing = now.get('outpost_agent_outbox_depth')! >= view.waiting + 5 && now.get('outpost_agent_reconnects_total')! >= 2;
      return now.get('outpost_agent_connected') === 0 && growing ? now : undefined;
    });
    expect(down.get('outpost_agent_results_acked_total')).toBe(acked);
    expect(down.get('outpost_agent_outbox_oldest_unsent_age_seconds')).toBeGreaterThan(0);
    expect(down.get('outpost_agent_outbox_bytes')).toBeGreaterThan(m.get('outpost_agent_outbox_bytes')!);
    const settled = await eventually('a quiet moment while disconnected', async () => {
      const before = await scrape(url);
      const waiting = d.agentOutbox('lab-1').waiting;
      const after = await scrape(url);
      return same(before, after) ? { metrics: after, waiting } : undefined;
    });
    expect(settled.metrics.get('outpost_agent_outbox_depth')).toBe(settled.waiting);
    expect(settled.metrics.get('outpost_agent_results_produced_total{check="listener"}')).toBe(acked + settled.waiting);
  });

  it('refuses a --metrics value that is not HOST:PORT with exit code 2, and a taken port with exit code 1', async () => {
    const d = (deployment = await TestDeployment.create());
    const config = await d.initAgent('lab-1');
    for (const bad of ['9464', 'localhost', '127.0.0.1:99999']) {
      const res = await runCli('agent', ['run', '--config', config, '--metrics', bad]);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`--metrics "${bad}": expected HOST:PORT`);
    }
    const taken = await openPort();
    const res = await runCli('agent', ['run', '--config', config, '--metrics', `127.0.0.1:${taken}`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`cannot serve metrics on 127.0.0.1:${taken}: listen EADDRINUSE`);
  });
});
