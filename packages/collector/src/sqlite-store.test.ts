import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, Status, type OpenedBatch, type Result } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, issueToken } from './enrollment.js';
import { SqliteStore } from './sqlite-store.js';

let dir: string;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-store-'));
  store = SqliteStore.open(join(dir, 'collector.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function result(resultId: number, startedAtMs: number, status: Status, checkId = 'c1'): Result {
  return { resultId, checkId, startedAtMs, durationUs: 5, status, observation: Status[status].toLowerCase(), message: `r${resultId}`, metrics: {}, transcript: new Uint8Array(0), checkConfigHash: 'h' } as unknown as Result;
}

function batch(batchSeq: number, results: Result[], gaps: unknown[] = []): OpenedBatch {
  return { agentKey: new Uint8Array(32), batchSeq, results, gaps, createdMs: 0, clockOffsetMs: 0 } as unknown as OpenedBatch;
}

async function enrolled(name = 'lab-1') {
  const key = generateKeyPair().publicKey;
  const token = await issueToken(store, 60_000, null, 1_000);
  expect(await store.enrollWithToken(hashToken(token), name, key, 2_000)).toBe('enrolled');
  return (await store.findAgentByName(name))!;
}

describe('SqliteStore', () => {
  it('creates its file readable by the owner only', () => {
    expect(statSync(join(dir, 'collector.db')).mode & 0o777).toBe(0o600);
  });

  it('stores each (agent, result_id) once and counts the rest as duplicates', async () => {
    const agent = await enrolled();
    expect(await store.ingestBatch(agent.id, batch(1, [result(1, 100, Status.OK), result(2, 200, Status.OK)]), 1)).toMatchObject({ stored: 2, duplicates: 0 });
    expect(await store.ingestBatch(agent.id, batch(2, [result(2, 200, Status.OK), result(3, 300, Status.OK)]), 2)).toMatchObject({ stored: 1, duplicates: 1 });
    const rows = await store.queryResults({ agent: 'lab-1', limit: 100 });
    expect(rows.map((r) => r.resultId)).toEqual([1, 2, 3]);
    expect(await store.findAgentByName('lab-1')).toMatchObject({ resultsStored: 3, duplicates: 1, maxResultId: 3, lastBatchSeq: 2 });
  });

  it('tracks state by check time: since marks the change even inside one batch, late history never overrides', async () => {
    const agent = await enrolled();
    await store.ingestBatch(agent.id, batch(1, [result(1, 1_000, Status.OK)]), 1);
    await store.ingestBatch(agent.id, batch(2, [result(2, 2_000, Status.CRITICAL), result(3, 3_000, Status.CRITICAL), result(4, 4_000, Status.CRITICAL)]), 2);
    let [state] = await store.listCheckStates('lab-1');
    expect(state).toMatchObject({ status: Status.CRITICAL, since: 2_000, startedAt: 4_000, resultId: 4 });
    // A backfilled result from before the current state changes nothing.
    await store.ingestBatch(agent.id, batch(3, [result(5, 1_500, Status.OK)]), 3);
    [state] = await store.listCheckStates('lab-1');
    expect(state).toMatchObject({ status: Status.CRITICAL, since: 2_000, resultId: 4 });
    // Out-of-order arrival inside a batch is sorted by check time.
    await store.ingestBatch(agent.id, batch(4, [result(7, 6_000, Status.OK), result(6, 5_000, Status.WARNING)]), 4);
    [state] = await store.listCheckStates('lab-1');
    expect(state).toMatchObject({ status: Status.OK, since: 6_000, resultId: 7 });
    // A replayed duplicate does not move state.
    await store.ingestBatch(agent.id, batch(5, [result(4, 4_000, Status.CRITICAL)]), 5);
    [state] = await store.listCheckStates('lab-1');
    expect(state).toMatchObject({ status: Status.OK, resultId: 7 });
  });

  it('accepts a token once, before it expires, for the name it is bound to', async () => {
    const key = generateKeyPair().publicKey;
    const bound = await issueToken(store, 60_000, 'lab-9', 1_000);
    expect(await store.enrollWithToken(hashToken(bound), 'lab-8', key, 2_000)).toBe('bad_token');
    expect(await store.enrollWithToken(hashToken(bound), 'lab-9', key, 2_000)).toBe('enrolled');
    expect(await store.enrollWithToken(hashToken(bound), 'lab-9', key, 3_000)).toBe('bad_token');
    const expiring = await issueToken(store, 1_000, null, 1_000);
    expect(await store.enrollWithToken(hashToken(expiring), 'lab-7', generateKeyPair().publicKey, 2_001)).toBe('bad_token');
  });

  it('lets a token holder take a name that a stranger only claimed as pending, never an active one', async () => {
    const stranger = generateKeyPair().publicKey;
    expect(await store.createPendingAgent('lab-2', stranger, 1_000, 10)).toBe('created');
    const real = generateKeyPair().publicKey;
    const token = await issueToken(store, 60_000, 'lab-2', 1_000);
    expect(await store.enrollWithToken(hashToken(token), 'lab-2', real, 2_000)).toBe('enrolled');
    const agent = await store.findAgentByName('lab-2');
    expect(Buffer.from(agent!.publicKey)).toEqual(Buffer.from(real));
    expect(agent!.status).toBe('active');
    const other = await issueToken(store, 60_000, null, 1_000);
    expect(await store.enrollWithToken(hashToken(other), 'lab-2', stranger, 3_000)).toBe('name_taken');
  });

  it('caps how many agents may wait for approval', async () => {
    for (let i = 0; i < 3; i++) expect(await store.createPendingAgent(`p${i}`, generateKeyPair().publicKey, 1, 3)).toBe('created');
    expect(await store.createPendingAgent('p3', generateKeyPair().publicKey, 1, 3)).toBe('limit');
  });

  it('stores gap records once and totals them per agent', async () => {
    const agent = await enrolled();
    const gap = { fromResultId: 3, toResultId: 9, count: 5, reason: 'cap', firstMs: 100, lastMs: 900, perCheck: { a: 3, b: 2 } };
    await store.ingestBatch(agent.id, batch(1, [result(1, 50, Status.OK)], [gap]), 1);
    await store.ingestBatch(agent.id, batch(2, [], [gap]), 2); // re-sent after a lost ack
    expect(await store.listGaps('lab-1')).toEqual([expect.objectContaining({ agent: 'lab-1', fromResultId: 3, toResultId: 9, count: 5, perCheck: { a: 3, b: 2 } })]);
    expect((await store.gapTotals()).get(agent.id)).toEqual({ gaps: 1, dropped: 5 });
  });
});
