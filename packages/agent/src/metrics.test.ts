import { Status } from '@outpost/protocol';
import { describe, expect, it } from 'vitest';
import { AgentMetrics, CHECK_DURATION_BUCKETS, Counter, Histogram, MetricsRegistry } from './metrics.js';

/** Sample lines of one family as name{labels} → value. */
function samples(text: string, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix) || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe('text rendering', () => {
  it('escapes backslash, double quote and newline in label values, and backslash and newline in help', () => {
    const registry = new MetricsRegistry();
    const counter = registry.add(new Counter({ name: 'x_total', help: 'a \\ b\nc', labelNames: ['check'] }));
    counter.inc({ check: 'C:\\dir "quoted"\nnext' }, 2);
    expect(registry.render()).toBe(['# HELP x_total a \\\\ b\\nc', '# TYPE x_total counter', 'x_total{check="C:\\\\dir \\"quoted\\"\\nnext"} 2', ''].join('\n'));
  });

  it('shows a counter without labels as 0 before its first increment', () => {
    const registry = new MetricsRegistry();
    registry.add(new Counter({ name: 'y_total', help: 'y' }));
    expect(registry.render()).toContain('\ny_total 0\n');
  });

  it('keeps at most maxSeries label sets and adds the rest up under "other"', () => {
    const registry = new MetricsRegistry();
    const counter = registry.add(new Counter({ name: 'r_total', help: 'r', labelNames: ['check'], maxSeries: 3 }));
    for (let i = 0; i < 10; i++) counter.inc({ check: `c${i}` });
    counter.inc({ check: 'c0' }, 5);
    counter.inc({ check: 'c9' });
    const lines = samples(registry.render(), 'r_total');
    expect(lines).toEqual(new Map([['r_total{check="c0"}', 6], ['r_total{check="c1"}', 1], ['r_total{check="c2"}', 1], ['r_total{check="other"}', 8]]));
    expect(counter.seriesCount).toBe(4);
  });

  it('renders histogram buckets cumulative, +Inf equal to _count, and _sum the total observed', () => {
    const registry = new MetricsRegistry();
    const histogram = registry.add(new Histogram({ name: 'd_seconds', help: 'd', labelNames: ['type'], buckets: [0.1, 1, 10] }));
    for (const value of [0.05, 0.1, 0.5, 2, 20, 0.01]) histogram.observe({ type: 'tcp' }, value);
    histogram.observe({ type: 'icmp' }, 3);
    const text = registry.render();
    const tcp = samples(text, 'd_seconds');
    expect(tcp.get('d_seconds_bucket{type="tcp",le="0.1"}')).toBe(3);
    expect(tcp.get('d_seconds_bucket{type="tcp",le="1"}')).toBe(4);
    expect(tcp.get('d_seconds_bucket{type="tcp",le="10"}')).toBe(5);
    expect(tcp.get('d_seconds_bucket{type="tcp",le="+Inf"}')).toBe(6);
    expect(tcp.get('d_seconds_count{type="tcp"}')).toBe(6);
    expect(tcp.get('d_seconds_sum{type="tcp"}')).toBeCloseTo(22.66, 10);
    expect(tcp.get('d_seconds_bucket{type="icmp",le="1"}')).toBe(0);
    expect(tcp.get('d_seconds_bucket{type="icmp",le="10"}')).toBe(1);
    expect(tcp.get('d_seconds_count{type="icmp"}')).toBe(1);
    expect(text).toContain('# TYPE d_seconds histogram\n');
  });
});

