import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBatchBody, encodeKey, encodeResult, parseSecretKeyFile, signBatch, Status, type DecodedFrame } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TestDeployment } from './support/deployment.js';
import type { NamespacedProcess } from './support/netns-deployment.js';
import { eventually, runCli, RunningProcess } from './support/processes.js';
import { RawAgent } from './support/raw-agent.js';
import { RelayLab, type Level } from './support/relay-lab.js';
import { editAgentConfig, outboxFile, outboxView } from './support/store-view.js';

/**
 * Three nested segments, each wall passable only outward to the next level: the collector
 * in the root namespace, relay-site, relay-plant and agent-deep in namespaces of their own.
 * Real processes, real TLS, real SQLite.
 */

const NAMES: Record<Level, string> = { site: 'relay-site', plant: 'relay-plant', deep: 'agent-deep' };
const RELAY_PORT = 41121;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lab: RelayLab | undefined;
let d: TestDeployment | undefined;
const procs: Partial<Record<Level, NamespacedProcess>> = {};

interface AgentView {
  name: string;
  status: string;
  path: string[] | null;
  relay: { agents: number; backlog: number } | null;
  configVersion: number;
}

function publicKeyOf(name: string): string {
  const file = join(d!.root, name, 'data', 'agent.key');
  return encodeKey(parseSecretKeyFile(readFileSync(file, 'utf8'), file).publicKey);
}

