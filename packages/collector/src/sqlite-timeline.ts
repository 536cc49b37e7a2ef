import { Status, statusName, type Result } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import { compareTimeline, reconcile, transitionsAlong, type RecordedTransition, type TimelinePoint, type Transition } from './state-transitions.js';
import type { EventRecord, StateEngineSettings } from './store.js';

interface StateRow {
  status: number;
  started_at: number;
  result_id: number;
  since: number;
  last_ok: number | null;
  flapping: number;
}

interface PointRow {
  resultId: number;
  at: number;
  status: number;
}

/** What one check's new results did to its state. */
export interface TimelineChange {
  /** New events: live changes (notifiable unless suppressed) and changes found in late history (backfilled). */
  events: EventRecord[];
  /** Status, since or flapping moved: the console should hear of it. */
  changed: boolean;
}

const NO_EARLIER = { at: Number.MIN_SAFE_INTEGER, resultId: 0 };

/** "lab-1/web: OK -> CRITICAL: connection refused"; the first result of a check has no arrow. */
export function changeMessage(agent: string, checkId: string, from: number | null, to: number, text: string): string {
  const change = from === null ? statusName(to) : `${statusName(from)} -> ${statusName(to)}`;
  return `${agent}/${checkId}: ${change}${text ? `: ${text}` : ''}`;
}

/**
 * A check's timeline in SQLite, moved forward inside the ingest transaction. Results newer
 * than the state advance it and record live changes; results older than the state are late
 * history: the changes in the stretch they fall into are recomputed from the stored
 * results and reconciled with the ones recorded, so a backlog drained newest-first still
 * leaves one true timeline. Cost per batch: a few indexed lookups per check with new
 * results, plus a range read over the stretch the late results cover.
 */
export class SqliteTimeline {
  readonly #settings: StateEngineSettings;
  readonly #getState: Database.Statement<[number, string], StateRow>;
  readonly #upsertState: Database.Statement;
  readonly #updateHistory: Database.Statement;
  readonly #setFlapping: Database.Statement;
  readonly #prevPoint: Database.Statement<[number, string, number, number], PointRow>;
  readonly #nextPoint: Database.Statement<[number, string, number, number], PointRow>;
  readonly #range: Database.Statement<[number, string, number, number], PointRow>;
  readonly #resultText: Database.Statement<[number, number], { message: string }>;
  readonly #recorded: Database.Statement<[number, string, number, number, number, number], { id: number; resultId: number; at: number; from: number | null; to: number }>;
  readonly #insertEvent: Database.Statement;
  readonly #moveEvent: Database.Statement;
  readonly #deleteEvent: Database.Statement;
  readonly #suppress: Database.Statement;
  readonly #latestChange: Database.Statement<[number, string], { at: number | null }>;
  readonly #changesSince: Database.Statement<[number, string, number], { n: number }>;

