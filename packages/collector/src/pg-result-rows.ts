import type { OpenedBatch, Result } from '@outpost/protocol';
import type pg from 'pg';
import { intArray, textArray } from './pg-arrays.js';

/** Timeline position of the newest result seen per check. */
export type NewestByCheck = Map<string, { lastAt: number; lastId: number }>;

/** `r` does not come after `newest` on its check's timeline (check time, then result id). */
export function notAfter(r: Result, newest: { lastAt: number; lastId: number }): boolean {
  return r.startedAtMs < newest.lastAt || (r.startedAtMs === newest.lastAt && r.resultId <= newest.lastId);
}

/**
 * How many batches from `first` on can go into one INSERT: up to the first that has a result
 * not after one of the same check earlier in the run or waiting to be applied. Such a batch
 * may need a check's timeline moved before its rows are stored (see ingestAll); this looks
 * at every result, stored before or not, so it may end a run early, never late.
 */
export function runLength(batches: readonly OpenedBatch[], first: number, waiting: NewestByCheck): number {
  const newest: NewestByCheck = new Map();
  const see = (r: Result) => {
    const n = newest.get(r.checkId);
    if (!n) newest.set(r.checkId, { lastAt: r.startedAtMs, lastId: r.resultId });
    else if (!notAfter(r, n)) {
      n.lastAt = r.startedAtMs;
      n.lastId = r.resultId;
    }
  };
  for (const r of batches[first]!.results) see(r);
  let end = first + 1;
  for (; end < batches.length; end++) {
    const results = batches[end]!.results;
    const breaks = results.some((r) => {
      const w = waiting.get(r.checkId);
      const n = newest.get(r.checkId);
      return (w !== undefined && notAfter(r, w)) || (n !== undefined && notAfter(r, n));
    });
    if (breaks) break;
    for (const r of results) see(r);
  }
  return end - first;
}

/**
 * Insert the rows of several batches in one statement; returns the result ids stored now
 * (the others were there already, or came twice). The server answers with one row: the
 * count, and the ids only when some row was not stored (rare: a re-sent batch), so the
 * common case does not ship every id back.
 */
export async function insertResults(client: pg.ClientBase, agentId: number, batches: readonly OpenedBatch[], receivedAt: number): Promise<Set<number>> {
  const n = batches.reduce((sum, b) => sum + b.results.length, 0);
  if (n === 0) return new Set();
  const ids = new Array<number>(n);
  const checks = new Array<string>(n);
  const times = new Array<number>(n);
  const durations = new Array<number>(n);
  const statuses = new Array<number>(n);
  const observations = new Array<string>(n);
  const messages = new Array<string>(n);
  const metrics = new Array<string | null>(n);
  const transcripts = new Array<Buffer | null>(n);
  const hashes = new Array<string>(n);
  const seqs = new Array<number>(n);
  let i = 0;
  for (const batch of batches) {
    for (const r of batch.results) {
      ids[i] = r.resultId;
      checks[i] = r.checkId;
      times[i] = r.startedAtMs;
      durations[i] = r.durationUs;
      statuses[i] = r.status;
      observations[i] = r.observation;
      messages[i] = r.message;
      metrics[i] = hasKeys(r.metrics) ? JSON.stringify(r.metrics) : null;
      transcripts[i] = r.transcript.length > 0 ? Buffer.from(r.transcript) : null;
      hashes[i] = r.checkConfigHash;
      seqs[i] = batch.batchSeq;
      i += 1;
    }
  }
  // Rows go in array order, so of two rows with one key the first is stored, as one batch
  // after the other would have it.
  const { rows } = await client.query<{ n: number; ids: (string | number)[] | null }>({
    name: 'outpost-insert-results',
    text: `WITH added AS (
         INSERT INTO results (agent_id, result_id, check_id, started_at, duration_us, status, observation, message, metrics, transcript, config_hash, batch_seq, received_at)
         SELECT $1, u.*, $13 FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::smallint[], $7::text[], $8::text[], $9::text[], $10::bytea[], $11::text[], $12::bigint[]) AS u
         ON CONFLICT DO NOTHING RETURNING result_id)
       SELECT count(*) AS n, CASE WHEN count(*) < $14 THEN array_agg(result_id) END AS ids FROM added`,
    values: [
      agentId, intArray(ids), textArray(checks), intArray(times), intArray(durations), intArray(statuses), textArray(observations), textArray(messages),
      textArray(metrics), transcripts, textArray(hashes), intArray(seqs), receivedAt, n,
    ],
  });
  const stored = rows[0]!;
  // array_agg over no rows is NULL: nothing new when the count says so.
  return new Set(stored.n === n ? ids : (stored.ids ?? []).map(Number));
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
