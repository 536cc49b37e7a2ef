import { generateKeyPair, Status, statusName, type OpenedBatch, type Result } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, issueToken } from './enrollment.js';
import type { OpenStore } from './store-contract-test-suite.js';
import type { CollectorStore } from './store.js';

/**
 * The state engine's timeline on a real store: live changes, late history from a
 * newest-first backlog, flapping, event paging, agent silence. Part of the store contract.
 */
export function describeTimelineContract(name: string, open: OpenStore, close: (store: CollectorStore) => Promise<void>): void {
  let store: CollectorStore;
  let agentId: number;
  let seq = 0;

  function r(resultId: number, at: number, status: Status, checkId = 'web'): Result {
    return { resultId, checkId, startedAtMs: at, durationUs: 7, status, observation: statusName(status).toLowerCase(), message: `m${resultId}`, metrics: { rtt_ms: resultId }, transcript: new Uint8Array(0), checkConfigHash: 'h' } as unknown as Result;
  }

  async function ingest(...results: Result[]) {
    seq += 1;
    const batch = { agentKey: new Uint8Array(32), batchSeq: seq, results, gaps: [], createdMs: 0, clockOffsetMs: 0 } as unknown as OpenedBatch;
    return store.ingestBatch(agentId, batch, 1_000_000 + seq);
  }

  /** The check's recorded timeline, oldest first, as "at:FROM>TO[b]" strings (">TO" for the first). */
  async function timeline(checkId = 'web'): Promise<string[]> {
    const events = await store.queryEvents({ agent: 'lab-1', checkId, kind: 'check', limit: 1_000 });
    return events.reverse().map((e) => `${e.at}:${e.from === null ? '' : statusName(e.from)}>${statusName(e.to!)}${e.backfilled ? '[b]' : ''}`);
  }

  describe(`${name}: check timeline`, () => {
    beforeEach(async () => {
      store = await open({ flapChanges: 4, flapWindowMs: 60_000 });
      const token = await issueToken(store, 60_000, null, 1_000);
      await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000);
      agentId = (await store.findAgentByName('lab-1'))!.id;
      seq = 0;
    });
    afterEach(async () => {
      await close(store);
    });

    it('records live changes with the previous status and its duration, and marks since and last OK', async () => {
      await ingest(r(1, 1_000, Status.OK));
      await ingest(r(2, 2_000, Status.OK), r(3, 3_000, Status.CRITICAL));
      const outcome = await ingest(r(4, 9_000, Status.OK));
      expect(outcome.events).toMatchObject([{ kind: 'check', from: Status.CRITICAL, to: Status.OK, previousDurationMs: 6_000, backfilled: false, suppressed: null }]);
      expect(await timeline()).toEqual(['1000:>OK', '3000:OK>CRITICAL', '9000:CRITICAL>OK']);
      const [state] = await store.listCheckStates('lab-1');
      expect(state).toMatchObject({ status: Status.OK, since: 9_000, lastOk: 9_000, durationUs: 7, metrics: { rtt_ms: 4 }, flapping: false });
      const [latest] = await store.queryEvents({ agent: 'lab-1', limit: 1 });
      expect(latest).toMatchObject({ at: 9_000, previousDurationMs: 6_000, message: 'lab-1/web: CRITICAL -> OK: m4' });
    });

    it('rebuilds history from a newest-first backlog: an incident inside the outage becomes backfilled events', async () => {
      await ingest(r(1, 1_000, Status.OK));
      // The agent comes back: the newest result first (still OK), then the backlog oldest first.
      const live = await ingest(r(10, 10_000, Status.OK));
      expect(live.events).toEqual([]);
      const backlog = await ingest(r(2, 2_000, Status.OK), r(3, 3_000, Status.CRITICAL), r(4, 4_000, Status.CRITICAL), r(5, 5_000, Status.OK));
      expect(backlog.events.map((e) => [e.at, e.backfilled])).toEqual([[3_000, true], [5_000, true]]);
      expect(await timeline()).toEqual(['1000:>OK', '3000:OK>CRITICAL[b]', '5000:CRITICAL>OK[b]']);
      const [state] = await store.listCheckStates('lab-1');
      expect(state).toMatchObject({ status: Status.OK, since: 5_000, resultId: 10 });
    });

    it('learns how often a check runs from its last two gaps: one short (a restart) or long (an outage) gap does not mislead it for long', async () => {
      // Never from one gap: that one may be the short or the long kind.
      const every = async () => (await store.listCheckStates('lab-1'))[0]!.everyMs;
      const under = (hash: string, result: Result) => ({ ...result, checkConfigHash: hash }) as Result;
      await ingest(r(1, 1_000, Status.OK));
      expect(await every()).toBeNull();
      await ingest(r(2, 61_000, Status.OK));
      expect(await store.listCheckStates('lab-1')).toMatchObject([{ everyMs: null, gapMs: 60_000 }]);
      await ingest(r(3, 121_000, Status.OK));
      expect(await every()).toBe(60_000);
      // The agent restarted 5 s after a run and ran the check at once: still every minute.
      await ingest(r(4, 126_000, Status.OK));
      expect(await every()).toBe(60_000);
      await ingest(r(5, 186_000, Status.OK));
      expect(await every()).toBe(60_000);
      // Back after ten minutes away: the newest result first, then the backlog (history,
      // which moves no interval). The long gap counts until two gaps have passed it.
      await ingest(r(20, 786_000, Status.OK));
      await ingest(r(6, 246_000, Status.OK), r(7, 306_000, Status.CRITICAL));
      expect(await every()).toBe(600_000);
      await ingest(r(21, 846_000, Status.OK));
      expect(await every()).toBe(600_000);
      await ingest(r(22, 906_000, Status.OK));
      expect(await every()).toBe(60_000);
      // Reconfigured to every 2 min: unknown until two gaps under the new config.
      await ingest(under('h2', r(23, 966_000, Status.OK)));
      expect(await every()).toBeNull();
      await ingest(under('h2', r(24, 1_086_000, Status.OK)));
      expect(await every()).toBeNull();
      await ingest(under('h2', r(25, 1_206_000, Status.OK)));
      expect(await store.listCheckStates('lab-1')).toMatchObject([{ everyMs: 120_000, gapMs: 120_000, configHash: 'h2', resultId: 25, reportedAt: 1_000_000 + seq }]);
    });

    it('takes the interval the agent says with each result (interval_ms) from the first result on', async () => {
      const said = (ms: number, result: Result) => ({ ...result, intervalMs: ms }) as Result;
      await ingest(said(30_000, r(1, 1_000, Status.OK)));
      expect(await store.listCheckStates('lab-1')).toMatchObject([{ everyMs: 30_000, gapMs: null }]);
      // Restarted 2 s after a run: what it says stands, not the gap.
      await ingest(said(30_000, r(2, 3_000, Status.OK)));
      expect(await store.listCheckStates('lab-1')).toMatchObject([{ everyMs: 30_000, gapMs: 2_000 }]);
      await ingest(said(3_600_000, ({ ...r(3, 33_000, Status.OK), checkConfigHash: 'h2' }) as Result));
      expect(await store.listCheckStates('lab-1')).toMatchObject([{ everyMs: 3_600_000 }]);
    });

    it('lists the checks overdue by their interval against when their agent was last heard (the stale sweep)', async () => {
      const said = (ms: number, result: Result) => ({ ...result, intervalMs: ms }) as Result;
      await ingest(said(10_000, r(1, 1_000, Status.OK)), said(60_000, r(2, 1_000, Status.OK, 'other')));
      const arrived = 1_000_000 + seq;
      const heard = (at: number) => store.recordHeartbeat(agentId, { backlog: 0, oldestUnsentMs: 0, dropped: 0, configHash: '', configVersion: 0, configError: '', at });
      await heard(arrived + 3 * 10_000 + 30_000);
      expect(await store.listOverdueChecks(3, 30_000)).toEqual([]);
      await heard(arrived + 3 * 10_000 + 30_001);
      expect((await store.listOverdueChecks(3, 30_000)).map((s) => [s.checkId, s.everyMs, s.reportedAt])).toEqual([['web', 10_000, arrived]]);
      // Only the newest result it was judged on: one that came meanwhile keeps the check.
      expect(await store.forgetCheck(agentId, 'web', 999)).toBe(false);
      expect(await store.forgetCheck(agentId, 'web', 1)).toBe(true);
      expect(await store.listOverdueChecks(3, 30_000)).toEqual([]);
    });

    it('forgets a check: its state goes, its results and events stay, and a later result makes it anew', async () => {
      await ingest(r(1, 1_000, Status.OK), r(2, 2_000, Status.CRITICAL), r(3, 1_000, Status.OK, 'other'));
      expect(await store.forgetCheck(agentId, 'web')).toBe(true);
      expect(await store.forgetCheck(agentId, 'web')).toBe(false);
      expect((await store.listCheckStates('lab-1')).map((s) => s.checkId)).toEqual(['other']);
      expect(await timeline()).toEqual(['1000:>OK', '2000:OK>CRITICAL']);
      expect((await store.queryResults({ agent: 'lab-1', checkId: 'web', limit: 10 })).map((x) => x.resultId)).toEqual([1, 2]);
      const back = await ingest(r(4, 3_000, Status.CRITICAL));
      expect(back.events).toMatchObject([{ from: null, to: Status.CRITICAL, suppressed: null }]);
      expect(await store.listCheckStates('lab-1', 'web')).toMatchObject([{ status: Status.CRITICAL, since: 3_000, everyMs: null }]);
    });

    it('moves an ongoing incident to where it really began, keeping its identity (it was notified live)', async () => {
      await ingest(r(1, 1_000, Status.OK));
      const live = await ingest(r(10, 10_000, Status.CRITICAL));
      expect(live.events).toMatchObject([{ at: 10_000, from: Status.OK, to: Status.CRITICAL, backfilled: false }]);
      const id = live.events[0]!.id;
      // History shows the problem began at 4 s: the same event moves there; nothing new to notify.
      const late = await ingest(r(2, 2_000, Status.OK), r(3, 4_000, Status.CRITICAL), r(4, 6_000, Status.CRITICAL));
      expect(late.events).toEqual([]);
      const [event] = await store.queryEvents({ agent: 'lab-1', kind: 'check', since: 2_000, limit: 10 });
      expect(event).toMatchObject({ id, at: 4_000, resultId: 3, backfilled: false });
      const [state] = await store.listCheckStates('lab-1');
      expect(state).toMatchObject({ status: Status.CRITICAL, since: 4_000 });
    });

    it('handles history arriving before the first result it has seen, and in several pieces', async () => {
      await ingest(r(20, 20_000, Status.CRITICAL));
      await ingest(r(11, 11_000, Status.OK), r(12, 12_000, Status.OK));
      await ingest(r(13, 13_000, Status.CRITICAL), r(14, 14_000, Status.OK));
      await ingest(r(15, 15_000, Status.OK), r(16, 16_000, Status.CRITICAL));
      expect(await timeline()).toEqual(['11000:>OK[b]', '13000:OK>CRITICAL[b]', '14000:CRITICAL>OK[b]', '16000:OK>CRITICAL']);
      const [state] = await store.listCheckStates('lab-1');
      expect(state).toMatchObject({ status: Status.CRITICAL, since: 16_000, lastOk: 15_000 });
    });

    it('gives the same timeline whatever order the same results arrive in', async () => {
      const all = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => r(i, i * 1_000, [Status.OK, Status.OK, Status.WARNING, Status.CRITICAL, Status.OK, Status.OK, Status.CRITICAL, Status.OK][i - 1]!));
      for (const result of all) await ingest(result);
      const inOrder = (await timeline()).map((t) => t.replace('[b]', ''));
      await close(store);
      store = await open({ flapChanges: 100, flapWindowMs: 60_000 });
      const token = await issueToken(store, 60_000, null, 1_000);
      await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000);
      agentId = (await store.findAgentByName('lab-1'))!.id;
      // Newest first, then the rest in two out-of-order pieces.
      await ingest(all[7]!);
      await ingest(all[4]!, all[0]!, all[2]!);
      await ingest(all[6]!, all[1]!, all[3]!, all[5]!);
      expect((await timeline()).map((t) => t.replace('[b]', ''))).toEqual(inOrder);
    });

    it('marks a check flapping past the threshold, suppresses its changes, and ends it', async () => {
      const statuses = [Status.OK, Status.CRITICAL, Status.OK, Status.CRITICAL, Status.OK, Status.CRITICAL];
      const outcomes = [];
      for (let i = 0; i < statuses.length; i++) outcomes.push(await ingest(r(i + 1, (i + 1) * 1_000, statuses[i]!)));
      const events = outcomes.flatMap((o) => o.events);
      expect(events.filter((e) => e.kind === 'flapping_start')).toHaveLength(1);
      // The first result is no change; the fourth change tips it; it and every later change are suppressed.
      expect(events.filter((e) => e.kind === 'check').map((e) => e.suppressed)).toEqual(['initial', null, null, null, 'flapping', 'flapping']);
      expect((await store.listCheckStates('lab-1'))[0]).toMatchObject({ flapping: true });
      const flapping = await store.listFlapping(0);
      expect(flapping).toMatchObject([{ agent: 'lab-1', checkId: 'web', changes: 5 }]);
      const end = await store.endFlapping(agentId, 'web', 100_000, 'lab-1/web: stopped flapping');
      expect(end).toMatchObject({ kind: 'flapping_stop', to: Status.CRITICAL });
      expect(await store.endFlapping(agentId, 'web', 100_001, 'again')).toBeUndefined();
      expect((await store.listCheckStates('lab-1'))[0]).toMatchObject({ flapping: false });
    });

    it('records imported changes as not notified ("imported"), and a flapping stop as its start was', async () => {
      const statuses = [Status.OK, Status.CRITICAL, Status.OK, Status.CRITICAL, Status.OK, Status.CRITICAL];
      const events = [];
      for (let i = 0; i < statuses.length; i++) {
        seq += 1;
        const batch = { agentKey: new Uint8Array(32), batchSeq: seq, results: [r(i + 1, (i + 1) * 1_000, statuses[i]!)], gaps: [], createdMs: 0, clockOffsetMs: 0 } as unknown as OpenedBatch;
        events.push(...(await store.ingestBatches(agentId, [batch], 1_000_000 + seq, { heard: false }))[0]!.events);
      }
      // An air-gap import: nothing of it is told live, and the events say why.
      expect(events.map((e) => [e.kind, e.suppressed])).toEqual([
        ['check', 'initial'], ['check', 'imported'], ['check', 'imported'], ['check', 'imported'],
        ['check', 'flapping'], ['flapping_start', 'imported'], ['check', 'flapping'],
      ]);
      expect(await store.endFlapping(agentId, 'web', 100_000, 'lab-1/web: stopped flapping')).toMatchObject({ kind: 'flapping_stop', suppressed: 'imported' });
      // Live again: a new flapping start is told, and so is its stop.
      for (let i = 0; i < statuses.length; i++) await ingest(r(10 + i, (10 + i) * 1_000, statuses[(i + 1) % 2]!));
      expect(await store.endFlapping(agentId, 'web', 200_000, 'lab-1/web: stopped flapping')).toMatchObject({ kind: 'flapping_stop', suppressed: null });
    });

    it('pages events newest first with a position cursor', async () => {
      for (let i = 1; i <= 5; i++) await ingest(r(i, i * 1_000, i % 2 ? Status.OK : Status.WARNING));
      // Four changes also start flapping at 5 s: two events share that millisecond.
      const first = await store.queryEvents({ agent: 'lab-1', limit: 1 });
      const rest = await store.queryEvents({ agent: 'lab-1', limit: 10, before: { at: first[0]!.at, id: first[0]!.id } });
      expect([...first, ...rest].map((e) => `${e.at}:${e.kind}`)).toEqual([
        '5000:flapping_start', '5000:check', '4000:check', '3000:check', '2000:check', '1000:check',
      ]);
    });

    it('records agent silence once and its end once', async () => {
      expect(await store.setAgentSilence(agentId, 5_000)).toBe(true);
      expect(await store.setAgentSilence(agentId, 6_000)).toBe(false);
      expect((await store.findAgentByName('lab-1'))!.silentSince).toBe(5_000);
      expect(await store.setAgentSilence(agentId, null)).toBe(true);
      expect(await store.setAgentSilence(agentId, null)).toBe(false);
      const event = await store.appendAgentEvent(agentId, 'agent_silent', 7_000, 'lab-1: satellite silent', Status.UNKNOWN);
      expect(event).toMatchObject({ kind: 'agent_silent', agent: 'lab-1', checkId: null, to: Status.UNKNOWN, previousDurationMs: null });
    });
  });
}
