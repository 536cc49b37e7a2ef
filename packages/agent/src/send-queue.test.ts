import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, openBatch, PublicKey, Status, type Batch } from '@outpost/protocol';
import { signBatch } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox, type NewResult } from './outbox.js';
import { SendQueue } from './send-queue.js';

let dir: string;
let outbox: Outbox;
const keys = generateKeyPair();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-queue-'));
  outbox = Outbox.open(join(dir, 'outbox.db'));
});
afterEach(() => {
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const result = (checkId: string, i: number): NewResult => ({
  checkId, startedAtMs: 1_000 + i, durationUs: 1, status: Status.OK, observation: 'open', message: 'm'.repeat(100), metrics: {}, checkConfigHash: 'h',
});

function queue(settings: Partial<ConstructorParameters<typeof SendQueue>[0]['settings']> = {}, now?: () => number) {
  let seq = 0;
  return new SendQueue({
    outbox,
    settings: { window: 4, maxBatchResults: 10, maxBatchBytes: 1 << 20, maxBytesPerSec: undefined, ...settings },
    agentKey: keys.publicKey,
    clockOffsetMs: 0,
    sign: (payload) => signBatch(keys.secretKey, payload),
    nextSeq: () => ++seq,
    ...(now ? { now } : {}),
  });
}

function open(next: ReturnType<SendQueue['next']>) {
  if (!next || !('batch' in next)) throw new Error(`expected a batch, got ${JSON.stringify(next)}`);
  return openBatch(next.batch as Batch, PublicKey.from(keys.publicKey));
}

describe('SendQueue', () => {
  it('sends the newest result of every check first, then the backlog oldest first, each once', () => {
    for (let i = 0; i < 30; i++) outbox.append([result(['a', 'b', 'c'][i % 3]!, i)]);
    const q = queue();
    const first = open(q.next());
    expect(first.results.map((r) => r.resultId)).toEqual([28, 29, 30]);
    const sent = [...first.results.map((r) => r.resultId)];
    for (let next = q.next(); next; next = q.next()) sent.push(...open(next).results.map((r) => r.resultId));
    expect(q.inFlight).toBe(4);
    for (let seq = 1; seq <= 4; seq++) q.ack(seq);
    for (let next = q.next(); next; next = q.next()) sent.push(...open(next).results.map((r) => r.resultId));
    expect(sent.slice(3)).toEqual([...sent.slice(3)].sort((x, y) => x - y));
    expect([...sent].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('deletes rows only when their batch is acknowledged, and gap records with them', () => {
    outbox.append([result('a', 1), result('a', 2)]);
    outbox.recordLost([result('a', 3)], 'write_failed');
    const q = queue();
    const batch = open(q.next());
    expect(batch.gaps).toHaveLength(1);
    expect(batch.results.map((r) => r.resultId)).toEqual([2]); // the newest of check a goes first
    expect(outbox.depth().count).toBe(2); // nothing leaves before its Ack
    expect(q.ack(1)).toBe(1);
    expect(outbox.depth().count).toBe(1);
    expect(outbox.pendingGaps(10)).toEqual([]);
    expect(q.ack(99)).toBeUndefined();
  });

  it('keeps to the byte rate cap', () => {
    for (let i = 0; i < 40; i++) outbox.append([result('a', i)]);
    let now = 0;
    const q = queue({ maxBatchResults: 10, maxBytesPerSec: 2_000 }, () => now);
    expect(q.next()).toHaveProperty('batch'); // the newest result, small
    const next = q.next();
    expect(next && 'batch' in next).toBe(true);
    const throttled = q.next();
    expect(throttled).toHaveProperty('waitMs');
    now += (throttled as { waitMs: number }).waitMs;
    expect(q.next()).toHaveProperty('batch');
  });
});
