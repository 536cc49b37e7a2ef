import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeFrame,
  DEFAULT_LIMITS,
  encodeBatchBody,
  encodeFrame,
  encodeResult,
  generateKeyPair,
  signBatch,
  Status,
  type FrameInit,
  type KeyPair,
  type RelayedBatch,
  type RelayedHeartbeat,
} from '@outpost/protocol';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentLiveness } from './agent-liveness.js';
import { Counters } from './counters.js';
import { IngestBudget } from './ingest-budget.js';
import { RelayedTraffic } from './relay-ingest.js';
import type { SessionObserver } from './session.js';
import { SqliteStore } from './sqlite-store.js';
import type { AgentRecord, CollectorStore } from './store.js';
import { ThrottledLog } from './throttled-log.js';

const logger = pino({ level: 'silent' });
const relayKeys = generateKeyPair();
const deepKeys = generateKeyPair();

let dir: string;
let store: SqliteStore;
let counters: Counters;
let budget: IngestBudget;
/** What the state engine heard: agentConnected with the record's silentSince, and heartbeats. */
let heard: string[];
let sent: FrameInit[];
/** The afterIngest calls: results stored per commit. */
let ingested: number[];
let relayed: RelayedTraffic;
let failures: unknown[];
let ctx: ConstructorParameters<typeof RelayedTraffic>[1];

const state: SessionObserver = {
  agentConnected: async (before) => {
    heard.push(`connected silentSince=${before.silentSince}`);
    // As the state engine does: the agent is back.
    if (before.silentSince !== null) await store.setAgentSilence(before.id, null);
  },
  afterIngest: async (_agent, outcomes) => void ingested.push(outcomes.reduce((n, o) => n + o.stored, 0)),
  heartbeat: async (_id, name, backlog) => void heard.push(`heartbeat ${name} backlog=${backlog}`),
};

async function enroll(name: string, keys: KeyPair): Promise<AgentRecord> {
  await store.createPendingAgent(name, keys.publicKey, 1, 10);
  await store.setAgentStatus(name, 'active', 2);
  return (await store.findAgentByName(name))!;
}

/** Frames as the session decodes them off the wire: `count` results from `firstId`, signed by `signer`. */
function relayedBatch(batchSeq: number, firstId: number, count = 1, signer: KeyPair = deepKeys): RelayedBatch {
  const results = Array.from({ length: count }, (_, i) =>
    encodeResult({ resultId: firstId + i, checkId: 'c', startedAtMs: Date.now(), durationUs: 1, status: Status.OK, observation: 'open' }),
  );
  const payload = encodeBatchBody({ agentKey: deepKeys.publicKey, batchSeq, createdMs: Date.now(), clockOffsetMs: 0 }, results);
  const frame = decodeFrame(encodeFrame({ relayedBatch: { agentKey: deepKeys.publicKey, agentName: 'agent-deep', batch: signBatch(signer.secretKey, payload), path: ['relay-plant'] } }));
  if (frame.type !== 'relayedBatch') throw new Error('unreachable');
  return frame.body;
}

function relayedHeartbeat(backlog: number, configVersion = 0): RelayedHeartbeat {
  const heartbeat = { backlog, configVersion, configHash: configVersion ? 'h' : '' };
  const frame = decodeFrame(encodeFrame({ relayedHeartbeat: { agentKey: deepKeys.publicKey, agentName: 'agent-deep', heartbeat, path: ['relay-plant'] } }));
  if (frame.type !== 'relayedHeartbeat') throw new Error('unreachable');
  return frame.body;
}

