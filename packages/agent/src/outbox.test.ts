import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, pb, Status } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox, type NewResult } from './outbox.js';

let dir: string;
const path = () => join(dir, 'outbox.db');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-outbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const make = (i: number, extra: Partial<NewResult> = {}): NewResult => ({
  checkId: `c${i % 3}`,
  startedAtMs: 1_000 + i,
  durationUs: 10,
  status: Status.OK,
  observation: 'open',
  message: `m${i}`,
  metrics: { connect_ms: i },
  checkConfigHash: 'h',
  ...extra,
});

describe('Outbox', () => {
  it('gives strictly increasing ids that are never reused, even after rows are deleted and the file reopened', () => {
    let outbox = Outbox.open(path());
    expect(outbox.append([make(1), make(2), make(3)])).toEqual([1, 2, 3]);
    expect(outbox.remove(1, 3)).toBe(3);
    outbox.close();
    outbox = Outbox.open(path());
    expect(outbox.append([make(4)])).toEqual([4]);
    expect(outbox.depth()).toMatchObject({ count: 1, maxResultId: 4, oldestStartedAtMs: 1_004 });
    outbox.close();
    expect(statSync(path()).mode & 0o777).toBe(0o600);
  });

  it('keeps each result encoded with its id, and reads in id order within the byte budget', () => {
    const outbox = Outbox.open(path());
    outbox.append(Array.from({ length: 10 }, (_, i) => make(i)));
    const rows = outbox.readAfter(2, 100, 1 << 20);
    expect(rows.map((r) => r.resultId)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(pb.Result.decode(rows[0]!.body)).toMatchObject({ resultId: 3, checkId: 'c2', message: 'm2' });
    const small = outbox.readAfter(0, 100, rows[0]!.bytes * 3);
    expect(small).toHaveLength(3);
    outbox.close();
  });

  it('cuts text and transcripts to what the collector accepts', () => {
    const outbox = Outbox.open(path());
    outbox.append([make(1, { message: 'x'.repeat(10_000), observation: 'o'.repeat(500), transcript: new Uint8Array(100_000) })]);
    const decoded = pb.Result.decode(outbox.readAfter(0, 1, 1 << 22)[0]!.body);
    expect(decoded.message.length).toBe(DEFAULT_LIMITS.maxMessageLength);
    expect(decoded.observation.length).toBe(DEFAULT_LIMITS.maxNameLength);
    expect(decoded.transcript.length).toBe(DEFAULT_LIMITS.maxTranscriptBytes);
    outbox.close();
  });

  it('renumbers unsent rows above the collector when the outbox was recreated behind it', () => {
    const outbox = Outbox.open(path());
    outbox.append([make(1), make(2)]);
    expect(outbox.rebase(1)).toBe(0); // the normal case: ahead of the collector
    expect(outbox.rebase(500)).toBe(2);
    const rows = outbox.readAfter(0, 10, 1 << 20);
    expect(rows.map((r) => r.resultId)).toEqual([501, 502]);
    expect(pb.Result.decode(rows[1]!.body).resultId).toBe(502);
    expect(outbox.append([make(3)])).toEqual([503]);
    outbox.close();
    expect(Outbox.open(path()).append([make(4)])).toEqual([504]);
  });
});
