import { generateKeyPair, Status, type OpenedBatch, type Result } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, issueToken } from './enrollment.js';
import { describeTimelineContract } from './store-contract-test-timeline.js';
import type { AgentReturnSummary, CollectorStore, StateEngineSettings } from './store.js';

/** Opens a fresh, empty store (its own file or database) with the given state settings. */
export type OpenStore = (settings?: StateEngineSettings) => Promise<CollectorStore>;

/** A result as an agent would send it. */
export function testResult(resultId: number, startedAtMs: number, status: Status, checkId = 'c1', message = `r${resultId}`, metrics: Record<string, number> = {}): Result {
  return {
    resultId, checkId, startedAtMs, durationUs: 5, status, observation: Status[status].toLowerCase(), message, metrics,
    transcript: new Uint8Array(0), checkConfigHash: 'h',
  } as unknown as Result;
}

/** A verified batch as the session hands it to the store. */
export function testBatch(batchSeq: number, results: Result[], gaps: unknown[] = []): OpenedBatch {
  return { agentKey: new Uint8Array(32), batchSeq, results, gaps, createdMs: 0, clockOffsetMs: 0 } as unknown as OpenedBatch;
}

/**
 * The behaviour every CollectorStore shows, whatever holds the rows: exactly-once ingest,
 * state by check time, enrollment, gaps, and the state engine's timeline. Each backend's
 * test file runs it against a real database.
 *
 * @example
 * describeStoreContract('SqliteStore', async (settings) => SqliteStore.open(join(freshDir(), 'collector.db'), settings));
 */
