import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBatchBody, encodeResult, generateKeyPair, openBatch, PublicKey, readRelayedBatchHeader, signBatch, Status } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayOutbox } from './relay-outbox.js';

let dir: string;
const path = () => join(dir, 'relay.db');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-relay-outbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const agent = generateKeyPair();

function signed(batchSeq: number) {
  const result = encodeResult({ resultId: batchSeq, checkId: 'c', startedAtMs: 1_000, durationUs: 1, status: Status.OK, observation: 'open', message: `r${batchSeq}` });
  const payload = encodeBatchBody({ agentKey: agent.publicKey, batchSeq, createdMs: 2_000, clockOffsetMs: 0 }, [result]);
  return signBatch(agent.secretKey, payload) as { payload: Uint8Array; signature: Uint8Array };
}

const entry = (batchSeq: number, via = 'lab-deep') => ({ agentKey: agent.publicKey, agentName: 'lab-deep', batchSeq, ...signed(batchSeq), path: ['relay-plant'], via });

describe('RelayOutbox', () => {
  it('keeps batches in arrival order, byte for byte, across a reopen, and only once per (agent, batch_seq)', () => {
    const outbox = RelayOutbox.open(path());
    const first = entry(7);
    expect(outbox.put(first)).toBe(true);
    expect(outbox.put(entry(3))).toBe(true);
    expect(outbox.put(entry(7))).toBe(false);
    outbox.close();
    expect(statSync(path()).mode & 0o777).toBe(0o600);

    const again = RelayOutbox.open(path());
    expect(again.depth().count).toBe(2);
    const held = again.after(0, 10);
    expect(held.map((e) => e.batchSeq)).toEqual([7, 3]);
    expect(Buffer.compare(held[0]!.payload, first.payload)).toBe(0);
    // Still verifiable against the agent's own key: nothing was re-encoded.
    expect(openBatch({ payload: held[0]!.payload, signature: held[0]!.signature } as never, PublicKey.from(agent.publicKey)).batchSeq).toBe(7);
    expect(again.after(held[0]!.seq, 10).map((e) => e.batchSeq)).toEqual([3]);
    again.close();
  });

  it('removes a batch after the upstream ack and returns where to ack it downstream', () => {
    const outbox = RelayOutbox.open(path());
    outbox.put(entry(1, 'relay-plant'));
    const removed = outbox.remove(agent.publicKey, 1);
    expect(removed?.via).toBe('relay-plant');
    expect(removed?.path).toEqual(['relay-plant']);
    expect(outbox.remove(agent.publicKey, 1)).toBeUndefined();
    expect(outbox.depth()).toEqual({ count: 0, bytes: 0 });
    outbox.close();
  });

  it('counts held batches per downstream session, across a reopen', () => {
    const outbox = RelayOutbox.open(path());
    outbox.put(entry(1, 'relay-down'));
    outbox.put(entry(2, 'relay-down'));
    outbox.put(entry(2, 'relay-down'));
    outbox.put(entry(3, 'lab-deep'));
    expect([outbox.heldVia('relay-down'), outbox.heldVia('lab-deep'), outbox.heldVia('nobody')]).toEqual([2, 1, 0]);
    outbox.close();
    const again = RelayOutbox.open(path());
    expect(again.heldVia('relay-down')).toBe(2);
    again.remove(agent.publicKey, 1);
    again.remove(agent.publicKey, 3);
    expect([again.heldVia('relay-down'), again.heldVia('lab-deep')]).toEqual([1, 0]);
    again.close();
  });

  it('holds only the newest config push per agent', () => {
    const outbox = RelayOutbox.open(path());
    const push = (version: number) => ({ agentKey: agent.publicKey, agentName: 'lab-deep', version, config: Buffer.from(`v${version}`), signature: new Uint8Array(64) });
    expect(outbox.holdPush(push(2))).toBe(true);
    expect(outbox.holdPush(push(1))).toBe(false);
    expect(outbox.holdPush(push(3))).toBe(true);
    expect(outbox.heldPushes().map((p) => p.version)).toEqual([3]);
    outbox.close();
  });

  it('reads the key and batch_seq of a relayed batch without its signature being needed', () => {
    const header = readRelayedBatchHeader(signed(42) as never);
    expect(header.batchSeq).toBe(42);
    expect(Buffer.compare(header.agentKey, agent.publicKey)).toBe(0);
    expect(() => readRelayedBatchHeader({ payload: Uint8Array.of(0xff, 0xff), signature: new Uint8Array(64) } as never)).toThrow(/does not decode|agent key/);
  });
});
