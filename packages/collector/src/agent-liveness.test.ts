import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, Status } from '@outpost/protocol';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentLiveness, type AgentLivenessOptions } from './agent-liveness.js';
import { Counters } from './counters.js';
import { hashToken, issueToken } from './enrollment.js';
import { SqliteStore } from './sqlite-store.js';
import { testBatch, testResult } from './store-contract-test-suite.js';
import type { EventRecord } from './store.js';

// The return summary across restarts: each AgentLiveness is one collector process (or one
// run of it) on a real SQLite file; stopping one and making another on the same file is a
// restart. The clock is injected; the summary timers are real, so the delays are short.

const root = mkdtempSync(join(tmpdir(), 'outpost-liveness-'));
let opened = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = 1_800_000_000_000;
const SUMMARY_AFTER_MS = 60_000;

let store: SqliteStore;
let clock: number;
let agentId: number;
const running: AgentLiveness[] = [];

/** One collector process: what it notified, in order. */
function collector(summaryAfterMs = SUMMARY_AFTER_MS, extra: Partial<AgentLivenessOptions> = {}) {
  const notified: EventRecord[] = [];
  const liveness = new AgentLiveness({
    store,
    logger: pino({ level: 'silent' }),
    counters: new Counters(),
    now: () => clock,
    summaryAfterMs: () => summaryAfterMs,
    graceFor: () => 10_000,
    judgedFrom: () => 0,
    notify: (events) => notified.push(...events),
    publishEvent: () => {},
    publishAgent: () => {},
    publishChecks: async () => {},
    failed: (what, err) => {
      throw new Error(`${what}: ${String(err)}`);
    },
    ...extra,
  });
  running.push(liveness);
  return { liveness, notified, kinds: () => notified.map((e) => e.kind) };
}

const agent = async () => (await store.findAgentByName('lab-1'))!;
const summaries = () => store.queryEvents({ agent: 'lab-1', kind: 'summary', limit: 10 });

