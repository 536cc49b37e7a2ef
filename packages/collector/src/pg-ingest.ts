import type { OpenedBatch, Result } from '@outpost/protocol';
import type pg from 'pg';
import { LOCK_AGENT_NAMESPACE } from './pg-migrations.js';
import type { ResultPartitions } from './pg-partitions.js';
import type { PgTimeline } from './pg-timeline.js';
import type { IngestOutcome } from './store.js';

/** PostgreSQL's error when a row fits no partition (another collector dropped it by retention). */
const NO_PARTITION = '23514';

/**
 * Ingest into PostgreSQL: every batch of one call in one transaction, serialised per agent
 * by an advisory lock so two collectors that briefly both hold a session of the same agent
 * (a failover while the old connection lingers) never interleave its timeline. Rows go in
 * with one `INSERT … ON CONFLICT DO NOTHING … RETURNING` per batch: what comes back is what
 * was new, and only that moves state.
 */
export async function ingestBatchesPg(
  pool: pg.Pool,
  partitions: ResultPartitions,
  timeline: PgTimeline,
  agentId: number,
  batches: readonly OpenedBatch[],
  receivedAt: number,
): Promise<IngestOutcome[]> {
  const times = batches.flatMap((b) => b.results.map((r) => r.startedAtMs));
  await partitions.ensure(times);
  try {
    return await inTransaction(pool, agentId, batches, receivedAt, timeline);
  } catch (err: unknown) {
    if ((err as { code?: string }).code !== NO_PARTITION) throw err;
    partitions.forget();
    await partitions.ensure(times);
    return inTransaction(pool, agentId, batches, receivedAt, timeline);
  }
}

async function inTransaction(pool: pg.Pool, agentId: number, batches: readonly OpenedBatch[], receivedAt: number, timeline: PgTimeline): Promise<IngestOutcome[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_AGENT_NAMESPACE, agentId]);
    const { rows } = await client.query<{ name: string }>('SELECT name FROM agents WHERE id = $1', [agentId]);
    const agent = rows[0]?.name ?? String(agentId);
    const outcomes: IngestOutcome[] = [];
    for (const batch of batches) outcomes.push(await ingestOne(client, agentId, agent, batch, receivedAt, timeline));
    await client.query('COMMIT');
    return outcomes;
  } catch (err: unknown) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function ingestOne(client: pg.ClientBase, agentId: number, agent: string, batch: OpenedBatch, receivedAt: number, timeline: PgTimeline): Promise<IngestOutcome> {
  const results = batch.results;
  let maxId = 0;
  for (const r of results) if (r.resultId > maxId) maxId = r.resultId;
  const inserted = new Set<number>();
  if (results.length > 0) {
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO results (agent_id, result_id, check_id, started_at, duration_us, status, observation, message, metrics, transcript, config_hash, batch_seq, received_at)
       SELECT $1, u.*, $12, $13 FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::smallint[], $7::text[], $8::text[], $9::text[], $10::bytea[], $11::text[]) AS u
       ON CONFLICT DO NOTHING RETURNING result_id AS id`,
      [
        agentId,
        results.map((r) => r.resultId),
        results.map((r) => r.checkId),
        results.map((r) => r.startedAtMs),
        results.map((r) => r.durationUs),
        results.map((r) => r.status),
        results.map((r) => r.observation),
        results.map((r) => r.message),
        results.map((r) => (Object.keys(r.metrics).length > 0 ? JSON.stringify(r.metrics) : null)),
        results.map((r) => (r.transcript.length > 0 ? Buffer.from(r.transcript) : null)),
        results.map((r) => r.checkConfigHash),
        batch.batchSeq,
        receivedAt,
      ],
    );
    for (const row of rows) inserted.add(row.id);
  }
  // State follows only rows stored now: a duplicate was applied when it first arrived.
  // A batch repeating one id counts it once as stored, the rest as duplicates.
  const fresh = new Map<string, Result[]>();
  for (const r of results) {
    if (!inserted.delete(r.resultId)) continue;
    const list = fresh.get(r.checkId);
    if (list) list.push(r);
    else fresh.set(r.checkId, [r]);
  }
  const stored = [...fresh.values()].reduce((n, list) => n + list.length, 0);
  const change = await timeline.apply(client, agentId, agent, fresh, receivedAt);
  for (const g of batch.gaps) {
    await client.query(
      `INSERT INTO gaps (agent_id, from_result_id, to_result_id, count, reason, first_ms, last_ms, per_check, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      [agentId, g.fromResultId, g.toResultId, g.count, g.reason, g.firstMs, g.lastMs, JSON.stringify(g.perCheck), receivedAt],
    );
  }
  const duplicates = results.length - stored;
  await client.query(
    `UPDATE agents SET results_stored = results_stored + $1, duplicates = duplicates + $2,
       last_batch_seq = greatest(last_batch_seq, $3), max_result_id = greatest(max_result_id, $4), last_seen_at = $5
     WHERE id = $6`,
    [stored, duplicates, batch.batchSeq, maxId, receivedAt, agentId],
  );
  return { stored, duplicates, events: change.events, changedChecks: change.changedChecks };
}
