import { encodeResult, pb, Status } from '@outpost/protocol';
import { describe, expect, it } from 'vitest';
import type { NewResult } from './outbox.js';
import { fitWireLimits, ResultEncoder, toResultInit } from './result-wire.js';

const base: NewResult = {
  checkId: 'tcp:cell-01-host-0042.plant:502',
  startedAtMs: 1_764_000_000_123,
  durationUs: 1_840,
  status: Status.OK,
  observation: 'open',
  message: 'TCP OK - cell-01-host-0042.plant:502 open in 1.8 ms',
  metrics: { connect_ms: 1.8 },
  checkConfigHash: '3f9a1c0e7b52d4a8',
  intervalMs: 60_000,
};

// Each case: what protobufjs makes of it is what the encoder must make, byte for byte.
const cases: [string, NewResult, number][] = [
  ['a typical result', base, 17],
  ['id 0 and every scalar at its default (omitted on the wire)', { ...base, startedAtMs: 0, durationUs: 0, status: Status.OK, observation: '', message: '', checkConfigHash: '', metrics: {} }, 0],
  ['ids and times past 2^32 and 2^52', { ...base, startedAtMs: 2 ** 52 + 5 }, 2 ** 40 + 3],
  ['a message of 300 and one of 4096 characters (2-byte lengths)', { ...base, message: 'x'.repeat(300), observation: 'o'.repeat(128) }, 5],
  ['several metrics, an empty key, NaN, -0 and Infinity', { ...base, metrics: { '': -0, a: Number.NaN, b: Number.POSITIVE_INFINITY, c: -1.5e-300 } }, 9],
  ['a transcript', { ...base, status: Status.CRITICAL, transcript: Uint8Array.from({ length: 700 }, (_, i) => i % 256) }, 11],
  ['non-ASCII text (handed to protobufjs)', { ...base, message: 'Température élevée…', metrics: { 'débit': 2 } }, 12],
  ['a lone surrogate (handed to protobufjs)', { ...base, message: 'a\ud800b' }, 13],
  ['a duration past uint32 (protobufjs wraps it)', { ...base, durationUs: 2 ** 33 + 7 }, 14],
  ['no interval (a one-shot result)', { ...base, intervalMs: 0 }, 16],
  ['an interval of a day', { ...base, intervalMs: 86_400_000 }, 18],
  ['an interval past uint32 (protobufjs wraps it)', { ...base, intervalMs: 2 ** 32 + 9 }, 19],
  ['more than the reused buffer holds (handed to protobufjs)', { ...base, transcript: new Uint8Array(16 * 1024).fill(1), message: 'q'.repeat(60_000) }, 15],
];

describe('ResultEncoder', () => {
  it.each(cases)('encodes %s exactly as protobufjs does', (_name, result, id) => {
    const encoder = new ResultEncoder();
    const expected = encodeResult(toResultInit(result, id));
    expect(Buffer.from(encoder.encode(result, id)).equals(Buffer.from(expected))).toBe(true);
  });

  it('reuses one buffer: a second encode overwrites the first view, and both decode to what went in', () => {
    const encoder = new ResultEncoder();
    const first = encoder.encode(base, 1);
    const kept = Uint8Array.from(first);
    const second = encoder.encode({ ...base, checkId: 'tcp:other:22', status: Status.CRITICAL }, 2);
    expect(first.buffer).toBe(second.buffer);
    expect(pb.Result.decode(kept)).toMatchObject({ resultId: 1, checkId: base.checkId, status: Status.OK, metrics: { connect_ms: 1.8 } });
    expect(pb.Result.decode(Uint8Array.from(second))).toMatchObject({ resultId: 2, checkId: 'tcp:other:22', status: Status.CRITICAL });
  });

  it('encodes results cut to the wire limits the same way', () => {
    const long = fitWireLimits({ ...base, message: 'm'.repeat(10_000) });
    expect(long.message.endsWith('…')).toBe(true);
    expect(Buffer.from(new ResultEncoder().encode(long, 3)).equals(Buffer.from(encodeResult(toResultInit(long, 3))))).toBe(true);
  });
});