  constructor(db: Database.Database, settings: StateEngineSettings) {
    this.#settings = settings;
    this.#getState = db.prepare('SELECT status, started_at, result_id, since, last_ok, flapping FROM check_state WHERE agent_id = ? AND check_id = ?');
    this.#upsertState = db.prepare(
      `INSERT INTO check_state (agent_id, check_id, status, observation, message, started_at, result_id, since, duration_us, metrics, last_ok, flapping)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, check_id) DO UPDATE SET
         status = excluded.status, observation = excluded.observation, message = excluded.message,
         started_at = excluded.started_at, result_id = excluded.result_id, since = excluded.since,
         duration_us = excluded.duration_us, metrics = excluded.metrics, last_ok = excluded.last_ok, flapping = excluded.flapping`,
    );
    this.#updateHistory = db.prepare('UPDATE check_state SET since = ?, last_ok = ? WHERE agent_id = ? AND check_id = ?');
    this.#setFlapping = db.prepare('UPDATE check_state SET flapping = ? WHERE agent_id = ? AND check_id = ? AND flapping <> ?');
    const point = 'SELECT result_id AS resultId, started_at AS at, status FROM results WHERE agent_id = ? AND check_id = ?';
    this.#prevPoint = db.prepare(`${point} AND (started_at, result_id) < (?, ?) ORDER BY started_at DESC, result_id DESC LIMIT 1`);
    this.#nextPoint = db.prepare(`${point} AND (started_at, result_id) > (?, ?) ORDER BY started_at, result_id LIMIT 1`);
    this.#range = db.prepare(`${point} AND started_at BETWEEN ? AND ? ORDER BY started_at, result_id`);
    this.#resultText = db.prepare('SELECT message FROM results WHERE agent_id = ? AND result_id = ?');
    this.#recorded = db.prepare(
      `SELECT id, result_id AS resultId, at, from_status AS "from", to_status AS "to" FROM events
        WHERE agent_id = ? AND check_id = ? AND kind = 'check' AND (at, result_id) > (?, ?) AND (at, result_id) <= (?, ?)
        ORDER BY at, result_id`,
    );
    this.#insertEvent = db.prepare(
      `INSERT INTO events (kind, agent_id, check_id, at, result_id, from_status, to_status, backfilled, suppressed, message, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#moveEvent = db.prepare('UPDATE events SET at = ?, result_id = ?, from_status = ?, message = ? WHERE id = ?');
    this.#deleteEvent = db.prepare('DELETE FROM events WHERE id = ?');
    this.#suppress = db.prepare('UPDATE events SET suppressed = ? WHERE id = ?');
    this.#latestChange = db.prepare("SELECT max(at) AS at FROM events WHERE agent_id = ? AND check_id = ? AND kind = 'check'");
    this.#changesSince = db.prepare(
      "SELECT count(*) AS n FROM events WHERE agent_id = ? AND check_id = ? AND kind = 'check' AND from_status IS NOT NULL AND at > ?",
    );
  }

  /** Apply one check's newly stored results (any order) to its state and events. */
  apply(agentId: number, agent: string, checkId: string, fresh: Result[], now: number): TimelineChange {
    fresh.sort((a, b) => a.startedAtMs - b.startedAtMs || a.resultId - b.resultId);
    const state = this.#getState.get(agentId, checkId);
    const stateKey = state ? { at: state.started_at, resultId: state.result_id } : undefined;
    const older = stateKey ? fresh.filter((r) => compareTimeline({ at: r.startedAtMs, resultId: r.resultId }, stateKey) < 0) : [];
    const newer = older.length === 0 ? fresh : fresh.slice(older.length);
    const events: EventRecord[] = [];

    let lastOk = state?.last_ok ?? null;
    for (const r of older) if (r.status === Status.OK && (lastOk === null || r.startedAtMs > lastOk)) lastOk = r.startedAtMs;
    let since = state?.since ?? 0;
    if (older.length > 0 && this.#applyHistory(agentId, agent, checkId, older, now, events)) {
      since = this.#latestChange.get(agentId, checkId)?.at ?? since;
    }

    let status: number | null = state?.status ?? null;
    let flapping = state?.flapping === 1;
    let newest: Result | undefined;
    for (const r of newer) {
      if (r.status !== status) {
        const event = this.#record(agentId, agent, checkId, { resultId: r.resultId, at: r.startedAtMs, from: status, to: r.status }, r.message, false, now);
        event.previousDurationMs = status === null ? null : r.startedAtMs - since;
        if (flapping) event.suppressed = 'flapping';
        // A check that starts out OK is news to nobody; one that starts out failing is a problem.
        else if (status === null && r.status === Status.OK) event.suppressed = 'initial';
        else if (status !== null && this.#changesSince.get(agentId, checkId, r.startedAtMs - this.#settings.flapWindowMs)!.n >= this.#settings.flapChanges) {
          // This change tips the check into flapping: it is told as the start of flapping instead.
          flapping = true;
          event.suppressed = 'flapping';
          const text = `changed status ${this.#settings.flapChanges} times or more within ${Math.round(this.#settings.flapWindowMs / 1000)} s; notifications paused`;
          events.push(event, this.#recordFlapping(agentId, agent, checkId, r, text, now));
          this.#suppress.run('flapping', event.id);
          status = r.status;
          since = r.startedAtMs;
          newest = r;
          continue;
        }
        if (event.suppressed) this.#suppress.run(event.suppressed, event.id);
        events.push(event);
        status = r.status;
        since = r.startedAtMs;
      }
      if (r.status === Status.OK) lastOk = r.startedAtMs;
      newest = r;
    }

    if (newest) {
      const metrics = Object.keys(newest.metrics).length > 0 ? JSON.stringify(newest.metrics) : null;
      this.#upsertState.run(
        agentId, checkId, newest.status, newest.observation, newest.message, newest.startedAtMs, newest.resultId, since,
        newest.durationUs, metrics, lastOk, flapping ? 1 : 0,
      );
    } else if (state) {
      this.#updateHistory.run(since, lastOk, agentId, checkId);
    }
    const changed = !state || status !== state.status || since !== state.since || flapping !== (state.flapping === 1);
    return { events, changed };
  }

  /** Clear a check's flapping mark. */
  clearFlapping(agentId: number, checkId: string): boolean {
    return this.#setFlapping.run(0, agentId, checkId, 0).changes === 1;
  }

  /** Recompute the stretch of timeline that late results fall into; true when its events changed. */
  #applyHistory(agentId: number, agent: string, checkId: string, older: Result[], now: number, events: EventRecord[]): boolean {
    const first = older[0]!;
    const last = older[older.length - 1]!;
    const prev = this.#prevPoint.get(agentId, checkId, first.startedAtMs, first.resultId);
    const next = this.#nextPoint.get(agentId, checkId, last.startedAtMs, last.resultId);
    const low = prev ?? NO_EARLIER;
    const lastKey = { at: last.startedAtMs, resultId: last.resultId };
    // Results sharing a millisecond with the ends belong to the stretch only by id order.
    const points: TimelinePoint[] = this.#range
      .all(agentId, checkId, first.startedAtMs, last.startedAtMs)
      .filter((p) => compareTimeline(p, low) > 0 && compareTimeline(p, lastKey) <= 0);
    if (next) points.push(next);
    const recomputed = transitionsAlong(points, prev?.status ?? null);
    const high = next ?? { at: Number.MAX_SAFE_INTEGER, resultId: Number.MAX_SAFE_INTEGER };
    const recorded: RecordedTransition[] = this.#recorded.all(agentId, checkId, low.at, low.resultId, high.at, high.resultId);
    const plan = reconcile(recorded, recomputed);
    for (const id of plan.removed) this.#deleteEvent.run(id);
    for (const { id, to } of plan.moved) this.#moveEvent.run(to.at, to.resultId, to.from, this.#message(agentId, agent, checkId, to), id);
    for (const t of plan.added) {
      events.push(this.#record(agentId, agent, checkId, t, this.#resultText.get(agentId, t.resultId)?.message ?? '', true, now));
    }
    return plan.removed.length + plan.moved.length + plan.added.length > 0;
  }

  #message(agentId: number, agent: string, checkId: string, t: Transition): string {
    return changeMessage(agent, checkId, t.from, t.to, this.#resultText.get(agentId, t.resultId)?.message ?? '');
  }

  #record(agentId: number, agent: string, checkId: string, t: Transition, text: string, backfilled: boolean, now: number): EventRecord {
    const message = changeMessage(agent, checkId, t.from, t.to, text);
    const { lastInsertRowid } = this.#insertEvent.run('check', agentId, checkId, t.at, t.resultId, t.from, t.to, backfilled ? 1 : 0, null, message, now);
    return {
      id: Number(lastInsertRowid), kind: 'check', agent, checkId, at: t.at, resultId: t.resultId, from: t.from, to: t.to,
      previousDurationMs: null, backfilled, suppressed: null, message,
    };
  }

  #recordFlapping(agentId: number, agent: string, checkId: string, r: Result, text: string, now: number): EventRecord {
    const message = `${agent}/${checkId}: flapping: ${text}`;
    const { lastInsertRowid } = this.#insertEvent.run('flapping_start', agentId, checkId, r.startedAtMs, r.resultId, null, r.status, 0, null, message, now);
    return {
      id: Number(lastInsertRowid), kind: 'flapping_start', agent, checkId, at: r.startedAtMs, resultId: r.resultId, from: null, to: r.status,
      previousDurationMs: null, backfilled: false, suppressed: null, message,
    };
  }
}
