import type { OpenedBatch, Result } from '@outpost/protocol';
import type pg from 'pg';
import { LOCK_AGENT_NAMESPACE } from './pg-migrations.js';
import { insertResults, notAfter, runLength, type NewestByCheck } from './pg-result-rows.js';
import type { ResultPartitions } from './pg-partitions.js';
import type { PgTimeline } from './pg-timeline.js';
import { fromTheFuture, IMPORTED } from './state-timeline-plan.js';
import type { IngestOutcome } from './store.js';

/** PostgreSQL's error when a row fits no partition (another collector dropped it by retention). */
const NO_PARTITION = '23514';

/**
 * Ingest into PostgreSQL: every batch of one call in one transaction, serialised per agent
 * by an advisory lock so two collectors that briefly both hold a session of the same agent
 * (a failover while the old connection lingers) never interleave its timeline. Rows go in
 * with `INSERT … ON CONFLICT DO NOTHING`, one statement for all batches in timeline order:
 * what the server reports stored is what was new, and only that moves state. As in the
 * SQLite store, each check's timeline moves once per call, not once per batch (see
 * {@link ingestAll}). `PgStore` runs one agent's calls one at a time, in call order.
 */
export async function ingestBatchesPg(
  pool: pg.Pool,
  partitions: ResultPartitions,
  timeline: PgTimeline,
  agentId: number,
  batches: readonly OpenedBatch[],
  receivedAt: number,
  heard = true,
): Promise<IngestOutcome[]> {
  const times = batches.flatMap((b) => b.results.map((r) => r.startedAtMs));
  await partitions.ensure(times);
  try {
    return await inTransaction(pool, agentId, batches, receivedAt, timeline, heard);
  } catch (err: unknown) {
    if ((err as { code?: string }).code !== NO_PARTITION) throw err;
    partitions.forget();
    await partitions.ensure(times);
    return inTransaction(pool, agentId, batches, receivedAt, timeline, heard);
  }
}

async function inTransaction(pool: pg.Pool, agentId: number, batches: readonly OpenedBatch[], receivedAt: number, timeline: PgTimeline, heard: boolean): Promise<IngestOutcome[]> {
  const client = await pool.connect();
  try {
    // Round trips are what an ingest waits on (the event loop is busy with the next batches
    // when a reply comes), so the fixed statements travel together as simple queries: the
    // text holds integers only, checked by `sqlInt`, never client text.
    const replies = (await client.query(
      `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_AGENT_NAMESPACE}, ${sqlInt(agentId)}); SELECT name FROM agents WHERE id = ${sqlInt(agentId)}`,
    )) as unknown as pg.QueryResult<{ name: string }>[];
    const agent = replies[2]?.rows[0]?.name ?? String(agentId);
    const { outcomes, maxId, maxSeq } = await ingestAll(client, agentId, agent, batches, receivedAt, timeline, heard ? undefined : IMPORTED);
    const stored = outcomes.reduce((n, o) => n + o.stored, 0);
    const duplicates = outcomes.reduce((n, o) => n + o.duplicates, 0);
    await client.query(
      `UPDATE agents SET results_stored = results_stored + ${sqlInt(stored)}, duplicates = duplicates + ${sqlInt(duplicates)},
         last_batch_seq = greatest(last_batch_seq, ${sqlInt(maxSeq)}), max_result_id = greatest(max_result_id, ${sqlInt(maxId)}),
         last_seen_at = ${heard ? sqlInt(receivedAt) : 'last_seen_at'}
       WHERE id = ${sqlInt(agentId)}; COMMIT`,
    );
    return outcomes;
  } catch (err: unknown) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** An integer as SQL text; anything else is a bug upstream (protocol values are validated). */
function sqlInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`ingest: ${value} is not an integer`);
  return String(value);
}

/**
 * Store several batches of one agent and move their checks' timelines, inside the caller's
 * transaction. A check's results of several batches are applied together only when they
 * arrive in timeline order, which gives what applying them batch by batch gives (up to
 * which recorded change keeps its identity, see sqlite-ingest.ts); otherwise what waits is
 * applied before the batch that breaks the order is stored (the SQLite store's rule). Batches in timeline order go in with one INSERT; with 1000 checks and 4
 * batches per call the state rows are read and written once instead of 4 times.
 */
