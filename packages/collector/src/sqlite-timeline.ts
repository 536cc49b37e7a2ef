import type { Result } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import { earlierOf, laterOf, type RecordedTransition } from './state-transitions.js';
import {
  historyWindow,
  planTimeline,
  plannedEventRecord,
  splitFresh,
  type HistoryRows,
  type PlanPoint,
  type RecentChange,
  type TimelineState,
} from './state-timeline-plan.js';
import type { EventRecord, StateEngineSettings } from './store.js';

interface StateRow {
  status: number;
  started_at: number;
  result_id: number;
  since: number;
  last_ok: number | null;
  flapping: number;
  every_ms: number | null;
  gap_ms: number | null;
  config_hash: string | null;
}

/** What one check's new results did to its state. */
export interface TimelineChange {
  /** New events: live changes (notifiable unless suppressed) and changes found in late history (backfilled). */
  events: EventRecord[];
  /** Status, since or flapping moved: the console should hear of it. */
  changed: boolean;
}

/**
 * A check's timeline in SQLite, moved forward inside the ingest transaction: read what the
 * planner needs, let `planTimeline` decide, write its plan. Cost per batch: a few indexed
 * lookups per check with new results, plus a range read over the stretch late results cover.
 */
export class SqliteTimeline {
  readonly #settings: StateEngineSettings;
  readonly #getState: Database.Statement<[number, string], StateRow>;
  readonly #upsertState: Database.Statement;
  readonly #updateHistory: Database.Statement;
  readonly #setFlapping: Database.Statement;
  readonly #prevPoint: Database.Statement<[number, number, number], PlanPoint>;
  readonly #prevChange: Database.Statement<[number, string, number, number], PlanPoint>;
  readonly #nextChange: Database.Statement<[number, string, number, number], PlanPoint>;
  readonly #nextPoint: Database.Statement<[number, number, number], PlanPoint>;
  readonly #range: Database.Statement<[number, number, number], PlanPoint>;
  readonly #recorded: Database.Statement<[number, string, number, number, number, number], RecordedTransition>;
  readonly #latestOutside: Database.Statement<[number, string, number, number, number, number], { at: number | null }>;
  readonly #recent: Database.Statement<[number, string, number], RecentChange>;
  readonly #insertEvent: Database.Statement;
  readonly #moveEvent: Database.Statement;
  readonly #deleteEvent: Database.Statement;

