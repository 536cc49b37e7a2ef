import { describe, expect, it } from 'vitest';
import {
  encodeBatchBody,
  encodeResult,
  ErrorCode,
  generateKeyPair,
  openBatch,
  pb,
  PublicKey,
  signBatch,
  Status,
  type Batch,
} from './index.js';

function makeBatch(count: number, keys = generateKeyPair()) {
  const results = Array.from({ length: count }, (_, i) =>
    encodeResult({
      resultId: i + 1,
      checkId: `tcp-${i % 3}`,
      startedAtMs: 1_700_000_000_000 + i,
      durationUs: 120,
      status: i % 2 ? Status.CRITICAL : Status.OK,
      observation: i % 2 ? 'closed' : 'open',
      message: 'msg',
      metrics: { connect_ms: 0.25 },
    }),
  );
  const payload = encodeBatchBody({ agentKey: keys.publicKey, batchSeq: 42, createdMs: 1_700_000_001_000, clockOffsetMs: -37 }, results, [
    { fromResultId: 100, toResultId: 109, count: 10, reason: 'cap', perCheck: { a: 10 } },
  ]);
  return { keys, batch: signBatch(keys.secretKey, payload) as Batch };
}

describe('batches', () => {
  it('encodes a result so the decoder reads back every field, defaults included', () => {
    const full = { resultId: 2 ** 40 + 3, checkId: 'tcp:127.0.0.1:22', startedAtMs: 1_700_000_000_123, durationUs: 4_294_967_295, status: Status.WARNING,
      observation: 'threshold', message: 'ünïcode ✓', metrics: { connect_ms: 0.125, 'odd key': -1, zero: 0 }, transcript: new Uint8Array([0, 1, 255]), checkConfigHash: 'abc' };
    expect(pb.Result.decode(encodeResult(full))).toMatchObject({ ...full, transcript: Buffer.from([0, 1, 255]) });
    const sparse = pb.Result.decode(encodeResult({ resultId: 1, checkId: 'c', status: Status.OK }));
    expect(sparse).toMatchObject({ resultId: 1, checkId: 'c', status: Status.OK, startedAtMs: 0, message: '', metrics: {} });
  });

  it('round-trips pre-encoded results through sign, verify and decode', () => {
    const { keys, batch } = makeBatch(10);
    const body = openBatch(batch, PublicKey.from(keys.publicKey));
    expect(body.batchSeq).toBe(42);
    expect(body.clockOffsetMs).toBe(-37);
    expect(body.results).toHaveLength(10);
    expect(body.results[3]!.resultId).toBe(4);
    expect(body.results[3]!.observation).toBe('closed');
    expect(body.results[3]!.metrics['connect_ms']).toBe(0.25);
    expect(body.gaps[0]!.count).toBe(10);
    // The hand-built body equals what the generated encoder makes of the same message.
    expect(Buffer.from(pb.BatchBody.encode(pb.BatchBody.decode(batch.payload!)).finish())).toEqual(Buffer.from(batch.payload!));
  });

  it('rejects a batch with any single flipped byte', () => {
    const { keys, batch } = makeBatch(3);
    const key = PublicKey.from(keys.publicKey);
    for (let i = 0; i < batch.payload.length; i++) {
      const payload = Uint8Array.from(batch.payload);
      payload[i]! ^= 0x10;
      expect(() => openBatch({ ...batch, payload } as Batch, key)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
    }
  });

  it('rejects a batch signed by another agent on this session', () => {
    const { batch } = makeBatch(2);
    const other = PublicKey.from(generateKeyPair().publicKey);
    expect(() => openBatch(batch, other)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_SIGNATURE }));
  });

  it("rejects a batch whose body names another agent's key", () => {
    const signer = generateKeyPair();
    const victim = generateKeyPair();
    const payload = encodeBatchBody({ agentKey: victim.publicKey, batchSeq: 1, createdMs: 1, clockOffsetMs: 0 }, []);
    const batch = signBatch(signer.secretKey, payload) as Batch;
    expect(() => openBatch(batch, PublicKey.from(signer.publicKey))).toThrow(expect.objectContaining({ code: ErrorCode.WRONG_AGENT }));
  });

  it('rejects more results than the limit and a malformed result', () => {
    const { keys, batch } = makeBatch(5);
    const key = PublicKey.from(keys.publicKey);
    expect(() => openBatch(batch, key, { maxBatchResults: 4, maxNameLength: 128, maxMessageLength: 4096, maxTranscriptBytes: 1024 })).toThrow(
      expect.objectContaining({ code: ErrorCode.LIMIT }),
    );
    const bad = encodeResult({ resultId: 0, checkId: 'x', status: Status.OK });
    const payload = encodeBatchBody({ agentKey: keys.publicKey, batchSeq: 1, createdMs: 1, clockOffsetMs: 0 }, [bad]);
    expect(() => openBatch(signBatch(keys.secretKey, payload) as Batch, key)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_FRAME }));
  });
});
