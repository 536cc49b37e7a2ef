import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, Status, type OpenedBatch, type Result } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { listAgentViews, listCheckViews, listStaleCheckViews, staleAfterMs } from './state-views.js';

let dir: string;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-views-'));
  store = SqliteStore.open(join(dir, 'collector.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function agent(name: string): Promise<number> {
  await store.createPendingAgent(name, generateKeyPair().publicKey, 1, 10);
  await store.setAgentStatus(name, 'active', 2);
  return (await store.findAgentByName(name))!.id;
}

describe('agent views', () => {
  it('shows an agent behind a relay connected only while it is heard and active; a direct one while its session lives', async () => {
    const direct = await agent('direct');
    const relayed = await agent('deep');
    await store.recordRelayPath(relayed, ['deep', 'relay-1'], 3);
    // Both have a live route: a session of their own, or the relay session that carried them.
    const views = async () =>
      new Map((await listAgentViews({ store, connectedAgents: () => new Set([direct, relayed]), graceFor: () => 40_000, labelsFor: () => ({}) })).map((v) => [v.name, v.connected]));
    expect(await views()).toEqual(new Map([['direct', true], ['deep', true]]));
    // Silent: the relay session still stands, but nothing says the agent behind it does.
    await store.setAgentSilence(direct, 4);
    await store.setAgentSilence(relayed, 4);
    expect(await views()).toEqual(new Map([['direct', true], ['deep', false]]));
    await store.setAgentSilence(relayed, null);
    expect((await views()).get('deep')).toBe(true);
    await store.setAgentStatus('deep', 'revoked', 5);
    expect((await views()).get('deep')).toBe(false);
  });
});

describe('stale checks', () => {
  const MIN = 60_000;
  let agentId: number;
  let seq = 0;

  /** Results of `agent` (check, id, check time) that reach the collector at `receivedAt`. */
  async function report(receivedAt: number, results: [checkId: string, resultId: number, at: number][], agent = agentId) {
    seq += 1;
    const rows = results.map(([checkId, resultId, at]) => ({
      resultId, checkId, startedAtMs: at, durationUs: 5, status: Status.OK, observation: 'open', message: 'open', metrics: {}, transcript: new Uint8Array(0), checkConfigHash: 'h',
    }));
    const batch = { agentKey: new Uint8Array(32), batchSeq: seq, results: rows as unknown as Result[], gaps: [], createdMs: 0, clockOffsetMs: 0 } as unknown as OpenedBatch;
    await store.ingestBatch(agent, batch, receivedAt);
  }

  const heartbeat = (at: number, oldestUnsentMs = 0, agent = agentId) =>
    store.recordHeartbeat(agent, { backlog: oldestUnsentMs ? 1 : 0, oldestUnsentMs, dropped: 0, configHash: '', configVersion: 0, configError: '', at });
  const views = async () => new Map((await listCheckViews(store)).map((v) => [v.check, v]));
  // 'gone' last reported at 2 min (check time), arriving 1 s later; due again by this.
  const due = 2 * MIN + 1_000 + staleAfterMs(MIN);

  beforeEach(async () => {
    agentId = await agent('lab-1');
    // Two checks every minute, arriving a second after they ran; 'gone' then stops
    // reporting (removed from the agent's config). Two gaps make the interval known.
    for (let i = 0; i <= 2; i++) await report(i * MIN + 1_000, [['gone', 1 + 2 * i, i * MIN], ['runs', 2 + 2 * i, i * MIN]]);
  });

  it('turns a check UNKNOWN (stale) once its agent is heard past three intervals and 30 s with nothing from it; a result ends it', async () => {
    expect(staleAfterMs(MIN)).toBe(3 * MIN + 30_000);
    for (let at = 3 * MIN; at <= 6 * MIN; at += MIN) await report(at + 1_000, [['runs', 10 + at / MIN, at]]);
    await heartbeat(due);
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false, everyMs: MIN });
    await heartbeat(due + 1);
    expect((await views()).get('gone')).toMatchObject({
      status: 'UNKNOWN', reportedStatus: 'OK', stale: true, satelliteSilent: false, observation: 'stale', staleSince: new Date(due).toISOString(),
      staleSinceMs: due, message: 'no result since 1970-01-01T00:02:01.000Z, runs every 1 min; last result: open',
    });
    expect((await views()).get('runs')).toMatchObject({ status: 'OK', stale: false });
    expect((await listStaleCheckViews(store)).map((v) => v.check)).toEqual(['gone']);
    const [view] = await listAgentViews({ store, connectedAgents: () => new Set([agentId]), graceFor: () => 40_000, labelsFor: () => ({}) });
    expect(view!.checks).toEqual({ OK: 1, WARNING: 0, CRITICAL: 0, UNKNOWN: 1 });
    await report(7 * MIN + 1_000, [['gone', 30, 7 * MIN]]);
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false, staleSince: null });
    expect(await listStaleCheckViews(store)).toEqual([]);
  });

  it('is not stale before a heartbeat since the agent connected, nor before it had time to run on this connection, nor while a newer result may wait behind a backlog, nor while the satellite is silent', async () => {
    // Back after a long absence: its Hello says nothing of its backlog, so nothing is judged yet.
    const back = due + 10 * MIN;
    await store.recordHello(agentId, { software: 't', configHash: 'c', configVersion: 0, clockOffsetMs: 0, remoteAddress: '127.0.0.1', heartbeatIntervalMs: 10_000, at: back });
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false });
    // Its first heartbeat says nothing waits, but its checks had no time to run yet since it
    // came back: one interval and the slack.
    await heartbeat(back);
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false });
    await heartbeat(back + MIN + 30_000);
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false });
    // Later: the oldest result it has not delivered is older than when 'gone' was due (agent clock).
    const later = back + MIN + 30_001;
    const dueByAgentClock = 2 * MIN + staleAfterMs(MIN);
    await heartbeat(later, dueByAgentClock - 1);
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false });
    await heartbeat(later, dueByAgentClock + 1);
    expect((await views()).get('gone')).toMatchObject({ status: 'UNKNOWN', stale: true, staleSinceMs: back + MIN + 30_000 });
    // Silent: that says it all; the check is not called stale on top.
    await store.setAgentSilence(agentId, later + MIN);
    expect((await views()).get('gone')).toMatchObject({ status: 'UNKNOWN', stale: false, satelliteSilent: true, observation: 'satellite_silent' });
    expect(await listStaleCheckViews(store)).toEqual([]);
  });

  it('is not stale while a relay on its path holds batches it has not delivered', async () => {
    const relay = await agent('relay-1');
    await store.recordRelayPath(agentId, ['relay-1'], 1_000);
    await heartbeat(due + 1);
    expect((await views()).get('gone')).toMatchObject({ stale: true });
    await store.recordRelayHealth(relay, { agents: 1, backlog: 40 });
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false });
    expect(await listStaleCheckViews(store)).toEqual([]);
    await store.recordRelayHealth(relay, { agents: 1, backlog: 0 });
    expect((await views()).get('gone')).toMatchObject({ stale: true });
  });

  it('judges on the collector clock: an agent whose clock is 20 min behind (behind a relay, no offset measured) is not stale while it reports', async () => {
    const behind = await agent('behind-relay');
    for (let i = 0; i <= 3; i++) await report(20 * MIN + i * MIN, [['c', 1 + i, i * MIN]], behind);
    await heartbeat(23 * MIN + 30_000, 0, behind);
    expect((await listCheckViews(store, 'behind-relay'))[0]).toMatchObject({ status: 'OK', stale: false, everyMs: MIN });
    await heartbeat(23 * MIN + staleAfterMs(MIN) + 1, 0, behind);
    expect((await listCheckViews(store, 'behind-relay'))[0]).toMatchObject({ status: 'UNKNOWN', stale: true });
  });
});