const deep = async () => (await store.findAgentByName('agent-deep'))!;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-relay-ingest-'));
  store = SqliteStore.open(join(dir, 'collector.db'));
  counters = new Counters();
  heard = [];
  sent = [];
  ingested = [];
  const relay = await enroll('relay-plant', relayKeys);
  await enroll('agent-deep', deepKeys);
  failures = [];
  const failed = (err: unknown) => void failures.push(err);
  budget = new IngestBudget({ maxResults: 200_000, counters });
  const budgetAccount = budget.accountFor({ pause: () => undefined, resume: () => undefined });
  ctx = {
    store, counters, logger, rejections: new ThrottledLog(logger), limits: DEFAULT_LIMITS, state, onRoute: () => undefined, maxPendingBatches: 64,
    budget: budgetAccount, failed, isClosed: () => false,
  };
  relayed = new RelayedTraffic(relay, ctx, (frame) => sent.push(frame));
});
afterEach(async () => {
  await relayed.settled();
  expect(failures).toEqual([]);
  // Every relayed batch verified was committed: nothing is left charged to the ingest budget.
  expect(budget.waiting).toBe(0);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RelayedTraffic: heartbeats', () => {
  it('ignores and counts a relayed heartbeat for an agent whose batch never came through this session', async () => {
    await relayed.onHeartbeat(relayedHeartbeat(7, 3));
    const after = await deep();
    expect(after.lastSeenAt).toBeNull();
    expect(after.backlog).toBeNull();
    expect(after.configVersion).toBeNull();
    expect(after.relayPath).toBeNull();
    expect(counters.get('relayed.rejected.unverified_heartbeat')).toBe(1);
    expect(counters.get('relayed.heartbeats')).toBe(0);
    expect(heard).toEqual([]);

    // Once a verified batch of it came this way, its heartbeats count.
    await relayed.onBatch(relayedBatch(1, 1));
    await relayed.onHeartbeat(relayedHeartbeat(5));
    expect((await deep()).backlog).toBe(5);
    expect(counters.get('relayed.heartbeats')).toBe(1);
  });

  it('ignores relayed heartbeats for an agent that connected directly since its last relayed batch', async () => {
    await relayed.onBatch(relayedBatch(1, 1));
    await relayed.onHeartbeat(relayedHeartbeat(5));
    // What a direct Hello of agent-deep does (session.ts): it is no longer behind relays.
    await store.recordRelayPath((await deep()).id, null, Date.now());
    await relayed.onHeartbeat(relayedHeartbeat(99));
    expect((await deep()).backlog).toBe(5);
    expect(counters.get('relayed.rejected.direct_session')).toBe(1);
    // Back behind the relay: its next batch through this session records the path again.
    await relayed.onBatch(relayedBatch(2, 2));
    await relayed.settled();
    expect((await deep()).relayPath).toEqual(['relay-plant']);
    await relayed.onHeartbeat(relayedHeartbeat(6));
    expect((await deep()).backlog).toBe(6);
  });
});

describe('RelayedTraffic: silence', () => {
  it('brings a silent agent back when its traffic arrives again on a relay session that stayed up', async () => {
    await relayed.onBatch(relayedBatch(1, 1));
    await relayed.settled();
    expect(heard).toEqual(['connected silentSince=null']);
    await store.setAgentSilence((await deep()).id, 1_234);
    await relayed.onBatch(relayedBatch(2, 2));
    await relayed.settled();
    expect(heard).toEqual(['connected silentSince=null', 'connected silentSince=1234']);
    // Not silent: no second "back".
    await relayed.onBatch(relayedBatch(3, 3));
    await relayed.settled();
    expect(heard).toHaveLength(2);
    expect(sent.filter((f) => f.relayedAck).map((f) => f.relayedAck!.stored)).toEqual([1, 1, 1]);
  });
});

/** The RelayedAcks sent, as the relay decodes them (unset fields read as 0 and ''). */
const acks = () =>
  sent.flatMap((f) => {
    const frame = decodeFrame(encodeFrame(f));
    return frame.type === 'relayedAck' ? [frame.body] : [];
  });