/** Poll until `probe` holds (a due timer fires on the next turn of the loop, or a little later). */
async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never: ${what}`);
}

/** lab-1 heard at T0, silent after its grace, back at T0 + 2 h with 40 results stored before. */
async function silentThenBack(c: ReturnType<typeof collector>): Promise<void> {
  await store.ingestBatch(agentId, testBatch(1, Array.from({ length: 40 }, (_, i) => testResult(i + 1, T0 - 40_000 + i * 1_000, Status.OK))), T0);
  await store.recordHeartbeat(agentId, { backlog: 0, oldestUnsentMs: 0, dropped: 0, configHash: '', configVersion: 0, configError: '', at: T0 });
  clock = T0 + 20_000;
  await c.liveness.sweep();
  clock = T0 + 2 * 3_600_000;
  await c.liveness.connected(await agent());
}

/** Outage history, one result a second from `fromMs`: the 11th to 20th CRITICAL (one incident), the rest OK. */
async function history(n: number, firstId: number, fromMs: number, seq: number): Promise<void> {
  const results = Array.from({ length: n }, (_, i) => testResult(firstId + i, fromMs + i * 1_000, i >= 10 && i < 20 ? Status.CRITICAL : Status.OK));
  await store.ingestBatch(agentId, testBatch(seq, results), clock);
}

/** The backlog as an agent sends it: its newest result first, then the outage before it. `n` results, one incident. */
async function backlog(n: number): Promise<void> {
  await store.ingestBatch(agentId, testBatch(2, [testResult(1_000, clock - 1_000, Status.OK)]), clock);
  await history(n - 1, 101, T0 + 3_600_000, 3);
}

beforeEach(async () => {
  store = SqliteStore.open(join(root, `collector-${++opened}.db`));
  const token = await issueToken(store, 60_000, null, 1_000);
  await store.enrollWithToken(hashToken(token), 'lab-1', generateKeyPair().publicKey, 2_000);
  agentId = (await agent()).id;
  clock = T0;
});

afterEach(async () => {
  for (const liveness of running.splice(0)) liveness.stop();
  await store.close();
});

describe('return summary across collector restarts', () => {
  it('sends the summary after a restart when the backlog drains, counting what both runs stored, once', async () => {
    const first = collector();
    await silentThenBack(first);
    expect(first.kinds()).toEqual(['agent_silent', 'agent_back']);
    await backlog(30);
    first.liveness.stop();

    const second = collector();
    await second.liveness.resume();
    // More of the outage, older still: 50 results, another incident.
    await history(50, 201, T0 + 1_000_000, 4);
    clock += 5_000;
    await second.liveness.heartbeat(agentId, 12);
    expect(second.notified).toEqual([]);
    await second.liveness.heartbeat(agentId, 0);
    expect(second.notified.map((e) => e.message)).toEqual(['lab-1 back after 2 h: 80 results, 2 incidents during outage']);
    await second.liveness.heartbeat(agentId, 0);
    expect(await summaries()).toHaveLength(1);
    expect(await store.listAgentReturns()).toEqual([]);
    // A third run finds nothing left to send.
    second.liveness.stop();
    const third = collector(1);
    await third.liveness.resume();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(third.notified).toEqual([]);
    expect(await summaries()).toHaveLength(1);
  });

  it('sends it at once on a start after the summary delay ran out, marked as still draining', async () => {
    const first = collector();
    await silentThenBack(first);
    await backlog(30);
    first.liveness.stop();
    clock += SUMMARY_AFTER_MS + 1;
    const second = collector();
    await second.liveness.resume();
    await until('the summary', async () => second.notified.length > 0);
    expect(second.notified.map((e) => [e.kind, e.message])).toEqual([['summary', 'lab-1 back after 2 h: 30 results, 1 incident during outage (backlog still draining)']]);
    // The heartbeat that reports the drained backlog afterwards sends nothing more.
    await second.liveness.heartbeat(agentId, 0);
    expect(await summaries()).toHaveLength(1);
  });

  it('waits for the rest of the summary delay only, not a fresh one', async () => {
    const first = collector();
    await silentThenBack(first);
    first.liveness.stop();
    // 100 ms of a 60 s delay are left when the next run starts.
    clock += SUMMARY_AFTER_MS - 100;
    const second = collector();
    await second.liveness.resume();
    await until('the summary', async () => second.notified.length > 0);
    expect(second.notified[0]!.message).toBe('lab-1 back after 2 h: 0 results, 0 incidents during outage (backlog still draining)');
  });

  it('completes a return on the collector the agent reconnects to, and a second collector waiting on it sends nothing', async () => {
    const first = collector();
    await silentThenBack(first);
    await backlog(20);
    first.liveness.stop();
    // The leader waits on every pending return; the agent reconnects to another collector.
    // Its timer fires well after the other collector is done (a stalled machine must not
    // let it go first), and must then find nothing left to send.
    const leader = collector(3_000);
    await leader.liveness.resume();
    const other = collector();
    await other.liveness.connected(await agent());
    expect(other.notified).toEqual([]);
    await other.liveness.heartbeat(agentId, 0);
    expect(other.notified.map((e) => e.message)).toEqual(['lab-1 back after 2 h: 20 results, 1 incident during outage']);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(leader.notified).toEqual([]);
    expect(await summaries()).toHaveLength(1);
  });

  it('does not let the timer of a return that ended in silence finish the next return early', async () => {
    const first = collector();
    await silentThenBack(first);
    first.liveness.stop();
    // Another collector waits on that return, due in 1 s by the clock...
    clock += SUMMARY_AFTER_MS - 1_000;
    const other = collector();
    await other.liveness.resume();
    // ...but the leader's sweep finds the agent silent again, and it comes back to the other one.
    const leader = collector();
    await leader.liveness.sweep();
    clock += 1;
    await other.liveness.connected(await agent());
    const [second] = await store.listAgentReturns(agentId);
    expect(second?.backAt).toBe(clock);
    // The first return's timer has fired by now: it must leave the second one waiting.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await summaries()).toEqual([]);
    expect(await store.listAgentReturns(agentId)).toEqual([second]);
  });

  it('tries the summary again when the store failed to record it, and sends it once', async () => {
    const first = collector();
    await silentThenBack(first);
    await backlog(20);
    first.liveness.stop();
    const failures: string[] = [];
    const real = store.finishAgentReturn.bind(store);
    let calls = 0;
    store.finishAgentReturn = async (...args) => {
      if ((calls += 1) === 1) throw new Error('database is locked');
      return real(...args);
    };
    const other = collector(SUMMARY_AFTER_MS, { retryMs: 50, failed: (what, err) => void failures.push(`${what}: ${String(err)}`) });
    await other.liveness.connected(await agent());
    await expect(other.liveness.heartbeat(agentId, 0)).rejects.toThrow('database is locked');
    expect(await store.listAgentReturns(agentId)).toHaveLength(1);
    await until('the summary', async () => other.notified.length > 0);
    expect(other.notified.map((e) => e.message)).toEqual(['lab-1 back after 2 h: 20 results, 1 incident during outage (backlog still draining)']);
    expect(await summaries()).toHaveLength(1);
    expect(calls).toBe(2);
    expect(failures).toEqual([]);
  });

  it('forgets the return when the agent goes silent again before its backlog drained', async () => {
    const first = collector();
    await silentThenBack(first);
    first.liveness.stop();
    const second = collector(100);
    await second.liveness.resume();
    clock += 20_000;
    await second.liveness.sweep();
    expect(second.kinds()).toEqual(['agent_silent']);
    expect(await store.listAgentReturns()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await second.liveness.heartbeat(agentId, 0);
    expect(await summaries()).toEqual([]);
  });
});
