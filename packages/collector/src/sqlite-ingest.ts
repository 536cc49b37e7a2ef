import type { OpenedBatch, Result } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import type { SqliteCheckKeys } from './sqlite-check-keys.js';
import type { SqliteTimeline } from './sqlite-timeline.js';
import { fromTheFuture, IMPORTED } from './state-timeline-plan.js';
import type { IngestOutcome } from './store.js';

/** One check's freshly stored results of this commit, and the latest of them on its timeline. */
interface FreshResults {
  checkKey: number;
  results: Result[];
  lastAt: number;
  lastId: number;
}

/** Object.keys(x).length > 0 without building the array. */
function hasKeys(value: object): boolean {
  for (const _ in value) return true;
  return false;
}

const RESULT_COLUMNS = 'agent_id, result_id, check_key, started_at, duration_us, status, observation, message, metrics, transcript, config_hash, batch_seq, received_at';
const RESULT_PARAMS = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** A result already stored is a duplicate; any other constraint failing is an error (OR IGNORE would count it a duplicate). */
const ONLY_NEW = 'ON CONFLICT (agent_id, result_id) DO NOTHING';
/** Rows per multi-row INSERT: one statement step for many rows, well below SQLite's 32,766 parameters. */
const ROWS_PER_INSERT = 32;

/**
 * The SQLite ingest path, run inside the store's transaction: results inserted unless
 * (agent_id, result_id) is stored, gap records, each check's timeline moved once per
 * commit, the agent's counters.
 */
export class SqliteIngest {
  readonly #db: Database.Database;
  readonly #timeline: SqliteTimeline;
  readonly #keys: SqliteCheckKeys;
  readonly #insertResult: Database.Statement;
  /** Multi-row inserts by row count, made when first needed. */
  readonly #insertRows = new Map<number, Database.Statement>();
  readonly #anyStored: Database.Statement<[number, number, number], { one: number }>;
  readonly #insertGap: Database.Statement;
  readonly #bumpAgent: Database.Statement;
  readonly #agentName: Database.Statement<[number], { name: string }>;