/** The real store, with its commits held at a gate the test opens, and its path writes counted. */
function gated(inner: SqliteStore) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const stats = { commitsStarted: 0, pathWrites: 0 };
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'ingestBatches') {
        return async (...args: Parameters<CollectorStore['ingestBatches']>) => {
          stats.commitsStarted++;
          await gate;
          return target.ingestBatches(...args);
        };
      }
      if (prop === 'recordRelayPath') stats.pathWrites++;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, open, stats };
}

describe('RelayedTraffic: group commit', () => {
  it('commits batches of one agent sent back to back together and acks each once, after the commit that stored it', async () => {
    const reader = new Database(join(dir, 'collector.db'), { readonly: true });
    try {
      const { id } = await deep();
      const count = reader.prepare('SELECT count(*) AS n FROM results WHERE agent_id = ? AND result_id BETWEEN ? AND ?');
      const storedAtAck = new Map<number, number>();
      relayed = new RelayedTraffic((await store.findAgentByName('relay-plant'))!, ctx, (frame) => {
        sent.push(frame);
        const seq = frame.relayedAck?.batchSeq;
        if (seq) storedAtAck.set(seq, (count.get(id, seq * 100, seq * 100 + 9) as { n: number }).n);
      });
      for (let seq = 1; seq <= 8; seq++) await relayed.onBatch(relayedBatch(seq, seq * 100, 10));
      await relayed.settled();

      expect(acks().map((a) => [a.batchSeq, a.stored, a.duplicates, a.error])).toEqual(Array.from({ length: 8 }, (_, i) => [i + 1, 10, 0, '']));
      // Each batch's rows were in the database when its ack went out.
      expect([...storedAtAck.values()]).toEqual(Array(8).fill(10));
      expect(counters.get('ingest.batches')).toBe(8);
      expect(counters.get('relayed.batches')).toBe(8);
      expect(counters.get('ingest.results_stored')).toBe(80);
      expect(counters.get('ingest.commits')).toBeGreaterThan(0);
      expect(counters.get('ingest.commits')).toBeLessThan(8);
      expect(ingested).toHaveLength(counters.get('ingest.commits'));
      expect(ingested.reduce((a, b) => a + b, 0)).toBe(80);
      expect(heard).toEqual(['connected silentSince=null']);
      expect((await deep()).relayPath).toEqual(['relay-plant']);

      // The same batches again: acked as duplicates, nothing stored twice.
      sent = [];
      for (let seq = 1; seq <= 8; seq++) await relayed.onBatch(relayedBatch(seq, seq * 100, 10));
      await relayed.settled();
      expect(acks().map((a) => [a.stored, a.duplicates])).toEqual(Array(8).fill([0, 10]));
      expect((reader.prepare('SELECT count(*) AS n FROM results WHERE agent_id = ?').get(id) as { n: number }).n).toBe(80);
    } finally {
      reader.close();
    }
  });

  it('counts a relayed heartbeat sent right after the agent\'s first batch, before that batch is committed', async () => {
    const { store: slow, open, stats } = gated(store);
    relayed = new RelayedTraffic((await store.findAgentByName('relay-plant'))!, { ...ctx, store: slow }, (frame) => sent.push(frame));
    await relayed.onBatch(relayedBatch(1, 1, 5));
    const heartbeat = relayed.onHeartbeat(relayedHeartbeat(4));
    await vi.waitFor(() => expect(stats.commitsStarted).toBe(1), { timeout: 10_000 });
    expect(acks()).toEqual([]);
    open();
    await heartbeat;
    expect(counters.get('relayed.heartbeats')).toBe(1);
    expect(counters.get('relayed.rejected.unverified_heartbeat')).toBe(0);
    expect((await deep()).backlog).toBe(4);
    expect(heard).toEqual(['connected silentSince=null', 'heartbeat agent-deep backlog=4']);
    expect(acks().map((a) => a.stored)).toEqual([5]);
  });

  it('refuses a badly signed batch in the middle on its own and stores its neighbours', async () => {
    const forger = generateKeyPair();
    for (let seq = 1; seq <= 5; seq++) await relayed.onBatch(relayedBatch(seq, seq * 10, 3, seq === 3 ? forger : deepKeys));
    await relayed.settled();
    const bySeq = new Map(acks().map((a) => [a.batchSeq, a]));
    expect(acks()).toHaveLength(5);
    expect(bySeq.get(3)).toMatchObject({ error: 'OUTPOST_ERR_BAD_SIGNATURE', stored: 0 });
    for (const seq of [1, 2, 4, 5]) expect(bySeq.get(seq)).toMatchObject({ error: '', stored: 3, duplicates: 0 });
    expect(counters.get('relayed.rejected.bad_signature')).toBe(1);
    expect(counters.get('ingest.batches')).toBe(4);
    expect(counters.get('ingest.commits')).toBeLessThan(4);
    const ids = (await store.queryResults({ agent: 'agent-deep', limit: 100 })).map((r) => r.resultId).sort((a, b) => a - b);
    expect(ids).toEqual([10, 11, 12, 20, 21, 22, 40, 41, 42, 50, 51, 52]);
  });

  it('brings a silent agent back once and records its path once when batches wait behind an earlier commit', async () => {
    const { store: slow, open, stats } = gated(store);
    relayed = new RelayedTraffic((await store.findAgentByName('relay-plant'))!, { ...ctx, store: slow }, (frame) => sent.push(frame));
    await store.setAgentSilence((await deep()).id, 1_234);
    await relayed.onBatch(relayedBatch(1, 1));
    await vi.waitFor(() => expect(stats.commitsStarted).toBe(1), { timeout: 10_000 });
    // Verified (and their records read) while the first commit is still in flight.
    await relayed.onBatch(relayedBatch(2, 2));
    await relayed.onBatch(relayedBatch(3, 3));
    open();
    await relayed.settled();
    expect(stats.commitsStarted).toBe(2);
    expect(acks().map((a) => [a.batchSeq, a.stored])).toEqual([[1, 1], [2, 1], [3, 1]]);
    expect(heard).toEqual(['connected silentSince=1234']);
    expect(stats.pathWrites).toBe(1);
    expect((await deep()).relayPath).toEqual(['relay-plant']);
  });
});