async function ingestAll(
  client: pg.ClientBase,
  agentId: number,
  agent: string,
  batches: readonly OpenedBatch[],
  receivedAt: number,
  timeline: PgTimeline,
  suppressAs: string | undefined,
): Promise<{ outcomes: IngestOutcome[]; maxId: number; maxSeq: number }> {
  const outcomes: IngestOutcome[] = [];
  const waiting = new Map<string, Result[]>();
  const newest: NewestByCheck = new Map();
  // Which batch a fresh result came in, so each outcome reports the events its results made.
  const batchOf = batches.length > 1 ? new Map<number, IngestOutcome>() : undefined;
  const apply = async (checkIds: Iterable<string>) => {
    const fresh = new Map<string, Result[]>();
    const lastId = new Map<string, number>();
    for (const checkId of checkIds) {
      fresh.set(checkId, waiting.get(checkId)!);
      lastId.set(checkId, newest.get(checkId)!.lastId);
    }
    for (const checkId of fresh.keys()) {
      waiting.delete(checkId);
      newest.delete(checkId);
    }
    if (fresh.size === 0) return;
    const change = await timeline.apply(client, agentId, agent, fresh, receivedAt, suppressAs);
    // A backfilled event may sit on a row stored earlier: it goes with the newest batch.
    const last = outcomes[outcomes.length - 1]!;
    for (const e of change.events) (batchOf?.get(e.resultId ?? 0) ?? last).events.push(e);
    for (const checkId of change.changedChecks) (batchOf?.get(lastId.get(checkId)!) ?? last).changedChecks.push(checkId);
  };
  let maxId = 0;
  let maxSeq = 0;
  for (let first = 0; first < batches.length; ) {
    if (waiting.size > 0) {
      const early = new Set<string>();
      for (const r of batches[first]!.results) {
        const n = newest.get(r.checkId);
        if (n && notAfter(r, n)) early.add(r.checkId);
      }
      await apply(early);
    }
    const run = batches.slice(first, first + runLength(batches, first, newest));
    const inserted = await insertResults(client, agentId, run, receivedAt);
    for (const batch of run) {
      const outcome: IngestOutcome = { stored: 0, duplicates: 0, events: [], changedChecks: [] };
      outcomes.push(outcome);
      // A result id that comes twice is stored once: the first claims it, the rest are duplicates.
      for (const r of batch.results) {
        if (r.resultId > maxId) maxId = r.resultId;
        if (!inserted.delete(r.resultId)) continue;
        outcome.stored += 1;
        if (fromTheFuture(r.startedAtMs, batch.clockOffsetMs, receivedAt)) {
          outcome.future = (outcome.future ?? 0) + 1;
          continue;
        }
        batchOf?.set(r.resultId, outcome);
        const list = waiting.get(r.checkId);
        if (list) list.push(r);
        else waiting.set(r.checkId, [r]);
        const n = newest.get(r.checkId);
        if (!n) newest.set(r.checkId, { lastAt: r.startedAtMs, lastId: r.resultId });
        else if (!notAfter(r, n)) {
          n.lastAt = r.startedAtMs;
          n.lastId = r.resultId;
        }
      }
      for (const g of batch.gaps) {
        await client.query(
          `INSERT INTO gaps (agent_id, from_result_id, to_result_id, count, reason, first_ms, last_ms, per_check, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
          [agentId, g.fromResultId, g.toResultId, g.count, g.reason, g.firstMs, g.lastMs, JSON.stringify(g.perCheck), receivedAt],
        );
      }
      outcome.duplicates = batch.results.length - outcome.stored;
      if (batch.batchSeq > maxSeq) maxSeq = batch.batchSeq;
    }
    first += run.length;
  }
  // State follows only rows stored now: a duplicate was applied when it first arrived.
  await apply([...waiting.keys()]);
  return { outcomes, maxId, maxSeq };
}