export function describeStoreContract(name: string, open: OpenStore, close: (store: CollectorStore) => Promise<void> = (s) => s.close()): void {
  describe(`${name}: store contract`, () => {
    let store: CollectorStore;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await close(store);
    });

    async function enrolled(agentName = 'lab-1') {
      const key = generateKeyPair().publicKey;
      const token = await issueToken(store, 60_000, null, 1_000);
      expect(await store.enrollWithToken(hashToken(token), agentName, key, 2_000)).toBe('enrolled');
      return (await store.findAgentByName(agentName))!;
    }

    it('stores each (agent, result_id) once and counts the rest as duplicates', async () => {
      const agent = await enrolled();
      expect(await store.ingestBatch(agent.id, testBatch(1, [testResult(1, 100, Status.OK), testResult(2, 200, Status.OK)]), 1)).toMatchObject({ stored: 2, duplicates: 0 });
      expect(await store.ingestBatch(agent.id, testBatch(2, [testResult(2, 200, Status.OK), testResult(3, 300, Status.OK)]), 2)).toMatchObject({ stored: 1, duplicates: 1 });
      const rows = await store.queryResults({ agent: 'lab-1', limit: 100 });
      expect(rows.map((r) => r.resultId)).toEqual([1, 2, 3]);
      expect(await store.findAgentByName('lab-1')).toMatchObject({ resultsStored: 3, duplicates: 1, maxResultId: 3, lastBatchSeq: 2 });
    });

    it('stores several batches in one call, each once, with one outcome per batch', async () => {
      const agent = await enrolled();
      const day = 86_400_000;
      // Results a day apart: on a store partitioned by time they land in different partitions.
      const outcomes = await store.ingestBatches(agent.id, [
        testBatch(1, [testResult(1, 10 * day, Status.OK), testResult(2, 11 * day, Status.OK)]),
        testBatch(2, [testResult(2, 11 * day, Status.OK), testResult(3, 12 * day + 5, Status.CRITICAL)]),
      ], 13 * day);
      expect(outcomes.map((o) => [o.stored, o.duplicates])).toEqual([[2, 0], [1, 1]]);
      expect(outcomes[1]!.events).toMatchObject([{ kind: 'check', from: Status.OK, to: Status.CRITICAL }]);
      const rows = await store.queryResults({ agent: 'lab-1', since: 11 * day, limit: 100 });
      expect(rows.map((r) => [r.resultId, r.startedAt, r.batchSeq, r.receivedAt])).toEqual([[2, 11 * day, 1, 13 * day], [3, 12 * day + 5, 2, 13 * day]]);
      const after = await store.queryResults({ agent: 'lab-1', after: { startedAt: 11 * day, agentId: agent.id, resultId: 2 }, limit: 100 });
      expect(after.map((r) => r.resultId)).toEqual([3]);
    });

    it('tracks state by check time: since marks the change even inside one batch, late history never overrides', async () => {
      const agent = await enrolled();
      await store.ingestBatch(agent.id, testBatch(1, [testResult(1, 1_000, Status.OK)]), 1);
      await store.ingestBatch(agent.id, testBatch(2, [testResult(2, 2_000, Status.CRITICAL), testResult(3, 3_000, Status.CRITICAL), testResult(4, 4_000, Status.CRITICAL)]), 2);
      let [state] = await store.listCheckStates('lab-1');
      expect(state).toMatchObject({ status: Status.CRITICAL, since: 2_000, startedAt: 4_000, resultId: 4 });
      // A backfilled result from before the current state changes nothing.
      await store.ingestBatch(agent.id, testBatch(3, [testResult(5, 1_500, Status.OK)]), 3);
      [state] = await store.listCheckStates('lab-1');
      expect(state).toMatchObject({ status: Status.CRITICAL, since: 2_000, resultId: 4 });
      // Out-of-order arrival inside a batch is sorted by check time.
      await store.ingestBatch(agent.id, testBatch(4, [testResult(7, 6_000, Status.OK), testResult(6, 5_000, Status.WARNING)]), 4);
      [state] = await store.listCheckStates('lab-1');
      expect(state).toMatchObject({ status: Status.OK, since: 6_000, resultId: 7 });
      // A replayed duplicate does not move state.
      await store.ingestBatch(agent.id, testBatch(5, [testResult(4, 4_000, Status.CRITICAL)]), 5);
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
      expect(await store.findAgentByKey(real)).toMatchObject({ name: 'lab-2' });
      const other = await issueToken(store, 60_000, null, 1_000);
      expect(await store.enrollWithToken(hashToken(other), 'lab-2', stranger, 3_000)).toBe('name_taken');
    });

    it('caps how many agents may wait for approval, and approves and revokes by name', async () => {
      for (let i = 0; i < 3; i++) expect(await store.createPendingAgent(`p${i}`, generateKeyPair().publicKey, 1, 3)).toBe('created');
      expect(await store.createPendingAgent('p3', generateKeyPair().publicKey, 1, 3)).toBe('limit');
      expect(await store.setAgentStatus('p1', 'active', 50)).toBe(true);
      expect(await store.setAgentStatus('nobody', 'active', 50)).toBe(false);
      expect((await store.listAgents()).map((a) => [a.name, a.status, a.approvedAt])).toEqual([['p0', 'pending', null], ['p1', 'active', 50], ['p2', 'pending', null]]);
    });

    it('records when a pending or revoked agent last knocked, and from where; an active one only by its Hello', async () => {
      const key = generateKeyPair().publicKey;
      expect(await store.createPendingAgent('p0', key, 1, 3)).toBe('created');
      await store.recordRefusedHello(key, '127.0.0.5', 40);
      expect(await store.findAgentByName('p0')).toMatchObject({ status: 'pending', lastSeenAt: null, lastRefusedAt: 40, remoteAddress: '127.0.0.5' });
      await store.setAgentStatus('p0', 'active', 50);
      await store.recordRefusedHello(key, '127.0.0.6', 60);
      expect(await store.findAgentByName('p0')).toMatchObject({ status: 'active', lastRefusedAt: 40, remoteAddress: '127.0.0.5' });
      await store.setAgentStatus('p0', 'revoked', 70);
      await store.recordRefusedHello(key, '127.0.0.7', 80);
      expect(await store.findAgentByName('p0')).toMatchObject({ status: 'revoked', lastRefusedAt: 80, remoteAddress: '127.0.0.7' });
    });

    it('rotates an agent key, keeping the old one as previous, and refuses a key another agent holds', async () => {
      const agent = await enrolled('lab-1');
      const other = await enrolled('lab-2');
      const fresh = generateKeyPair().publicKey;
      expect(await store.rotateAgentKey(agent.id, other.publicKey)).toBe('key_in_use');
      expect(await store.rotateAgentKey(agent.id, fresh)).toBe('rotated');
      expect(await store.findAgentByPreviousKey(agent.publicKey)).toMatchObject({ id: agent.id });
      expect(await store.findAgentByKey(fresh)).toMatchObject({ id: agent.id });
      expect(await store.rotateAgentKey(agent.id, fresh)).toBe('rotated');
    });

    it('records what Hello and heartbeats say about an agent', async () => {
      const agent = await enrolled();
      await store.recordHello(agent.id, {
        software: 'outpost-agent 0.1.0', configHash: 'abc', configVersion: 0, clockOffsetMs: -12, remoteAddress: '127.0.0.1', heartbeatIntervalMs: 500, at: 7_000,
      });
      await store.recordHeartbeat(agent.id, { backlog: 42, oldestUnsentMs: 6_500, dropped: 3, configHash: '', configVersion: 0, configError: '', at: 8_000 });
      expect(await store.findAgentByName('lab-1')).toMatchObject({
        software: 'outpost-agent 0.1.0', configHash: 'abc', configVersion: 0, clockOffsetMs: -12, remoteAddress: '127.0.0.1', heartbeatIntervalMs: 500,
        backlog: 42, oldestUnsentMs: 6_500, dropped: 3, lastSeenAt: 8_000, configError: null,
      });
      // A heartbeat that reports its config replaces what Hello said, error included.
      await store.recordHeartbeat(agent.id, { backlog: 0, oldestUnsentMs: 0, dropped: 3, configHash: 'def', configVersion: 2, configError: 'rolled back', at: 9_000 });
      expect(await store.findAgentByName('lab-1')).toMatchObject({ configHash: 'def', configVersion: 2, configError: 'rolled back', backlog: 0, lastSeenAt: 9_000 });
    });

    it('numbers pushed configs per agent and returns the latest, signed for its version', async () => {
      const agent = await enrolled();
      expect(await store.latestAgentConfig(agent.id)).toBeUndefined();
      const sign = (version: number) => new Uint8Array([version, 0xff]);
      expect(await store.putAgentConfig(agent.id, new Uint8Array([1, 2, 3]), sign, 10_000)).toBe(1);
      expect(await store.putAgentConfig(agent.id, new Uint8Array([4, 5]), sign, 11_000)).toBe(2);
      const latest = await store.latestAgentConfig(agent.id);
      expect(latest && { ...latest, config: [...latest.config], signature: [...latest.signature] }).toEqual({ version: 2, config: [4, 5], signature: [2, 0xff], createdAt: 11_000 });
    });

    it('stores gap records once and totals them per agent', async () => {
      const agent = await enrolled();
      const gap = { fromResultId: 3, toResultId: 9, count: 5, reason: 'cap', firstMs: 100, lastMs: 900, perCheck: { a: 3, b: 2 } };
      await store.ingestBatch(agent.id, testBatch(1, [testResult(1, 50, Status.OK)], [gap]), 1);
      await store.ingestBatch(agent.id, testBatch(2, [], [gap]), 2); // re-sent after a lost ack
      expect(await store.listGaps('lab-1')).toEqual([expect.objectContaining({ agent: 'lab-1', fromResultId: 3, toResultId: 9, count: 5, perCheck: { a: 3, b: 2 } })]);
      expect((await store.gapTotals()).get(agent.id)).toEqual({ gaps: 1, dropped: 5 });
    });

    it('keeps segmentation cells with a history of colour changes, and unexpected services once', async () => {
      expect(await store.putSegmentationCell({ from: 'a', to: 'db', colour: 'grey', evidence: '{}' }, 100)).toBeNull();
      expect(await store.putSegmentationCell({ from: 'a', to: 'db', colour: 'green', evidence: '{"n":1}' }, 200)).toBe('grey');
      expect(await store.putSegmentationCell({ from: 'a', to: 'db', colour: 'green', evidence: '{"n":2}' }, 300)).toBeUndefined();
      expect(await store.putSegmentationCell({ from: 'a', to: 'db', colour: 'red', evidence: '{"n":3}' }, 400)).toBe('green');
      expect(await store.listSegmentationCells()).toEqual([{ from: 'a', to: 'db', colour: 'red', since: 400, evaluatedAt: 400, evidence: '{"n":3}' }]);
      expect((await store.segmentationCellHistory('a', 'db', 10)).map((h) => [h.at, h.colour])).toEqual([[400, 'red'], [200, 'green'], [100, 'grey']]);
      expect(await store.segmentationCellHistory('b', 'db', 10)).toEqual([]);
      expect(await store.markUnexpectedService('192.0.2.7', 8081, 500)).toBe(true);
      expect(await store.markUnexpectedService('192.0.2.7', 8081, 600)).toBe(false);
      expect(await store.markUnexpectedService('192.0.2.7', 8082, 600)).toBe(true);
    });

    it('returns the transcript a stored result carried', async () => {
      const agent = await enrolled();
      const result = { ...testResult(1, 50, Status.CRITICAL), transcript: new TextEncoder().encode('{"type":"exposure"}') } as Result;
      await store.ingestBatch(agent.id, testBatch(1, [result, testResult(2, 60, Status.OK)]), 1);
      expect(Buffer.from((await store.resultTranscript(agent.id, 1))!).toString()).toBe('{"type":"exposure"}');
      expect(await store.resultTranscript(agent.id, 2)).toBeNull();
      expect(await store.resultTranscript(agent.id, 99)).toBeNull();
    });

    it('keeps a return until its summary is recorded once, counting results and backlog incidents since it came back', async () => {
      const agent = await enrolled();
      // Before the outage, on another check: an incident found in late history, not this return's.
      await store.ingestBatch(agent.id, testBatch(1, [testResult(1, 1_000, Status.OK, 'old'), testResult(3, 3_000, Status.OK, 'old')]), 4_000);
      await store.ingestBatch(agent.id, testBatch(2, [testResult(2, 2_000, Status.CRITICAL, 'old')]), 4_500);
      expect(await store.setAgentSilence(agent.id, 6_000)).toBe(true);
      const back = await store.beginAgentReturn(agent.id, 4_500, 10_000);
      expect(back).toEqual({ agentId: agent.id, agent: 'lab-1', silentSince: 6_000, lastHeardAt: 4_500, backAt: 10_000, resultsAtBack: 3 });
      expect((await store.findAgentByName('lab-1'))!.silentSince).toBeNull();
      expect(await store.beginAgentReturn(agent.id, 4_500, 10_001)).toBeUndefined();
      expect(await store.listAgentReturns()).toEqual([back]);
      expect(await store.listAgentReturns(agent.id)).toEqual([back]);
      expect(await store.listAgentReturns(agent.id + 1)).toEqual([]);
      // The backlog, newest first: a CRITICAL and a WARNING during the outage; a re-sent batch adds nothing.
      await store.ingestBatch(agent.id, testBatch(3, [testResult(9, 9_000, Status.OK)]), 11_000);
      const outage = [Status.OK, Status.CRITICAL, Status.OK, Status.WARNING, Status.OK].map((status, i) => testResult(4 + i, 4_000 + i * 1_000, status));
      await store.ingestBatch(agent.id, testBatch(4, outage), 12_000);
      await store.ingestBatch(agent.id, testBatch(4, outage), 12_500);
      const seen: AgentReturnSummary[] = [];
      const compose = (summary: AgentReturnSummary) => {
        seen.push(summary);
        return `lab-1 back: ${summary.results} results, ${summary.incidents} incidents`;
      };
      // Two finishing at once (a heartbeat and a timer, or two collectors): one summary.
      const finished = await Promise.all([store.finishAgentReturn(agent.id, 13_000, compose), store.finishAgentReturn(agent.id, 13_000, compose)]);
      expect(seen).toEqual([{ ...back, results: 6, incidents: 2 }]);
      const event = finished.find((e) => e !== undefined);
      expect(finished.filter((e) => e === undefined)).toHaveLength(1);
      expect(event).toMatchObject({ kind: 'summary', agent: 'lab-1', checkId: null, at: 13_000, to: null, message: 'lab-1 back: 6 results, 2 incidents' });
      expect(await store.queryEvents({ agent: 'lab-1', kind: 'summary', limit: 10 })).toEqual([event]);
      expect(await store.listAgentReturns()).toEqual([]);
      expect(await store.finishAgentReturn(agent.id, 14_000, compose)).toBeUndefined();
    });

    it('forgets a return when its agent goes silent again, and lists returns oldest first', async () => {
      const a = await enrolled('lab-1');
      const b = await enrolled('lab-2');
      for (const agent of [a, b]) expect(await store.setAgentSilence(agent.id, 1_000)).toBe(true);
      const backB = await store.beginAgentReturn(b.id, 900, 5_000);
      const backA = await store.beginAgentReturn(a.id, 800, 6_000);
      expect(await store.listAgentReturns()).toEqual([backB, backA]);
      expect(await store.setAgentSilence(b.id, 7_000)).toBe(true);
      expect(await store.listAgentReturns()).toEqual([backA]);
      expect(await store.finishAgentReturn(b.id, 8_000, () => 'never')).toBeUndefined();
      // Back once more: a new return, from that silence.
      expect(await store.beginAgentReturn(b.id, 6_900, 9_000)).toEqual({ agentId: b.id, agent: 'lab-2', silentSince: 7_000, lastHeardAt: 6_900, backAt: 9_000, resultsAtBack: 0 });
      expect((await store.listAgentReturns()).map((r) => [r.agent, r.backAt])).toEqual([['lab-1', 6_000], ['lab-2', 9_000]]);
      expect(await store.queryEvents({ kind: 'summary', limit: 10 })).toEqual([]);
    });
  });

  describeTimelineContract(name, open, close);
}
