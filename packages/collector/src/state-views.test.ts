import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, Status, type OpenedBatch, type Result } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { listAgentViews, listCheckViews, staleAfterMs } from './state-views.js';

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

  async function report(...results: [checkId: string, resultId: number, at: number][]) {
    seq += 1;
    const rows = results.map(([checkId, resultId, at]) => ({
      resultId, checkId, startedAtMs: at, durationUs: 5, status: Status.OK, observation: 'open', message: 'open', metrics: {}, transcript: new Uint8Array(0), checkConfigHash: 'h',
    }));
    await store.ingestBatch(agentId, { agentKey: new Uint8Array(32), batchSeq: seq, results: rows as unknown as Result[], gaps: [], createdMs: 0, clockOffsetMs: 0 } as unknown as OpenedBatch, 1);
  }

  const heartbeat = (at: number, oldestUnsentMs = 0) =>
    store.recordHeartbeat(agentId, { backlog: oldestUnsentMs ? 1 : 0, oldestUnsentMs, dropped: 0, configHash: '', configVersion: 0, configError: '', at });
  const views = async () => new Map((await listCheckViews(store)).map((v) => [v.check, v]));

  beforeEach(async () => {
    agentId = await agent('lab-1');
    // Two checks every minute; 'gone' then stops reporting (removed from the agent's config).
    await report(['gone', 1, 0], ['runs', 2, 0]);
    await report(['gone', 3, MIN], ['runs', 4, MIN]);
  });

  it('turns a check UNKNOWN (stale) once its agent reports past three intervals and 30 s with nothing from it; a result ends it', async () => {
    const due = MIN + staleAfterMs(MIN);
    expect(due).toBe(MIN + 3 * MIN + 30_000);
    for (let at = 2 * MIN; at <= 5 * MIN; at += MIN) await report(['runs', 10 + at / MIN, at]);
    await heartbeat(due);
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false, everyMs: MIN });
    await heartbeat(due + 1);
    expect((await views()).get('gone')).toMatchObject({
      status: 'UNKNOWN', reportedStatus: 'OK', stale: true, satelliteSilent: false, observation: 'stale', staleSince: new Date(due).toISOString(),
      message: 'no result since 1970-01-01T00:01:00.000Z, runs every 1 min; last result: open',
    });
    expect((await views()).get('runs')).toMatchObject({ status: 'OK', stale: false });
    const [view] = await listAgentViews({ store, connectedAgents: () => new Set([agentId]), graceFor: () => 40_000, labelsFor: () => ({}) });
    expect(view!.checks).toEqual({ OK: 1, WARNING: 0, CRITICAL: 0, UNKNOWN: 1 });
    await report(['gone', 30, 6 * MIN]);
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false, staleSince: null });
  });

  it('is not stale while a newer result may wait behind a backlog, while the satellite is silent, or by a clock that runs behind', async () => {
    const due = MIN + staleAfterMs(MIN);
    // The agent's oldest unsent result is older than the moment the check was due.
    await heartbeat(due + 10 * MIN, due - 1);
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false });
    await heartbeat(due + 10 * MIN, due + 1);
    expect((await views()).get('gone')).toMatchObject({ status: 'UNKNOWN', stale: true });
    // Silent: that says it all; the check is not called stale on top.
    await store.setAgentSilence(agentId, due + 11 * MIN);
    expect((await views()).get('gone')).toMatchObject({ status: 'UNKNOWN', stale: false, satelliteSilent: true, observation: 'satellite_silent' });
    await store.setAgentSilence(agentId, null);
    // Its clock is 20 min behind the collector's: by its own clock the check is not yet late.
    await store.recordHello(agentId, { software: 't', configHash: 'c', configVersion: 0, clockOffsetMs: 20 * MIN, remoteAddress: '127.0.0.1', heartbeatIntervalMs: 10_000, at: due + 10 * MIN });
    expect((await views()).get('gone')).toMatchObject({ status: 'OK', stale: false });
  });
});
