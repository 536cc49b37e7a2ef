import type { OpenedBatch, Result } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import type { SqliteTimeline } from './sqlite-timeline.js';
import { fromTheFuture } from './state-timeline-plan.js';
import type { IngestOutcome } from './store.js';

/** One check's freshly stored results of this commit, and the latest of them on its timeline. */
interface FreshResults {
  results: Result[];
  lastAt: number;
  lastId: number;
}

/** Object.keys(x).length > 0 without building the array. */
function hasKeys(value: object): boolean {
  for (const _ in value) return true;
  return false;
}

/**
 * The SQLite ingest path, run inside the store's transaction: results with INSERT OR
 * IGNORE on (agent_id, result_id), gap records, each check's timeline moved once per
 * commit, the agent's counters.
 */
export class SqliteIngest {
  readonly #timeline: SqliteTimeline;
  readonly #insertResult: Database.Statement;
  readonly #insertGap: Database.Statement;
  readonly #bumpAgent: Database.Statement;
  readonly #agentName: Database.Statement<[number], { name: string }>;

  constructor(db: Database.Database, timeline: SqliteTimeline) {
    this.#timeline = timeline;
    this.#agentName = db.prepare('SELECT name FROM agents WHERE id = ?');
    this.#insertResult = db.prepare(
      `INSERT OR IGNORE INTO results (agent_id, result_id, check_id, started_at, duration_us, status, observation, message, metrics, transcript, config_hash, batch_seq, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
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
   * gives what applying them batch by batch gives; otherwise what waits is applied first.
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
      const change = this.#timeline.apply(agentId, agent, checkId, fresh.results, receivedAt);
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
      for (const r of batch.results) {
        const metrics = hasKeys(r.metrics) ? JSON.stringify(r.metrics) : null;
        const transcript = r.transcript.length > 0 ? r.transcript : null;
        const inserted = this.#insertResult.run(
          agentId, r.resultId, r.checkId, r.startedAtMs, r.durationUs, r.status, r.observation, r.message,
          metrics, transcript, r.checkConfigHash, batch.batchSeq, receivedAt,
        ).changes;
        if (r.resultId > maxId) maxId = r.resultId;
        if (inserted !== 1) continue;
        stored += 1;
        if (fromTheFuture(r.startedAtMs, batch.clockOffsetMs, receivedAt)) {
          outcome.future = (outcome.future ?? 0) + 1;
          continue;
        }
        batchOf?.set(r.resultId, outcome);
        const fresh = waiting.get(r.checkId);
        if (!fresh) waiting.set(r.checkId, { results: [r], lastAt: r.startedAtMs, lastId: r.resultId });
        else {
          fresh.results.push(r);
          if (r.startedAtMs > fresh.lastAt || (r.startedAtMs === fresh.lastAt && r.resultId > fresh.lastId)) {
            fresh.lastAt = r.startedAtMs;
            fresh.lastId = r.resultId;
          }
        }
      }
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
}
