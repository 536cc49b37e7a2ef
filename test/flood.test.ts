import { afterEach, describe, expect, it } from 'vitest';
import { range, TestDeployment } from './support/deployment.js';
import { Flood, type FloodKind, type FloodOutcome } from './support/flood.js';
import { eventually } from './support/processes.js';

interface StatusView {
  counters: Record<string, number>;
}

let deployment: TestDeployment | undefined;
let flood: Flood | undefined;

afterEach(async () => {
  flood?.stop();
  flood = undefined;
  await deployment?.cleanup();
  deployment = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function summarise(outcomes: FloodOutcome[]): Record<string, number> {
  const summary: Record<string, number> = {};
  for (const o of outcomes) {
    const key = `${o.kind}:${o.tls ? 'tls' : 'no-tls'}:${o.answer?.slice(0, 12) ?? '-'}:${o.closedByCollector ? 'closed-by-collector' : 'cut-by-client'}`;
    summary[key] = (summary[key] ?? 0) + 1;
  }
  return summary;
}

const sumOf = (counters: Record<string, number>, prefix: string[]) =>
  Object.entries(counters).filter(([n]) => prefix.some((p) => n.startsWith(p))).reduce((s, [, n]) => s + n, 0);

async function steadyAgent(d: TestDeployment): Promise<void> {
  await d.startCollector();
  // Checks probe the API port, so the collector port carries only the uplink and the flood.
  // Heartbeats every second with a 10 s idle timeout: a busy but working collector is not
  // mistaken for a dead link on a slow machine.
  await d.initAgent('steady', {
    checks: [
      { id: 'api-a', type: 'tcp', target: `127.0.0.1:${d.httpPort}`, expect: 'open', interval: '200ms', jitter: '0%' },
      { id: 'api-b', type: 'tcp', target: `127.0.0.1:${d.httpPort}`, expect: 'open', interval: '200ms', jitter: '0%' },
    ],
    uplink: { heartbeat_interval: '1s', idle_timeout: '10s' },
  });
  d.startAgent('steady');
  await eventually('first results from the steady agent', () => (d.collectorResultIds('steady').length >= 5 ? true : undefined));
}

describe('flood of unauthenticated connections', () => {
  it('an enrolled agent keeps delivering while 2,000 strangers hammer the collector port', async () => {
    const d = (deployment = await TestDeployment.create());
    await steadyAgent(d);
    const windowMs = 15_000;
    flood = new Flood({
      host: '127.0.0.1', port: d.port, total: 2_000, concurrency: 200, windowMs, holdMs: 6_000,
      kinds: ['idle-tls', 'silent-upgrade', 'garbage'],
    });
    const floodStart = Date.now();
    const running = flood.run();
    // The stored count, sampled through the flood window.
    const samples: { atMs: number; stored: number; open: number }[] = [];
    while (Date.now() - floodStart < windowMs) {
      samples.push({ atMs: Date.now() - floodStart, stored: d.collectorResultIds('steady').length, open: flood.open });
      await sleep(500);
    }
    const outcomes = await running;
    flood.stop();
    console.log('flood outcomes', summarise(outcomes), `in ${Date.now() - floodStart} ms`);
    console.log('stored during the flood', samples.map((s) => `${s.atMs}ms:${s.stored}(${s.open} open)`).join(' '));

    expect(outcomes.length).toBeGreaterThanOrEqual(1_000);
    expect(Math.max(...samples.map((s) => s.open))).toBeGreaterThanOrEqual(32); // the flood did fill the caps
    // Results kept arriving in each half of the flood window, not just before or after it.
    const at = (fromMs: number) => samples.find((s) => s.atMs >= fromMs)!.stored;
    const last = samples[samples.length - 1]!.stored;
    expect(at(windowMs / 2)).toBeGreaterThan(at(1_000));
    expect(last).toBeGreaterThan(at(windowMs / 2));

    const counters = (await d.api<StatusView>('/api/v1/status')).counters;
    console.log('collector counters', counters);
    expect((counters['rejected.unauthenticated_limit'] ?? 0) + (counters['rejected.handshake_timeout'] ?? 0)).toBeGreaterThan(0);
    expect(counters['sessions.admitted']).toBe(1); // the agent never lost its session
    expect(d.collector!.child.exitCode).toBeNull();

    // Afterwards the outbox drains: every result the agent made is at the collector, once.
    const made = await d.drain('steady');
    expect(d.collectorResultIds('steady')).toEqual(range(made));
    expect(d.agentOutbox('steady').waiting).toBe(0);
  }, 180_000);

  // Every rejection is meant to be counted by reason (docs/protocol.md, "Limits and counters"):
  // 48 strangers at once from one address, where the cap is 32. Those let in are held past
  // the collector's deadlines, so each of the 48 must end in exactly one rejection counter.
  it('counts every stranger it turns away exactly once, whatever the stranger sent', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const kinds: FloodKind[] = ['idle-tls', 'silent-upgrade', 'garbage', 'idle-tls'];
    const total = 48;
    const before = (await d.api<StatusView>('/api/v1/status')).counters;
    flood = new Flood({ host: '127.0.0.1', port: d.port, total, concurrency: total, windowMs: 0, holdMs: 25_000, kinds });
    const outcomes = await flood.run();
    console.log('outcomes', summarise(outcomes));
    expect(outcomes.length).toBe(total);
    expect(outcomes.every((o) => o.closedByCollector)).toBe(true);
    const after = (await d.api<StatusView>('/api/v1/status')).counters;
    console.log('counters', after);
    const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    const counted = sumOf(after, ['rejected.', 'refused.']) - sumOf(before, ['rejected.', 'refused.']);
    const refusedAtAccept = outcomes.filter((o) => !o.tls).length;
    expect(refusedAtAccept).toBeGreaterThan(0); // the cap was reached
    expect({
      counted,
      unauthenticatedLimit: delta('rejected.unauthenticated_limit'),
      // Every client that was let in finished TLS; a connection refused at accept is already
      // counted as unauthenticated_limit and must not count again as a TLS failure.
      tlsHandshake: delta('rejected.tls_handshake'),
    }).toEqual({ counted: total, unauthenticatedLimit: refusedAtAccept, tlsHandshake: 0 });
  }, 90_000);
});
