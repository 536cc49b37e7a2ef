import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, ErrorCode, type DecodedFrame } from './index.js';

describe('frame codec', () => {
  it('round-trips a frame and tags it by body', () => {
    const frame = decodeFrame(encodeFrame({ ack: { batchSeq: 9, stored: 3, duplicates: 1 } }));
    expect(frame.type).toBe('ack');
    if (frame.type !== 'ack') throw new Error('unreachable');
    expect(frame.body.stored).toBe(3);
  });

  it('rejects an oversized frame before parsing it', () => {
    const big = new Uint8Array(1025);
    expect(() => decodeFrame(big, { maxMessageBytes: 1024 })).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }));
  });

  it('rejects truncated frames, garbage and an empty frame without throwing anything else', () => {
    const valid = encodeFrame({ heartbeat: { timeMs: Date.now(), backlog: 12345 } });
    const outcomes: string[] = [];
    const attempt = (bytes: Uint8Array) => {
      try {
        const f: DecodedFrame = decodeFrame(bytes);
        outcomes.push(f.type);
      } catch (err: unknown) {
        expect(err).toMatchObject({ code: ErrorCode.BAD_FRAME });
        outcomes.push('rejected');
      }
    };
    for (let cut = 0; cut < valid.length; cut++) attempt(valid.subarray(0, cut));
    attempt(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    attempt(new Uint8Array(0));
    expect(outcomes.filter((o) => o === 'rejected').length).toBeGreaterThan(3);
    expect(outcomes.every((o) => o === 'rejected' || o === 'heartbeat')).toBe(true);
  });

  it('decodes every 64-bit field as a number, zero included', () => {
    const zero = decodeFrame(encodeFrame({ heartbeat: { timeMs: 0, backlog: 0, oldestUnsentMs: 0, dropped: 0 } }));
    if (zero.type !== 'heartbeat') throw new Error('unreachable');
    for (const value of [zero.body.timeMs, zero.body.backlog, zero.body.oldestUnsentMs, zero.body.dropped]) expect(value).toBe(0);
    const welcome = decodeFrame(encodeFrame({ welcome: { timeMs: 1 } }));
    if (welcome.type !== 'welcome') throw new Error('unreachable');
    expect(welcome.body.maxResultId).toBe(0);
    expect(welcome.body.lastBatchSeq).toBe(0);
    const big = decodeFrame(encodeFrame({ ack: { batchSeq: 2 ** 52 + 1 } }));
    expect(big.type === 'ack' && big.body.batchSeq).toBe(2 ** 52 + 1);
  });
});
