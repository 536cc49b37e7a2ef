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
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Counters } from './counters.js';
import { RelayedTraffic } from './relay-ingest.js';
import type { SessionObserver } from './session.js';
import { SqliteStore } from './sqlite-store.js';
import type { AgentRecord } from './store.js';
import { ThrottledLog } from './throttled-log.js';

const logger = pino({ level: 'silent' });
const relayKeys = generateKeyPair();
const deepKeys = generateKeyPair();

let dir: string;
let store: SqliteStore;
let counters: Counters;
/** What the state engine heard: agentConnected with the record's silentSince, and heartbeats. */
let heard: string[];
let sent: FrameInit[];
let relayed: RelayedTraffic;

const state: SessionObserver = {
  agentConnected: async (before) => {
    heard.push(`connected silentSince=${before.silentSince}`);
    // As the state engine does: the agent is back.
    if (before.silentSince !== null) await store.setAgentSilence(before.id, null);
  },
  afterIngest: async () => undefined,
  heartbeat: async (_id, name, backlog) => void heard.push(`heartbeat ${name} backlog=${backlog}`),
};

async function enroll(name: string, keys: KeyPair): Promise<AgentRecord> {
  await store.createPendingAgent(name, keys.publicKey, 1, 10);
  await store.setAgentStatus(name, 'active', 2);
  return (await store.findAgentByName(name))!;
}

/** Frames as the session decodes them off the wire. */
function relayedBatch(batchSeq: number, firstId: number): RelayedBatch {
  const results = [encodeResult({ resultId: firstId, checkId: 'c', startedAtMs: Date.now(), durationUs: 1, status: Status.OK, observation: 'open' })];
  const payload = encodeBatchBody({ agentKey: deepKeys.publicKey, batchSeq, createdMs: Date.now(), clockOffsetMs: 0 }, results);
  const frame = decodeFrame(encodeFrame({ relayedBatch: { agentKey: deepKeys.publicKey, agentName: 'agent-deep', batch: signBatch(deepKeys.secretKey, payload), path: ['relay-plant'] } }));
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
  const relay = await enroll('relay-plant', relayKeys);
  await enroll('agent-deep', deepKeys);
  const ctx = { store, counters, logger, rejections: new ThrottledLog(logger), limits: DEFAULT_LIMITS, state, onRoute: () => undefined };
  relayed = new RelayedTraffic(relay, ctx, (frame) => sent.push(frame));
});
afterEach(async () => {
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
    expect((await deep()).relayPath).toEqual(['relay-plant']);
    await relayed.onHeartbeat(relayedHeartbeat(6));
    expect((await deep()).backlog).toBe(6);
  });
});

describe('RelayedTraffic: silence', () => {
  it('brings a silent agent back when its traffic arrives again on a relay session that stayed up', async () => {
    await relayed.onBatch(relayedBatch(1, 1));
    expect(heard).toEqual(['connected silentSince=null']);
    await store.setAgentSilence((await deep()).id, 1_234);
    await relayed.onBatch(relayedBatch(2, 2));
    expect(heard).toEqual(['connected silentSince=null', 'connected silentSince=1234']);
    // Not silent: no second "back".
    await relayed.onBatch(relayedBatch(3, 3));
    expect(heard).toHaveLength(2);
    expect(sent.filter((f) => f.relayedAck).map((f) => f.relayedAck!.stored)).toEqual([1, 1, 1]);
  });
});