describe('RelayedTraffic: return summary', () => {
  it("counts every result of a silent agent's relayed backlog, those of its first commit too", async () => {
    const notified: string[] = [];
    const liveness = new AgentLiveness({
      store, logger, counters, now: Date.now, summaryAfterMs: () => 600_000, graceFor: () => 10_000, judgedFrom: () => 0,
      notify: (events) => void notified.push(...events.map((e) => e.message)), publishEvent: () => {}, publishAgent: () => {},
      publishChecks: async () => {}, failed: (what, err) => void failures.push([what, err]),
    });
    const engine: SessionObserver = {
      agentConnected: (before) => liveness.connected(before),
      afterIngest: async () => {},
      heartbeat: (agentId, _name, backlog) => liveness.heartbeat(agentId, backlog),
    };
    relayed = new RelayedTraffic((await store.findAgentByName('relay-plant'))!, { ...ctx, state: engine }, (frame) => sent.push(frame));
    await store.setAgentSilence((await deep()).id, Date.now() - 60_000);
    // Eight batches back to back: the first commit holds several of them.
    for (let seq = 1; seq <= 8; seq++) await relayed.onBatch(relayedBatch(seq, seq * 10, 10));
    await relayed.onHeartbeat(relayedHeartbeat(0));
    await relayed.settled();
    liveness.stop();
    expect(counters.get('ingest.commits')).toBeLessThan(8);
    expect(notified.filter((m) => m.includes('results'))).toEqual([expect.stringMatching(/^agent-deep back after .*: 80 results, 0 incidents during outage$/)]);
  });
});
