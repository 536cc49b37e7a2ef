import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, Status } from '@outpost/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { Counters } from './counters.js';
import { hashToken, issueToken } from './enrollment.js';
import { IngestBudget, type Pausable } from './ingest-budget.js';
import { BatchCommits } from './session-commits.js';
import { SqliteStore } from './sqlite-store.js';
import { testBatch, testResult } from './store-contract-test-suite.js';

const root = mkdtempSync(join(tmpdir(), 'outpost-budget-'));
let opened = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = 1_800_000_000_000;

/** A source that records what the budget told it. */
class Source implements Pausable {
  readonly calls: string[] = [];
  pause(): void {
    this.calls.push('pause');
  }
  resume(): void {
    this.calls.push('resume');
  }
}

function batch(seq: number, firstId: number, count: number) {
  return testBatch(seq, Array.from({ length: count }, (_, i) => testResult(firstId + i, T0 + (firstId + i) * 1_000, Status.OK, `c${i % 5}`)));
}

async function storeWithAgent(): Promise<{ store: SqliteStore; agentId: number }> {
  const store = SqliteStore.open(join(root, `collector-${++opened}.db`));
  const token = await issueToken(store, 60_000, null, 1_000);
  await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000);
  return { store, agentId: (await store.findAgentByName('lab-1'))!.id };
}

describe('IngestBudget', () => {
  it('pauses the source that went past the maximum, once, and resumes every paused source at three quarters of it', () => {
    const counters = new Counters();
    const budget = new IngestBudget({ maxResults: 1_000, counters });
    const [a, b] = [new Source(), new Source()];
    const [ofA, ofB] = [budget.accountFor(a), budget.accountFor(b)];
    ofA.take(600);
    ofB.take(400);
    expect([a.calls, b.calls]).toEqual([[], []]); // exactly at the maximum: still read
    ofB.take(1);
    ofB.take(100);
    ofA.take(100);
    expect([a.calls, b.calls]).toEqual([['pause'], ['pause']]);
    expect(budget.paused).toBe(2);
    expect(counters.get('ingest.paused')).toBe(2);
    ofA.give(300); // 901 waiting: above 750
    expect([a.calls, b.calls]).toEqual([['pause'], ['pause']]);
    ofB.give(151); // 750 waiting
    expect([a.calls, b.calls]).toEqual([['pause', 'resume'], ['pause', 'resume']]);
    expect([budget.waiting, budget.paused]).toEqual([750, 0]);
  });
});

describe('BatchCommits with a budget', () => {
  it('gives a commit share back once it is stored, and pauses its session while batches pile up', async () => {
    const { store, agentId } = await storeWithAgent();
    const counters = new Counters();
    const budget = new IngestBudget({ maxResults: 15, counters });
    const session = new Source();
    const acked: number[] = [];
    const commits = new BatchCommits({
      store, counters, agentId, maxPending: 64, budget: budget.accountFor(session),
      ack: (b) => acked.push(b.batchSeq), committed: () => {}, failed: (err) => { throw err; }, isClosed: () => false,
    });
    try {
      commits.add(batch(1, 1, 10), undefined);
      expect(budget.waiting).toBe(10);
      commits.add(batch(2, 11, 10), undefined);
      expect([budget.waiting, session.calls]).toEqual([20, ['pause']]);
      await commits.settled();
      expect(acked).toEqual([1, 2]);
      expect([budget.waiting, session.calls]).toEqual([0, ['pause', 'resume']]);
    } finally {
      await store.close();
    }
  });

  it('gives the share back when the store fails, and when the session closes with batches waiting', async () => {
    const { store, agentId } = await storeWithAgent();
    const counters = new Counters();
    const budget = new IngestBudget({ maxResults: 1_000, counters });
    const failures: unknown[] = [];
    let closed = false;
    const options = {
      store, counters, agentId, maxPending: 64, budget: budget.accountFor(new Source()),
      ack: () => {}, committed: () => {}, failed: (err: unknown) => failures.push(err), isClosed: () => closed,
    };
    // A session that closed before its commit ran: nothing is stored, nothing stays charged.
    const closing = new BatchCommits(options);
    closing.add(batch(1, 1, 10), undefined);
    closing.add(batch(2, 11, 10), undefined);
    expect(budget.waiting).toBe(20);
    closed = true;
    await closing.settled();
    expect(budget.waiting).toBe(0);
    expect(await store.queryResults({ agent: 'lab-1', limit: 100 })).toEqual([]);
    // A store that fails under the commit (closed here): the failure is reported, the share returned.
    closed = false;
    await store.close();
    const failing = new BatchCommits(options);
    failing.add(batch(3, 21, 10), undefined);
    await failing.settled();
    expect(failures).toHaveLength(1);
    expect(budget.waiting).toBe(0);
  });
});
