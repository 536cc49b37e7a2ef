import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, Status, type Result } from '@outpost/protocol';
import pino from 'pino';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCollectorConfig, type CollectorConfig } from './collector-config.js';
import { hashToken, issueToken } from './enrollment.js';
import { LiveFeed } from './live-feed.js';
import { SegmentationMonitor } from './segmentation-monitor.js';
import { SqliteStore } from './sqlite-store.js';
import { testBatch } from './store-contract-test-suite.js';
import type { AgentRecord, EventRecord } from './store.js';

const INTERVAL_MS = 60_000;
const T0 = 1_800_000_000_000;

const configWith = (watchPorts: string): CollectorConfig =>
  parseCollectorConfig(
    stringify({
      segmentation: {
        interval: '60s',
        watch_ports: watchPorts,
        segments: [{ name: 'office', agents: ['office-*'] }],
        targets: [{ name: 'db', hosts: ['192.0.2.20'], ports: '5432' }],
        rules: [{ from: 'office', to: 'db', action: 'deny' }],
      },
    }),
    'collector.yaml',
  );

describe('SegmentationMonitor', () => {
  let dir: string;
  let store: SqliteStore;
  let agent: AgentRecord;
  let now: number;
  let raised: EventRecord[];
  let resultId: number;
  const keyPair = generateKeyPair();

  const monitor = (config = configWith('22')) =>
    new SegmentationMonitor({ store, config, events: { raise: (events) => raised.push(...events) }, feed: new LiveFeed(), logger: pino({ level: 'silent' }), keyPair, now: () => now });

  /** One scan of seg:office:db as the agent reports it, finished a second after `at`. */
  async function scan(at: number, open: number[]): Promise<void> {
    resultId++;
    const violations = open.map((port) => ({ host: '192.0.2.20', port, state: 'open', service: 'ssh' }));
    const result = {
      resultId, checkId: 'seg:office:db', startedAtMs: at, durationUs: 1_000_000, checkConfigHash: 'h', metrics: {},
      status: open.length > 0 ? Status.CRITICAL : Status.OK, observation: open.length > 0 ? 'violation' : 'compliant', message: `${open.length} unexpected open`,
      transcript: open.length > 0 ? new TextEncoder().encode(JSON.stringify({ type: 'exposure', violations, missing: [], aborted: false })) : new Uint8Array(0),
    } as unknown as Result;
    await store.ingestBatch(agent.id, testBatch(resultId, [result]), at + 1_500);
  }

  const drifts = () => raised.filter((e) => e.kind === 'segmentation_drift').map((e) => ({ message: e.message.split(':')[1]!.trim(), paged: e.suppressed === null, from: e.from, to: e.to }));
  const version = async () => (await store.latestAgentConfig(agent.id))?.version;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-seg-monitor-'));
    store = SqliteStore.open(join(dir, 'collector.db'));
    const token = await issueToken(store, 60_000, null, 1_000);
    expect(await store.enrollWithToken(hashToken(token), 'office-1', generateKeyPair().publicKey, 2_000)).toBe('enrolled');
    agent = (await store.findAgentByName('office-1'))!;
    now = T0;
    raised = [];
    resultId = 0;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages a breach once and its recovery once, however many grey spells come between', async () => {
    const m = monitor();
    await scan(T0, []);
    now = T0 + 5_000;
    await m.tick();
    expect((await m.matrix()).verdicts.map((v) => v.colour)).toEqual(['green']);

    await scan(T0 + INTERVAL_MS, [5432]);
    now = T0 + INTERVAL_MS + 5_000;
    await m.tick();
    // The satellite goes silent, and is back with the port still open.
    await store.setAgentSilence(agent.id, now + 1_000);
    now += 10_000;
    await m.tick();
    await store.setAgentSilence(agent.id, null);
    await scan(T0 + 2 * INTERVAL_MS, [5432]);
    now = T0 + 2 * INTERVAL_MS + 5_000;
    await m.tick();
    // No result for three intervals (a collector down, say), then the port is closed.
    now += 3 * INTERVAL_MS;
    await m.tick();
    await scan(now, []);
    now += 5_000;
    await m.tick();

    expect(drifts().map((d) => [d.message, d.paged, d.from, d.to])).toEqual([
      ['green -> red', true, Status.OK, Status.CRITICAL],
      ['red -> grey', false, Status.CRITICAL, Status.UNKNOWN],
      ['grey -> red', false, Status.CRITICAL, Status.CRITICAL],
      ['red -> grey', false, Status.CRITICAL, Status.UNKNOWN],
      // The recovery carries the colour before the gap, so it matches the rules that page recoveries.
      ['grey -> green', true, Status.CRITICAL, Status.OK],
    ]);
    expect((await store.segmentationCellHistory('office', 'db', 10)).map((h) => h.colour)).toEqual(['green', 'grey', 'red', 'grey', 'red', 'green']);
  });

  it('pages a breach that first shows after a grey spell', async () => {
    const m = monitor();
    await scan(T0, []);
    now = T0 + 5_000;
    await m.tick();
    now += 3 * INTERVAL_MS;
    await m.tick();
    await scan(now, [5432]);
    now += 5_000;
    await m.tick();
    expect(drifts().map((d) => [d.message, d.paged])).toEqual([['green -> grey', false], ['grey -> red', true]]);
  });

  it('raises nothing new after a restart when nothing changed', async () => {
    await scan(T0, [5432, 22]);
    now = T0 + 5_000;
    await monitor().tick();
    expect(raised.map((e) => e.kind)).toEqual(['unexpected_service']);
    expect(raised[0]!.message).toContain('unexpected service on 192.0.2.20:22 open (ssh)');
    now += 1_000;
    await monitor().tick();
    expect(raised.map((e) => e.kind)).toEqual(['unexpected_service']);
    expect((await store.listSegmentationCells()).map((c) => [c.from, c.to, c.colour])).toEqual([['office', 'db', 'red']]);
  });

  it('pushes the generated checks once, again only when they change, not on restart or an unchanged reload', async () => {
    const m = monitor();
    await m.tick();
    expect(await version()).toBe(1);
    await m.tick();
    await monitor().tick();
    m.setConfig(configWith('22'));
    await m.tick();
    expect(await version()).toBe(1);
    m.setConfig(configWith('22,3389'));
    await m.tick();
    expect(await version()).toBe(2);
    const text = Buffer.from((await store.latestAgentConfig(agent.id))!.config).toString('utf8');
    expect(text).toContain('ports: 22,3389,5432');
  });

  it('leaves evaluation to the leader', async () => {
    const m = monitor();
    m.setLeader(false);
    await scan(T0, [5432]);
    now = T0 + 5_000;
    await m.tick();
    expect(await store.listSegmentationCells()).toEqual([]);
    expect(await version()).toBeUndefined();
  });
});