  constructor(db: Database.Database, settings: StateEngineSettings) {
    this.#settings = settings;
    this.#getState = db.prepare('SELECT status, started_at, result_id, since, last_ok, flapping, every_ms, gap_ms, config_hash FROM check_state WHERE agent_id = ? AND check_id = ?');
    this.#upsertState = db.prepare(
      `INSERT INTO check_state (agent_id, check_id, status, observation, message, started_at, result_id, since, duration_us, metrics, last_ok, flapping, every_ms, gap_ms, config_hash, reported_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, check_id) DO UPDATE SET
         status = excluded.status, observation = excluded.observation, message = excluded.message,
         started_at = excluded.started_at, result_id = excluded.result_id, since = excluded.since,
         duration_us = excluded.duration_us, metrics = excluded.metrics, last_ok = excluded.last_ok, flapping = excluded.flapping,
         every_ms = excluded.every_ms, gap_ms = excluded.gap_ms, config_hash = excluded.config_hash, reported_at = excluded.reported_at`,
    );
    this.#updateHistory = db.prepare('UPDATE check_state SET since = ?, last_ok = ? WHERE agent_id = ? AND check_id = ?');
    this.#setFlapping = db.prepare('UPDATE check_state SET flapping = ? WHERE agent_id = ? AND check_id = ? AND flapping <> ?');
    // A check key (sqlite-check-keys.ts) names one agent's check: the per-check index serves these.
    const point = 'SELECT result_id AS resultId, started_at AS at, status, message FROM results WHERE check_key = ?';
    this.#prevPoint = db.prepare(`${point} AND (started_at, result_id) < (?, ?) ORDER BY started_at DESC, result_id DESC LIMIT 1`);
    this.#nextPoint = db.prepare(`${point} AND (started_at, result_id) > (?, ?) ORDER BY started_at, result_id LIMIT 1`);
    this.#range = db.prepare(`${point} AND started_at BETWEEN ? AND ? ORDER BY started_at, result_id`);
    const checkEvents = "FROM events WHERE agent_id = ? AND check_id = ? AND kind = 'check'";
    this.#recorded = db.prepare(
      `SELECT id, result_id AS resultId, at, from_status AS "from", to_status AS "to" ${checkEvents}
         AND (at, result_id) > (?, ?) AND (at, result_id) <= (?, ?) ORDER BY at, result_id`,
    );
    this.#latestOutside = db.prepare(`SELECT max(at) AS at ${checkEvents} AND NOT ((at, result_id) > (?, ?) AND (at, result_id) <= (?, ?))`);
    this.#recent = db.prepare(`SELECT id, at, from_status AS "from" ${checkEvents} AND at > ?`);
    const change = `SELECT result_id AS resultId, at, to_status AS status, '' AS message ${checkEvents}`;
    this.#prevChange = db.prepare(`${change} AND (at, result_id) < (?, ?) ORDER BY at DESC, result_id DESC LIMIT 1`);
    this.#nextChange = db.prepare(`${change} AND (at, result_id) > (?, ?) ORDER BY at, result_id LIMIT 1`);
    this.#insertEvent = db.prepare(
      `INSERT INTO events (kind, agent_id, check_id, at, result_id, from_status, to_status, backfilled, suppressed, message, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#moveEvent = db.prepare('UPDATE events SET at = ?, result_id = ?, from_status = ?, message = ? WHERE id = ?');
    this.#deleteEvent = db.prepare('DELETE FROM events WHERE id = ?');
  }

  /** Apply one check's newly stored results (any order) to its state and events. */
  apply(agentId: number, agent: string, checkId: string, checkKey: number, fresh: Result[], now: number, suppressAs?: string): TimelineChange {
    const row = this.#getState.get(agentId, checkId);
    const state: TimelineState | undefined = row && {
      status: row.status, startedAt: row.started_at, resultId: row.result_id, since: row.since, lastOk: row.last_ok, flapping: row.flapping === 1,
      everyMs: row.every_ms, gapMs: row.gap_ms, configHash: row.config_hash,
    };
    const split = splitFresh(state, fresh, this.#settings);
    let history: HistoryRows | undefined;
    if (split.history) {
      const { first, last } = split.history;
      // The stretch is bounded by the nearest stored result or recorded change on each side,
      // whichever is nearer: where retention pruned the results, the recorded changes still
      // stand for them, so late history older than the kept results cannot wipe events.
      const prev = laterOf(this.#prevPoint.get(checkKey, first.at, first.resultId), this.#prevChange.get(agentId, checkId, first.at, first.resultId));
      const next = earlierOf(this.#nextPoint.get(checkKey, last.at, last.resultId), this.#nextChange.get(agentId, checkId, last.at, last.resultId));
      const { low, high } = historyWindow(prev, next);
      history = {
        prev,
        next,
        range: this.#range.all(checkKey, first.at, last.at),
        recorded: this.#recorded.all(agentId, checkId, low.at, low.resultId, high.at, high.resultId),
        latestOutside: this.#latestOutside.get(agentId, checkId, low.at, low.resultId, high.at, high.resultId)?.at ?? null,
      };
    }
    const recent = split.recentSince === undefined ? [] : this.#recent.all(agentId, checkId, split.recentSince);
    const plan = planTimeline({ agent, checkId, receivedAt: now, settings: this.#settings, state, split, history, recent, suppressAs });

    for (const id of plan.deletes) this.#deleteEvent.run(id);
    for (const m of plan.moves) this.#moveEvent.run(m.at, m.resultId, m.from, m.message, m.id);
    const events = plan.inserts.map((e) => {
      const { lastInsertRowid } = this.#insertEvent.run(e.kind, agentId, checkId, e.at, e.resultId, e.from, e.to, e.backfilled ? 1 : 0, e.suppressed, e.message, now);
      return plannedEventRecord(e, Number(lastInsertRowid), agent, checkId);
    });
    if (plan.state?.kind === 'upsert') {
      const s = plan.state.row;
      const metrics = Object.keys(s.metrics).length > 0 ? JSON.stringify(s.metrics) : null;
      this.#upsertState.run(agentId, checkId, s.status, s.observation, s.message, s.startedAt, s.resultId, s.since, s.durationUs, metrics, s.lastOk, s.flapping ? 1 : 0, s.everyMs, s.gapMs, s.configHash, s.reportedAt);
    } else if (plan.state?.kind === 'history' && (plan.state.since !== state?.since || plan.state.lastOk !== state.lastOk)) {
      // A backlog that drains oldest first is all late history: most of it moves nothing.
      this.#updateHistory.run(plan.state.since, plan.state.lastOk, agentId, checkId);
    }
    return { events, changed: plan.changed };
  }

  /** Clear a check's flapping mark. */
  clearFlapping(agentId: number, checkId: string): boolean {
    return this.#setFlapping.run(0, agentId, checkId, 0).changes === 1;
  }
}
