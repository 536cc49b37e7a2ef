import { join } from 'node:path';
import { decodeFrame, encodeBatchBody, encodeResult, generateKeyPair, signBatch, Status, type DecodedFrame, type KeyPair, type RelayedAck } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { RawAgent } from './support/raw-agent.js';

/**
 * Relayed batches of one agent are group-committed at the collector like a direct agent's:
 * a real `outpost-collector run`, a hand-driven relay on a real wss socket sending a
 * backlog back to back, the collector's SQLite file read as each RelayedAck arrives.
 */

const RELAY = 'relay-gc';
const AGENT = 'agent-gc';
const PER_BATCH = 50;
const BATCHES = 12;
/** Signed by the wrong key: refused on its own. */
const FORGED = 6;

let d: TestDeployment | undefined;
let relay: RawAgent | undefined;
let reader: Database.Database | undefined;
let agentKeys: KeyPair;

const counters = async () => (await d!.api<{ counters: Record<string, number> }>('/api/v1/status')).counters;
const firstId = (seq: number) => (seq - 1) * PER_BATCH + 1;

/** Batch `seq` of agent-gc (results firstId(seq)…), signed by `signer`. */
function relayedBatch(seq: number, signer: KeyPair = agentKeys) {
  const results = Array.from({ length: PER_BATCH }, (_, i) =>
    encodeResult({ resultId: firstId(seq) + i, checkId: 'gc-check', startedAtMs: Date.now(), durationUs: 1, status: Status.OK, observation: 'open', message: `result ${firstId(seq) + i}` }),
  );
  const payload = encodeBatchBody({ agentKey: agentKeys.publicKey, batchSeq: seq, createdMs: Date.now(), clockOffsetMs: 0 }, results);
  return { relayedBatch: { agentKey: agentKeys.publicKey, agentName: AGENT, batch: signBatch(signer.secretKey, payload), path: [RELAY] } };
}

/** RelayedAcks in arrival order, each with the number of its batch's rows in the collector's file when it arrived. */
function watchAcks(): { acks: { ack: RelayedAck; rowsAtAck: number }[] } {
  const seen = { acks: [] as { ack: RelayedAck; rowsAtAck: number }[] };
  const count = reader!.prepare('SELECT count(*) AS n FROM results r JOIN agents a ON a.id = r.agent_id WHERE a.name = ? AND r.result_id BETWEEN ? AND ?');
  relay!.ws.on('message', (data: Buffer) => {
    const frame = decodeFrame(data);
    if (frame.type !== 'relayedAck') return;
    const seq = frame.body.batchSeq;
    seen.acks.push({ ack: frame.body, rowsAtAck: (count.get(AGENT, firstId(seq), firstId(seq) + PER_BATCH - 1) as { n: number }).n });
  });
  return seen;
}

async function acked(n: number): Promise<RelayedAck[]> {
  const acks: RelayedAck[] = [];
  for (let i = 0; i < n; i++) acks.push(((await relay!.next('relayedAck', 30_000)) as Extract<DecodedFrame, { type: 'relayedAck' }>).body);
  return acks;
}

beforeAll(async () => {
  d = await TestDeployment.create();
  await d.startCollector();
  const url = `wss://127.0.0.1:${d.port}/outpost/v1`;
  // agent-gc enrols directly once (no batches), then is heard only through the relay.
  agentKeys = generateKeyPair();
  const direct = await RawAgent.connect(url, agentKeys);
  await direct.hello({ name: AGENT, collectorKey: d.collectorKey, token: await d.token(AGENT) });
  await direct.next('welcome');
  direct.close();
  relay = await RawAgent.connect(url);
  await relay.hello({ name: RELAY, collectorKey: d.collectorKey, token: await d.token(RELAY) });
  await relay.next('welcome');
  reader = new Database(join(d.collectorDir, 'collector.db'), { readonly: true });
}, 120_000);

afterAll(async () => {
  reader?.close();
  relay?.close();
  await d?.cleanup();
}, 60_000);

describe('relayed batches: group commit at the collector', () => {
  it('commits a relayed backlog in fewer commits than batches, acks each batch once after it is stored, refuses a forged one alone and counts a heartbeat sent before the first commit', { timeout: 120_000 }, async () => {
    const before = await counters();
    const seen = watchAcks();
    // The backlog back to back, as a relay draining its outbox sends it; the heartbeat right
    // behind the first batch, before that batch can have been committed.
    const forger = generateKeyPair();
    relay!.send(relayedBatch(1));
    relay!.send({ relayedHeartbeat: { agentKey: agentKeys.publicKey, agentName: AGENT, heartbeat: { backlog: 7 }, path: [RELAY] } });
    for (let seq = 2; seq <= BATCHES; seq++) relay!.send(relayedBatch(seq, seq === FORGED ? forger : agentKeys));
    const acks = await acked(BATCHES);

    expect(acks.map((a) => a.batchSeq).sort((a, b) => a - b)).toEqual(Array.from({ length: BATCHES }, (_, i) => i + 1));
    for (const ack of acks) {
      if (ack.batchSeq === FORGED) expect([ack.error, ack.stored]).toEqual(['OUTPOST_ERR_BAD_SIGNATURE', 0]);
      else expect([ack.error, ack.stored, ack.duplicates]).toEqual(['', PER_BATCH, 0]);
    }
    // Every stored batch's rows were in the collector's file when its ack arrived.
    expect(seen.acks.filter((s) => s.ack.batchSeq !== FORGED).map((s) => s.rowsAtAck)).toEqual(Array(BATCHES - 1).fill(PER_BATCH));

    const c = await counters();
    const delta = (name: string) => (c[name] ?? 0) - (before[name] ?? 0);
    expect(delta('ingest.batches')).toBe(BATCHES - 1);
    expect(delta('relayed.batches')).toBe(BATCHES - 1);
    expect(delta('ingest.results_stored')).toBe((BATCHES - 1) * PER_BATCH);
    expect(delta('ingest.commits')).toBeGreaterThan(0);
    expect(delta('ingest.commits')).toBeLessThan(BATCHES - 1);
    expect(delta('relayed.rejected.bad_signature')).toBe(1);
    expect(delta('relayed.heartbeats')).toBe(1);
    expect(delta('relayed.rejected.unverified_heartbeat')).toBe(0);

    const view = (await d!.api<{ agents: { name: string; backlog: number | null; path: string[] | null }[] }>('/api/v1/agents')).agents.find((a) => a.name === AGENT)!;
    expect(view.backlog).toBe(7);
    expect(view.path).toEqual([AGENT, RELAY]);
    const expected = Array.from({ length: BATCHES }, (_, i) => i + 1)
      .filter((seq) => seq !== FORGED)
      .flatMap((seq) => Array.from({ length: PER_BATCH }, (_, i) => firstId(seq) + i));
    expect(d!.collectorResultIds(AGENT)).toEqual(expected);
  });

  it('stores nothing twice when the relay sends the same backlog again (its acks were lost)', { timeout: 120_000 }, async () => {
    const stored = d!.collectorResultIds(AGENT);
    for (let seq = 1; seq <= BATCHES; seq++) if (seq !== FORGED) relay!.send(relayedBatch(seq));
    const acks = await acked(BATCHES - 1);
    expect(acks.map((a) => [a.error, a.stored, a.duplicates])).toEqual(Array(BATCHES - 1).fill(['', 0, PER_BATCH]));
    expect(d!.collectorResultIds(AGENT)).toEqual(stored);
    // The relay session is still up and answering.
    relay!.send({ heartbeat: { timeMs: Date.now() } });
    await relay!.next('heartbeat');
  });
});