describe('AgentMetrics', () => {
  it('reads the outbox and the connection when scraped and counts what the agent reports', () => {
    let depth = { count: 7, bytes: 900, oldestStartedAtMs: 10_000 as number | undefined, dropped: 3 };
    let connected = true;
    const metrics = new AgentMetrics({ outbox: () => depth, connected: () => connected, now: () => 12_500, maxCheckSeries: 2 });
    metrics.resultsProduced([{ checkId: 'ssh' }, { checkId: 'web' }, { checkId: 'dns' }, { checkId: 'ssh' }]);
    metrics.checkRun('tcp', Status.OK, 0.004);
    metrics.checkRun('tcp', Status.CRITICAL, 2);
    metrics.checkRun('icmp', Status.WARNING, 0.2);
    metrics.batchSent(4, 1_000);
    metrics.batchSent(2, 300);
    metrics.batchAcked(4, 1);
    metrics.reconnecting();

    let all = samples(metrics.render(), '');
    expect(all.get('outpost_agent_outbox_depth')).toBe(7);
    expect(all.get('outpost_agent_outbox_bytes')).toBe(900);
    expect(all.get('outpost_agent_outbox_oldest_unsent_age_seconds')).toBe(2.5);
    expect(all.get('outpost_agent_dropped_results_total')).toBe(3);
    expect(all.get('outpost_agent_results_produced_total{check="ssh"}')).toBe(2);
    expect(all.get('outpost_agent_results_produced_total{check="web"}')).toBe(1);
    expect(all.get('outpost_agent_results_produced_total{check="other"}')).toBe(1);
    expect(all.get('outpost_agent_check_runs_total{type="tcp",status="OK"}')).toBe(1);
    expect(all.get('outpost_agent_check_runs_total{type="tcp",status="CRITICAL"}')).toBe(1);
    expect(all.get('outpost_agent_check_runs_total{type="icmp",status="WARNING"}')).toBe(1);
    expect(all.get('outpost_agent_check_duration_seconds_count{type="tcp"}')).toBe(2);
    expect(all.get(`outpost_agent_check_duration_seconds_bucket{type="tcp",le="${CHECK_DURATION_BUCKETS.at(-1)}"}`)).toBe(2);
    expect(all.get('outpost_agent_check_duration_seconds_bucket{type="tcp",le="0.005"}')).toBe(1);
    expect(all.get('outpost_agent_batches_sent_total')).toBe(2);
    expect(all.get('outpost_agent_results_uploaded_total')).toBe(6);
    expect(all.get('outpost_agent_upload_bytes_total')).toBe(1_300);
    expect(all.get('outpost_agent_batches_acked_total')).toBe(1);
    expect(all.get('outpost_agent_results_acked_total')).toBe(4);
    expect(all.get('outpost_agent_duplicates_total')).toBe(1);
    expect(all.get('outpost_agent_connected')).toBe(1);
    expect(all.get('outpost_agent_reconnects_total')).toBe(1);
    expect(all.get('process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(all.get('process_cpu_seconds_total')).toBeGreaterThan(0);

    depth = { count: 0, bytes: 0, oldestStartedAtMs: undefined, dropped: 3 };
    connected = false;
    all = samples(metrics.render(), '');
    expect(all.get('outpost_agent_outbox_depth')).toBe(0);
    expect(all.get('outpost_agent_outbox_oldest_unsent_age_seconds')).toBe(0);
    expect(all.get('outpost_agent_connected')).toBe(0);
  });

  it('gives every family one HELP and one TYPE line, and every sample a family', () => {
    const metrics = new AgentMetrics({ outbox: () => ({ count: 0, bytes: 0, oldestStartedAtMs: undefined, dropped: 0 }), connected: () => false });
    metrics.checkRun('dns', Status.UNKNOWN, 0.01);
    const lines = metrics.render().trimEnd().split('\n');
    const typed = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!);
    expect(new Set(typed).size).toBe(typed.length);
    expect(lines.filter((l) => l.startsWith('# HELP ')).length).toBe(typed.length);
    for (const line of lines.filter((l) => !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/);
      const name = line.split(/[{ ]/)[0]!;
      expect(typed.some((family) => name === family || name.startsWith(`${family}_`))).toBe(true);
    }
  });
});
