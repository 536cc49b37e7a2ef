import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentHandshake,
  decodeFrame,
  DEFAULT_LIMITS,
  encodeBatchBody,
  encodeFrame,
  encodeResult,
  generateKeyPair,
  PublicKey,
  signBatch,
  Status,
  type DecodedFrame,
} from '@outpost/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Counters } from './counters.js';
import { initDataDir } from './data-dir.js';
import { CollectorServer } from './server.js';
import { SqliteStore } from './sqlite-store.js';
import type { CollectorStore } from './store.js';

// A session the ingest budget paused (its socket not read while the store is behind) must
// still close at once when its agent is revoked: the store being slow is the one thing
// here that cannot be made to happen on demand, so its commits wait on a gate the test opens.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The real store, with commits held until `open()`. */
function gatedStore(store: SqliteStore): { store: CollectorStore; open(): void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const gated = new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'ingestBatches') return async (...args: Parameters<SqliteStore['ingestBatches']>) => gate.then(() => target.ingestBatches(...args));
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: gated, open };
}

describe('a session paused by the ingest budget', () => {
  it('closes within the revocation poll when its agent is revoked, and the revocation is counted once', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-session-close-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const identity = await initDataDir(dir);
    const sqlite = SqliteStore.open(join(dir, 'collector.db'));
    cleanups.push(() => sqlite.close());
    const keys = generateKeyPair();
    await sqlite.createPendingAgent('lab-1', keys.publicKey, 1, 10);
    await sqlite.setAgentStatus('lab-1', 'active', 2);
    const { store, open } = gatedStore(sqlite);
    cleanups.push(open);
    const counters = new Counters();
    const server = new CollectorServer({
      host: '127.0.0.1', port: 0, insecure: true, identity, store, counters, logger: pino({ level: 'silent' }), limits: { ...DEFAULT_LIMITS },
      state: { agentConnected: async () => {}, afterIngest: async () => {}, heartbeat: async () => {}, agentDisconnected: () => {} },
      maxUnauthenticated: 16, maxUnauthenticatedPerAddress: 16, maxQueuedMessagesPerSession: 64, maxWaitingResults: 5, revocationCheckMs: 100,
    });
    const { port } = await server.start();
    cleanups.push(() => server.stop());

    const ws = new WebSocket(`ws://127.0.0.1:${port}/outpost/v1`, { perMessageDeflate: false });
    const frames: DecodedFrame[] = [];
    const next = (type: DecodedFrame['type']) =>
      new Promise<DecodedFrame>((resolve) => {
        const found = () => frames.find((f) => f.type === type);
        const poll = setInterval(() => found() && (clearInterval(poll), resolve(found()!)), 10);
      });
    ws.on('message', (data: Buffer) => frames.push(decodeFrame(data)));
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    cleanups.push(() => ws.terminate());
    const handshake = new AgentHandshake({
      keyPair: keys, agentName: 'lab-1', collectorKeys: [PublicKey.from(identity.keyPair.publicKey)], software: 'test', configHash: '', heartbeatIntervalMs: 10_000,
    });
    const challenge = await next('challenge');
    if (challenge.type !== 'challenge') throw new Error('unreachable');
    ws.send(encodeFrame({ hello: handshake.onChallenge(challenge.body) }));
    await next('welcome');

    // Ten results against a budget of five: the session stops reading; the gated store holds it so.
    const results = Array.from({ length: 10 }, (_, i) => encodeResult({ resultId: i + 1, checkId: 'c', startedAtMs: Date.now(), durationUs: 1, status: Status.OK, observation: 'open' }));
    ws.send(encodeFrame({ batch: signBatch(keys.secretKey, encodeBatchBody({ agentKey: keys.publicKey, batchSeq: 1, createdMs: Date.now(), clockOffsetMs: 0 }, results)) }));
    for (let i = 0; i < 200 && counters.get('ingest.paused') === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(counters.get('ingest.paused')).toBe(1);

    await sqlite.setAgentStatus('lab-1', 'revoked', 3);
    await closed; // the test's timeout is the bound: before the fix this waited for the gate
    expect(frames.find((f) => f.type === 'error')).toMatchObject({ body: { code: 'OUTPOST_ERR_REVOKED' } });
    // Several more revocation polls pass: still counted once.
    await new Promise((r) => setTimeout(r, 500));
    expect(counters.get('sessions.revoked')).toBe(1);
  });
});
