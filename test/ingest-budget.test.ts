import { afterEach, describe, expect, it } from 'vitest';
import { range, TestDeployment } from './support/deployment.js';
import { eventually } from './support/processes.js';

/**
 * The collector-wide bound on results waiting for the store (ingest-budget.ts), with real
 * processes: a collector allowed to hold only one verified result at a time stops reading
 * the agent after every batch and starts again after each commit. The backlog must still
 * arrive whole and once.
 */

let deployment: TestDeployment | undefined;
afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
});

describe('ingest budget: a collector behind on its store stops reading agents instead of piling up batches', () => {
  it('drains a backlog through a budget of one result, every result stored once', { timeout: 150_000 }, async () => {
    const d = (deployment = await TestDeployment.create());
    // Both ports are closed until the collector starts: quick CRITICAL results, nothing delivered.
    const checks = Array.from({ length: 12 }, (_, i) => ({
      id: `closed-${i}`, type: 'tcp', target: `127.0.0.1:${i % 2 === 0 ? d.port : d.httpPort}`, interval: '100ms', jitter: '0%', timeout: '1s',
    }));
    await d.initAgent('lab-1', { checks, uplink: { window: 16, max_batch_results: 40 } });
    const agent = d.startAgent('lab-1');
    await eventually('600 buffered results', () => (d.agentOutbox('lab-1').waiting >= 600 ? true : undefined), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; agent output:\n${agent.lines.slice(-20).join('\n')}`);
    });
    await agent.stop('SIGTERM');

    await d.startCollector(['--max-waiting-results', '1']);
    const n = await d.drain('lab-1', 90_000);
    expect(d.collectorResultIds('lab-1')).toEqual(range(n));
    const { counters } = await d.api<{ counters: Record<string, number> }>('/api/v1/status');
    expect(counters['ingest.results_stored']).toBe(n);
    expect(counters['ingest.duplicates'] ?? 0).toBe(0);
    // Each batch alone goes past one result: the session was paused (and resumed, or the drain would not end).
    expect(counters['ingest.paused']).toBeGreaterThanOrEqual(1);
    expect(counters['ingest.paused']).toBeLessThanOrEqual(counters['ingest.batches']!);
  });
});