function relayBacklog(name: string): number {
  const db = new Database(join(d!.root, name, 'data', 'relay.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM relayed').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function checkResults(agent: string, checkId: string): number {
  const db = new Database(join(d!.collectorDir, 'collector.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT count(*) AS n FROM results r JOIN checks c ON c.id = r.check_key JOIN agents a ON a.id = c.agent_id WHERE a.name = ? AND c.check_id = ?').get(agent, checkId) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

const agents = async () => new Map((await d!.api<{ agents: AgentView[] }>('/api/v1/agents')).agents.map((a) => [a.name, a]));
const counters = async () => (await d!.api<{ counters: Record<string, number> }>('/api/v1/status')).counters;

function start(level: Level): NamespacedProcess {
  const args = level === 'deep' ? ['run', '--config', d!.configPath(NAMES[level])] : ['relay', '--config', d!.configPath(NAMES[level])];
  procs[level] = lab!.start(level, 'agent', args);
  return procs[level];
}

/** Point `level`'s agent at the relay above it (or the collector), pinned like a collector. */
async function pointAtUpstream(level: Level, upstream: Level | undefined): Promise<void> {
  let key = d!.collectorKey;
  let fingerprint = d!.fingerprint;
  let url = `wss://${lab!.upstreamOf(level)}:${d!.port}`;
  if (upstream) {
    const res = await runCli('agent', ['relay', 'identity', '--config', d!.configPath(NAMES[upstream]), '--json']);
    if (res.code !== 0) throw new Error(`relay identity failed: ${res.stderr}`);
    ({ relayKey: key, tlsFingerprint: fingerprint } = JSON.parse(res.stdout) as { relayKey: string; tlsFingerprint: string });
    url = `wss://${lab!.upstreamOf(level)}:${RELAY_PORT}`;
  }
  editAgentConfig(d!, NAMES[level], (config) => {
    config['collector'] = { url, key, tls_fingerprint: fingerprint, central_key: d!.collectorKey };
  });
}

const UPLINK = { heartbeat_interval: '500ms', idle_timeout: '2s', backoff_min: '50ms', backoff_max: '1s' };
const closedCheck = (id: string, port: number) => ({ id, type: 'tcp', target: `127.0.0.1:${port}`, expect: 'closed', interval: '200ms', jitter: '0%' });

beforeAll(async () => {
  lab = RelayLab.create();
  d = await TestDeployment.create();
  // The collector in the root namespace, listening only where relay-site can reach it.
  d.collector = new RunningProcess('collector', ['run', '--data-dir', d.collectorDir, '--listen', `${lab.upstreamOf('site')}:${d.port}`, '--http', `127.0.0.1:${d.httpPort}`]);
  await d.collector.waitForLine((line) => line.includes('collector listening'));
  // Inside the namespaces nothing listens on 127.0.0.1: these checks find closed ports.
  await d.initAgent(NAMES.site, { token: false, checks: [closedCheck('site-check', 9)], uplink: UPLINK });
  await d.initAgent(NAMES.plant, { token: false, checks: [closedCheck('plant-check', 9)], uplink: UPLINK });
  await d.initAgent(NAMES.deep, { token: false, checks: [closedCheck('deep-a', 9), closedCheck('deep-b', 10)], uplink: UPLINK });
  editAgentConfig(d, NAMES.site, (c) => {
    c['relay'] = { listen: `${lab!.upstreamOf('plant')}:${RELAY_PORT}`, agents: [{ name: NAMES.plant, key: publicKeyOf(NAMES.plant) }] };
  });
  editAgentConfig(d, NAMES.plant, (c) => {
    c['relay'] = { listen: `${lab!.upstreamOf('deep')}:${RELAY_PORT}`, agents: [{ name: NAMES.deep, key: publicKeyOf(NAMES.deep) }] };
  });
  await pointAtUpstream('site', undefined);
  // relay-site enrolls with a token; the others never talk to the collector directly.
  const siteToken = await d.token(NAMES.site);
  editAgentConfig(d, NAMES.site, (c) => {
    (c['collector'] as Record<string, unknown>)['token'] = siteToken;
  });
  await pointAtUpstream('plant', 'site');
  await pointAtUpstream('deep', 'plant');
  for (const level of ['site', 'plant', 'deep'] as const) start(level);
  // Agents behind relays first appear at the collector as pending, like a direct stranger.
  for (const name of [NAMES.plant, NAMES.deep]) {
    await eventually(`${name} pending at the collector`, async () => ((await agents()).get(name)?.status === 'pending' ? true : undefined), 60_000, 250);
    const res = await runCli('collector', ['agents', 'approve', name, '--data-dir', d.collectorDir, '--key', publicKeyOf(name).slice(0, 20)]);
    if (res.code !== 0) throw new Error(`approve ${name} failed: ${res.stderr}`);
  }
}, 180_000);

afterAll(async () => {
  await lab?.destroy();
  await d?.cleanup();
}, 60_000);

describe('relays: three nested segments (network namespaces)', () => {
  it('each level can reach only the next one up', () => {
    const unreachable = (level: Level, address: string) => {
      try {
        lab!.exec(level, 'ip', 'route', 'get', address);
        return false;
      } catch {
        return true;
      }
    };
    expect(unreachable('deep', lab!.upstreamOf('deep'))).toBe(false);
    expect(unreachable('deep', lab!.upstreamOf('plant'))).toBe(true);
    expect(unreachable('deep', lab!.upstreamOf('site'))).toBe(true);
    expect(unreachable('plant', lab!.upstreamOf('plant'))).toBe(false);
    expect(unreachable('plant', lab!.upstreamOf('site'))).toBe(true);
    expect(unreachable('site', lab!.upstreamOf('site'))).toBe(false);
  });

  it('results of the deepest agent arrive verified against its own key, with its path and relay health shown', { timeout: 120_000 }, async () => {
    await eventually('agent-deep results at the collector', () => (d!.collectorResultIds(NAMES.deep).length >= 30 ? true : undefined), 60_000);
    const ids = d!.collectorResultIds(NAMES.deep);
    expect(new Set(ids).size).toBe(ids.length);
    const view = await eventually('paths and relay health', async () => {
      const all = await agents();
      return all.get(NAMES.site)?.relay && all.get(NAMES.plant)?.relay ? all : undefined;
    });
    expect(view.get(NAMES.deep)!.path).toEqual([NAMES.deep, NAMES.plant, NAMES.site]);
    expect(view.get(NAMES.plant)!.path).toEqual([NAMES.plant, NAMES.site]);
    expect(view.get(NAMES.site)!.path).toBeNull();
    expect(view.get(NAMES.deep)!.relay).toBeNull();
    // relay-site serves relay-plant, which serves agent-deep.
    expect(view.get(NAMES.site)!.relay!.agents).toBe(1);
    expect(view.get(NAMES.plant)!.relay!.agents).toBe(1);
    const c = await counters();
    expect(c['relayed.batches']).toBeGreaterThan(0);
    expect(c['relayed.rejected.bad_signature'] ?? 0).toBe(0);
    // The relays' own checks arrive too (relay-plant's through relay-site).
    expect(checkResults(NAMES.plant, 'plant-check')).toBeGreaterThan(0);
    expect(checkResults(NAMES.site, 'site-check')).toBeGreaterThan(0);
  });

  it('cutting the middle link buffers at relay-plant and then agent-deep; after it, every result arrives exactly once', { timeout: 240_000 }, async () => {
    const deepOutbox = outboxFile(d!, NAMES.deep);
    lab!.linkDown('plant');
    const before = d!.collectorResultIds(NAMES.deep).length;
    await eventually('batches held in relay-plant', () => (relayBacklog(NAMES.plant) >= 3 ? true : undefined), 30_000);
    await eventually('agent-deep buffering locally (its window full)', () => (outboxView(deepOutbox).waiting >= 30 ? true : undefined), 30_000);
    await sleep(2_000);
    // Nothing crossed the cut: at most what was already in flight when it went down.
    expect(d!.collectorResultIds(NAMES.deep).length - before).toBeLessThan(200);
    lab!.linkUp('plant');

    // Stop the checks (restart agent-deep with none) and let everything drain.
    await procs.deep!.stop('SIGTERM');
    const { lastId } = d!.agentOutbox(NAMES.deep);
    editAgentConfig(d!, NAMES.deep, (c) => {
      c['checks'] = [];
    });
    start('deep');
    await eventually(
      `agent-deep to drain ${lastId} results through two relays`,
      () => (d!.agentOutbox(NAMES.deep).waiting === 0 && d!.collectorResultIds(NAMES.deep).length >= lastId ? true : undefined),
      120_000,
      250,
    );
    const ids = d!.collectorResultIds(NAMES.deep);
    expect(ids.length).toBe(lastId);
    expect(ids[0]).toBe(1);
    expect(ids[ids.length - 1]).toBe(lastId);
    // Both relays deleted what the upstream acknowledged.
    await eventually('relay outboxes empty', () => (relayBacklog(NAMES.plant) === 0 && relayBacklog(NAMES.site) === 0 ? true : undefined), 30_000);
  });

  it('a remote config change reaches agent-deep behind two relays and its new check runs', { timeout: 120_000 }, async () => {
    const file = join(d!.root, 'deep-remote.yaml');
    writeFileSync(file, stringify({ checks: [closedCheck('pushed-check', 11)] }));
    const res = await runCli('collector', ['config', 'set', NAMES.deep, file, '--data-dir', d!.collectorDir]);
    expect(res.code, res.stderr).toBe(0);
    await eventually('pushed-check results from agent-deep', () => (checkResults(NAMES.deep, 'pushed-check') >= 5 ? true : undefined), 60_000, 250);
    await eventually('agent-deep reports config v1', async () => ((await agents()).get(NAMES.deep)?.configVersion === 1 ? true : undefined), 30_000, 250);
    expect(procs.deep!.lines.some((line) => line.includes('remote config applied'))).toBe(true);
  });

  it('a relay that flips one byte of a forwarded batch is caught at the collector; its session and the honest traffic go on', { timeout: 120_000 }, async () => {
    const token = await d!.token('relay-evil');
    const evil = await RawAgent.connect(`wss://${lab!.upstreamOf('site')}:${d!.port}/outpost/v1`);
    try {
      await evil.hello({ name: 'relay-evil', collectorKey: d!.collectorKey, token });
      await evil.next('welcome');
      // A batch agent-deep really signed (the test holds its key), one byte changed in transit.
      const keyFile = join(d!.root, NAMES.deep, 'data', 'agent.key');
      const deep = parseSecretKeyFile(readFileSync(keyFile, 'utf8'), keyFile);
      const result = encodeResult({ resultId: 9_000_000, checkId: 'forged', startedAtMs: Date.now(), durationUs: 1, status: Status.CRITICAL, observation: 'open', message: 'all fine' });
      const payload = encodeBatchBody({ agentKey: deep.publicKey, batchSeq: 9_000_000, createdMs: Date.now(), clockOffsetMs: 0 }, [result]);
      const batch = signBatch(deep.secretKey, payload);
      const flipped = Uint8Array.from(payload);
      flipped[flipped.length - 12]! ^= 0x01;
      const seenBefore = d!.collectorResultIds(NAMES.deep).length;
      evil.send({ relayedBatch: { agentKey: deep.publicKey, agentName: NAMES.deep, batch: { payload: flipped, signature: batch.signature }, path: ['relay-evil'] } });
      const ack = (await evil.next('relayedAck')) as Extract<DecodedFrame, { type: 'relayedAck' }>;
      expect(ack.body.error).toBe('OUTPOST_ERR_BAD_SIGNATURE');
      expect(ack.body.stored).toBe(0);
      expect((await counters())['relayed.rejected.bad_signature']).toBe(1);
      expect(checkResults(NAMES.deep, 'forged')).toBe(0);
      // The relay's session survives a refused batch: it still gets answers.
      evil.send({ heartbeat: { timeMs: Date.now() } });
      await evil.next('heartbeat');
      // Honest results keep arriving through the real chain.
      await eventually('honest agent-deep results after the forgery', () => (d!.collectorResultIds(NAMES.deep).length > seenBefore + 5 ? true : undefined), 60_000, 250);
      expect((await agents()).get(NAMES.deep)!.path).toEqual([NAMES.deep, NAMES.plant, NAMES.site]);
    } finally {
      evil.close();
    }
  });
});