  constructor(db: Database.Database, timeline: SqliteTimeline, keys: SqliteCheckKeys) {
    this.#db = db;
    this.#timeline = timeline;
    this.#keys = keys;
    this.#agentName = db.prepare('SELECT name FROM agents WHERE id = ?');
    this.#anyStored = db.prepare('SELECT 1 AS one FROM results WHERE agent_id = ? AND result_id BETWEEN ? AND ? LIMIT 1');
    this.#insertResult = db.prepare(`INSERT INTO results (${RESULT_COLUMNS}) VALUES ${RESULT_PARAMS} ${ONLY_NEW}`);
    this.#insertGap = db.prepare(
      `INSERT OR IGNORE INTO gaps (agent_id, from_result_id, to_result_id, count, reason, first_ms, last_ms, per_check, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#bumpAgent = db.prepare(
      `UPDATE agents SET results_stored = results_stored + ?, duplicates = duplicates + ?,
         last_batch_seq = max(last_batch_seq, ?), max_result_id = max(max_result_id, ?), last_seen_at = coalesce(?, last_seen_at)
       WHERE id = ?`,
    );
  }

  /**
   * Store several batches of one agent and move their checks' timelines, inside the caller's
   * transaction. Each check's timeline is moved once per commit, not once per batch: with
   * 1000 checks a 1000-result batch otherwise doubles the statements. A check's results of
   * several batches are applied together only when they arrive in timeline order, which
   * gives what applying them batch by batch gives (the changes on the timeline, the states,
   * the live pages); otherwise what waits is applied first. One thing may differ where late
   * results of one check interleave across batches of a commit: which recorded change keeps
   * its identity when the late history moves it, so the `backfilled` flag of such a change
   * (grouped-ingest-test-cases.ts checks the rest on random cases). Making that identical
   * too costs a drain ~1.5x (each batch's late history applied on its own), so it is not.
   */
  run(agentId: number, batches: readonly OpenedBatch[], receivedAt: number, heard = true): IngestOutcome[] {
    const outcomes: IngestOutcome[] = [];
    // State follows only rows stored now: a duplicate was applied when it first arrived.
    const waiting = new Map<string, FreshResults>();
    // Which batch a fresh result came in, so each outcome reports the events its results made.
    const batchOf = batches.length > 1 ? new Map<number, IngestOutcome>() : undefined;
    let agent: string | undefined;
    const apply = (checkId: string, fresh: FreshResults) => {
      waiting.delete(checkId);
      agent ??= this.#agentName.get(agentId)?.name ?? String(agentId);
      const change = this.#timeline.apply(agentId, agent, checkId, fresh.checkKey, fresh.results, receivedAt, heard ? undefined : IMPORTED);
      // A backfilled event may sit on a row stored earlier: it goes with the newest batch.
      const newest = outcomes[outcomes.length - 1]!;
      for (const e of change.events) (batchOf?.get(e.resultId ?? 0) ?? newest).events.push(e);
      if (change.changed) (batchOf?.get(fresh.lastId) ?? newest).changedChecks.push(checkId);
    };
    let storedAll = 0;
    let maxId = 0;
    let maxSeq = 0;
    for (const batch of batches) {
      if (waiting.size > 0) {
        for (const r of batch.results) {
          const fresh = waiting.get(r.checkId);
          if (fresh && (r.startedAtMs < fresh.lastAt || (r.startedAtMs === fresh.lastAt && r.resultId <= fresh.lastId))) apply(r.checkId, fresh);
        }
      }
      const outcome: IngestOutcome = { stored: 0, duplicates: 0, events: [], changedChecks: [] };
      outcomes.push(outcome);
      let stored = 0;
      const inserted = this.#insert(agentId, batch, receivedAt);
      batch.results.forEach((r, k) => {
        if (r.resultId > maxId) maxId = r.resultId;
        if (inserted[k] !== 1) return;
        stored += 1;
        if (fromTheFuture(r.startedAtMs, batch.clockOffsetMs, receivedAt)) {
          outcome.future = (outcome.future ?? 0) + 1;
          return;
        }
        batchOf?.set(r.resultId, outcome);
        const fresh = waiting.get(r.checkId);
        if (!fresh) waiting.set(r.checkId, { checkKey: this.#keys.keyFor(agentId, r.checkId), results: [r], lastAt: r.startedAtMs, lastId: r.resultId });
        else {
          fresh.results.push(r);
          if (r.startedAtMs > fresh.lastAt || (r.startedAtMs === fresh.lastAt && r.resultId > fresh.lastId)) {
            fresh.lastAt = r.startedAtMs;
            fresh.lastId = r.resultId;
          }
        }
      });
      for (const g of batch.gaps) {
        this.#insertGap.run(agentId, g.fromResultId, g.toResultId, g.count, g.reason, g.firstMs, g.lastMs, JSON.stringify(g.perCheck), receivedAt);
      }
      storedAll += stored;
      if (batch.batchSeq > maxSeq) maxSeq = batch.batchSeq;
      outcome.stored = stored;
      outcome.duplicates = batch.results.length - stored;
    }
    for (const [checkId, fresh] of waiting) apply(checkId, fresh);
    const total = batches.reduce((n, b) => n + b.results.length, 0);
    this.#bumpAgent.run(storedAll, total - storedAll, maxSeq, maxId, heard ? receivedAt : null, agentId);
    return outcomes;
  }

  /**
   * Insert a batch's results, skipping stored (agent_id, result_id); `rows[k]` is 1
   * where result k was stored. A run of results with rising ids none of which is stored yet
   * (one probe of the primary key over its id range) cannot hold a duplicate, so it goes in
   * as one multi-row insert; a run the probe finds stored rows in goes row by row.
   */
  #insert(agentId: number, batch: OpenedBatch, receivedAt: number): Uint8Array {
    const { results, batchSeq } = batch;
    const rows = new Uint8Array(results.length);
    let i = 0;
    while (i < results.length) {
      let end = i + 1;
      while (end < results.length && end - i < ROWS_PER_INSERT && results[end]!.resultId > results[end - 1]!.resultId) end++;
      const params: unknown[] = [];
      if (end - i > 1 && this.#anyStored.get(agentId, results[i]!.resultId, results[end - 1]!.resultId) === undefined) {
        for (let k = i; k < end; k++) this.#pushRow(params, agentId, results[k]!, batchSeq, receivedAt);
        const changes = this.#insertRowsStatement(end - i).run(params).changes;
        if (changes !== end - i) throw new Error(`stored ${changes} of ${end - i} results whose ids agent ${agentId} had not stored`);
        rows.fill(1, i, end);
      } else {
        for (let k = i; k < end; k++) {
          params.length = 0;
          this.#pushRow(params, agentId, results[k]!, batchSeq, receivedAt);
          rows[k] = this.#insertResult.run(params).changes === 1 ? 1 : 0;
        }
      }
      i = end;
    }
    return rows;
  }

  #pushRow(params: unknown[], agentId: number, r: Result, batchSeq: number, receivedAt: number): void {
    params.push(
      agentId, r.resultId, this.#keys.keyFor(agentId, r.checkId), r.startedAtMs, r.durationUs, r.status, r.observation, r.message,
      hasKeys(r.metrics) ? JSON.stringify(r.metrics) : null, r.transcript.length > 0 ? r.transcript : null, r.checkConfigHash, batchSeq, receivedAt,
    );
  }

  #insertRowsStatement(count: number): Database.Statement {
    let statement = this.#insertRows.get(count);
    if (!statement) {
      statement = this.#db.prepare(`INSERT INTO results (${RESULT_COLUMNS}) VALUES ${Array(count).fill(RESULT_PARAMS).join(', ')} ${ONLY_NEW}`);
      this.#insertRows.set(count, statement);
    }
    return statement;
  }
}
