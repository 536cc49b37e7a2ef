// Random "together vs apart" cases for the stores' group commit (sqlite-ingest.test.ts and
// pg-store.test.ts run the same seeds): one agent's batches whose results of 1-3 checks
// arrive out of timeline order, ingested once per batch and in calls of several batches.
import { generateKeyPair, Status, type OpenedBatch } from '@outpost/protocol';
import { expect } from 'vitest';
import { hashToken, issueToken } from './enrollment.js';
import { testBatch, testResult } from './store-contract-test-suite.js';
import type { CollectorStore, EventRecord, IngestOutcome } from './store.js';

const T0 = 1_800_000_000_000;
/** The collector's clock in every case: a few results are stamped past its allowance. */
export const GROUPED_NOW = T0 + 10_000_000;

/** A seeded generator (32-bit LCG), so a failing seed replays exactly. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
}

/**
 * One case: shuffled, neighbours swapped, or the newest first and then the backlog oldest
 * first (an agent back from an outage); some check times shared (the id orders them), some
 * results resent, a few from the future. `calls`: how a grouped run cuts the batches.
 */
export function shuffledCase(seed: number): { batches: OpenedBatch[]; calls: number[] } {
  const rnd = random(seed);
  const below = (n: number) => Math.floor(rnd() * n);
  const checks = 1 + below(3);
  // A second apart, changes tip flapping; minutes apart, each change is told.
  const stepMs = rnd() < 0.5 ? 1_000 : 200_000;
  const statuses = [Status.OK, Status.CRITICAL, Status.OK, Status.CRITICAL, Status.WARNING];
  const made = Array.from({ length: 12 + below(13) }, (_, i) => {
    const at = rnd() < 0.05 ? GROUPED_NOW + 3_600_000 : T0 + (i + below(3)) * stepMs;
    return testResult(i + 1, at, statuses[below(statuses.length)]!, `c${below(checks)}`);
  });
  const order = [...made];
  const swap = (i: number, j: number) => ([order[i], order[j]] = [order[j]!, order[i]!]);
  const mode = below(3);
  if (mode === 0) {
    for (let i = order.length - 1; i > 0; i--) swap(i, below(i + 1));
  } else if (mode === 1) {
    for (let k = 0; k < 3; k++) {
      const i = below(order.length - 1);
      swap(i, i + 1);
    }
  } else {
    order.push(...order.splice(0, 1 + below(order.length - 1)));
  }
  const cuts = new Set([0, order.length]);
  for (let k = 1 + below(3); k >= 0; k--) cuts.add(1 + below(order.length - 1));
  const bounds = [...cuts].sort((a, b) => a - b);
  const batches = bounds.slice(1).map((end, b) => {
    const results = order.slice(bounds[b], end);
    // A resend: a result this or an earlier batch carried already.
    if (rnd() < 0.3) results.push(order[below(end)]!);
    return testBatch(b + 1, results);
  });
  const calls: number[] = [];
  for (let left = batches.length; left > 0; ) {
    const size = rnd() < 0.5 ? left : 1 + below(left);
    calls.push(size);
    left -= size;
  }
  return { batches, calls };
}

const byTimeline = (x: { checkId: string | null; at: number; resultId: number | null; kind: string }, y: typeof x) =>
  String(x.checkId).localeCompare(String(y.checkId)) || x.at - y.at || (x.resultId ?? 0) - (y.resultId ?? 0) || x.kind.localeCompare(y.kind);

/**
 * What must not depend on how batches were grouped: the changes on each check's timeline
 * (not which recorded event kept its identity when late history moved one: see
 * sqlite-ingest.ts), the state rows and the stored results.
 */
async function timelineOf(store: CollectorStore, agent: string) {
  const events = (await store.queryEvents({ agent, limit: 1_000 }))
    .map(({ kind, checkId, at, resultId, from, to, message }) => ({ kind, checkId, at, resultId, from, to, message }))
    .sort(byTimeline);
  const states = await store.listCheckStates(agent);
  const results = (await store.queryResults({ agent, limit: 1_000 })).sort((x, y) => x.resultId - y.resultId);
  return { events, states, results };
}

/**
 * What the state engine pages for with the default rules: live changes, not suppressed.
 * (With notify_backfilled on, which backfilled changes are paged depends on how late
 * history was cut into commits, as it does on how the agent cut its batches.)
 */
function paged(outcomes: readonly IngestOutcome[]) {
  return outcomes
    .flatMap((o) => o.events.filter((e: EventRecord) => e.suppressed === null && !e.backfilled))
    .map((e) => ({ kind: e.kind, checkId: e.checkId, at: e.at, resultId: e.resultId, from: e.from, to: e.to }))
    .sort(byTimeline);
}

/**
 * Ingest `seeds` cases into `apart` one batch per call and into `together` in the case's
 * calls, and expect the same counts per batch, timelines, states, results and pages.
 * Returns how many grouped calls and backfilled events the cases held.
 */
export async function expectGroupedLikeApart(apart: CollectorStore, together: CollectorStore, seeds: number): Promise<{ grouped: number; backfilled: number }> {
  let grouped = 0;
  let backfilled = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const { batches, calls } = shuffledCase(seed);
    const agent = `lab-${seed}`;
    const ids = await Promise.all(
      [apart, together].map(async (store) => {
        const token = await issueToken(store, 60_000, null, 1_000);
        await store.enrollWithToken(hashToken(token), agent, generateKeyPair().publicKey, 2_000);
        return (await store.findAgentByName(agent))!.id;
      }),
    );
    const one: IngestOutcome[] = [];
    for (const batch of batches) one.push(...(await apart.ingestBatches(ids[0]!, [batch], GROUPED_NOW)));
    const many: IngestOutcome[] = [];
    let next = 0;
    for (const size of calls) {
      many.push(...(await together.ingestBatches(ids[1]!, batches.slice(next, next + size), GROUPED_NOW)));
      next += size;
      if (size > 1) grouped += 1;
    }
    const label = `seed ${seed}: ${JSON.stringify(batches.map((b) => b.results.map((r) => r.resultId)))} in calls ${calls}`;
    const counts = (outcomes: IngestOutcome[]) => outcomes.map((o) => [o.stored, o.duplicates, o.future ?? 0]);
    expect(counts(many), label).toEqual(counts(one));
    expect(paged(many), label).toEqual(paged(one));
    const expected = await timelineOf(apart, agent);
    expect(await timelineOf(together, agent), label).toEqual(expected);
    backfilled += (await apart.queryEvents({ agent, limit: 1_000 })).filter((e) => e.backfilled).length;
  }
  return { grouped, backfilled };
}
