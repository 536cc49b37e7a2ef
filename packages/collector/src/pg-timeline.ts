import type { Result } from '@outpost/protocol';
import type pg from 'pg';
import { textArray } from './pg-arrays.js';
import { earlierOf, laterOf, type RecordedTransition } from './state-transitions.js';
import {
  historyWindow,
  planTimeline,
  plannedEventRecord,
  splitFresh,
  type HistoryRows,
  type NewStateRow,
  type PlannedEvent,
  type PlanPoint,
  type RecentChange,
  type TimelineSplit,
  type TimelineState,
} from './state-timeline-plan.js';
import type { EventRecord, StateEngineSettings } from './store.js';

/** What one batch's new results did to its checks. */
export interface TimelineBatchChange {
  events: EventRecord[];
  changedChecks: string[];
}

const POINT = 'SELECT result_id AS "resultId", started_at AS at, status, message FROM results WHERE agent_id = $1 AND check_id = $2';
const CHECK_EVENTS = "FROM events WHERE agent_id = $1 AND check_id = $2 AND kind = 'check'";
const CHANGE = `SELECT result_id AS "resultId", at, to_status AS status, '' AS message ${CHECK_EVENTS}`;

/**
 * The check timelines in PostgreSQL, moved forward inside the ingest transaction: the same
 * planner as SQLite (`planTimeline`), with reads and writes batched per call where the
 * common case allows (state rows, recent changes, new events, new state rows: one statement
 * each) to keep round trips to the server few. Late history is read per check. The upsert and
 * the event insert are named (prepared once per connection): planning the unnest upsert each
 * time cost a third of its run time. Reads stay unnamed, planned for their arguments.
 */
export class PgTimeline {
  readonly #settings: StateEngineSettings;

  constructor(settings: StateEngineSettings) {
    this.#settings = settings;
  }

  /** Apply one batch's newly stored results (grouped by check, any order). */
  async apply(client: pg.ClientBase, agentId: number, agent: string, fresh: Map<string, Result[]>, now: number, suppressAs?: string): Promise<TimelineBatchChange> {
    const out: TimelineBatchChange = { events: [], changedChecks: [] };
    if (fresh.size === 0) return out;
    const states = await this.#states(client, agentId, [...fresh.keys()]);
    const splits = new Map([...fresh].map(([checkId, results]) => [checkId, splitFresh(states.get(checkId), results, this.#settings)]));
    const recent = await this.#recent(client, agentId, splits);
    const upserts: { checkId: string; row: NewStateRow }[] = [];
    const inserts: { checkId: string; event: PlannedEvent }[] = [];
    const deletes: number[] = [];
    for (const [checkId, split] of splits) {
      const history = split.history && (await this.#history(client, agentId, checkId, split.history));
      const plan = planTimeline({ agent, checkId, receivedAt: now, settings: this.#settings, state: states.get(checkId), split, history, recent: recent.get(checkId) ?? [], suppressAs });
      deletes.push(...plan.deletes);
      for (const m of plan.moves) await client.query('UPDATE events SET at = $1, result_id = $2, from_status = $3, message = $4 WHERE id = $5', [m.at, m.resultId, m.from, m.message, m.id]);
      for (const event of plan.inserts) inserts.push({ checkId, event });
      if (plan.state?.kind === 'upsert') upserts.push({ checkId, row: plan.state.row });
      else if (plan.state?.kind === 'history') {
        await client.query('UPDATE check_state SET since = $1, last_ok = $2 WHERE agent_id = $3 AND check_id = $4', [plan.state.since, plan.state.lastOk, agentId, checkId]);
      }
      if (plan.changed) out.changedChecks.push(checkId);
    }
    if (deletes.length > 0) await client.query('DELETE FROM events WHERE id = ANY($1::bigint[])', [deletes]);
    out.events = await this.#insertEvents(client, agentId, agent, inserts, now);
    if (upserts.length > 0) await this.#upsertStates(client, agentId, upserts);
    return out;
  }

  /** Check events after each check's `recentSince`, for all checks of the batch in one read. */
  async #recent(client: pg.ClientBase, agentId: number, splits: Map<string, TimelineSplit>): Promise<Map<string, RecentChange[]>> {
    const wanted = [...splits].filter(([, split]) => split.recentSince !== undefined);
    const out = new Map<string, RecentChange[]>();
    if (wanted.length === 0) return out;
    const { rows } = await client.query<RecentChange & { checkId: string }>({
      text: `SELECT e.check_id AS "checkId", e.id, e.at, e.from_status AS "from"
         FROM events e JOIN unnest($2::text[], $3::bigint[]) AS w (check_id, since) ON e.check_id = w.check_id
        WHERE e.agent_id = $1 AND e.kind = 'check' AND e.at > w.since`,
      values: [agentId, wanted.map(([checkId]) => checkId), wanted.map(([, split]) => split.recentSince)],
    });
    for (const { checkId, ...change } of rows) {
      const list = out.get(checkId);
      if (list) list.push(change);
      else out.set(checkId, [change]);
    }
    return out;
  }

  /**
   * Insert the planned events in one statement, in plan order (ids ascend in that order:
   * a flapping start sorts after the change that tipped it), and report them with their ids.
   */
  async #insertEvents(client: pg.ClientBase, agentId: number, agent: string, inserts: { checkId: string; event: PlannedEvent }[], now: number): Promise<EventRecord[]> {
    if (inserts.length === 0) return [];
    const col = <T>(pick: (e: PlannedEvent, checkId: string) => T) => inserts.map((i) => pick(i.event, i.checkId));
    const { rows } = await client.query<{ id: number; n: number }>({
      name: 'outpost-insert-events',
      text: `WITH planned AS (
         SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::smallint[], $7::smallint[], $8::smallint[], $9::text[], $10::text[])
           WITH ORDINALITY AS u (kind, check_id, at, result_id, from_status, to_status, backfilled, suppressed, message, n)),
       added AS (
         INSERT INTO events (kind, agent_id, check_id, at, result_id, from_status, to_status, backfilled, suppressed, message, created_at)
         SELECT kind, $1, check_id, at, result_id, from_status, to_status, backfilled, suppressed, message, $11 FROM planned ORDER BY n
         RETURNING id, kind, check_id, result_id)
       SELECT a.id, p.n FROM added a JOIN planned p ON p.kind = a.kind AND p.check_id = a.check_id AND p.result_id = a.result_id`,
      values: [
        agentId, col((e) => e.kind), col((_, checkId) => checkId), col((e) => e.at), col((e) => e.resultId), col((e) => e.from), col((e) => e.to),
        col((e) => (e.backfilled ? 1 : 0)), col((e) => e.suppressed), col((e) => e.message), now,
      ],
    });
    // (kind, check, result) names one planned event: a result makes at most one change and one flapping start.
    const ids = new Map(rows.map((r) => [r.n, r.id]));
    return inserts.map(({ checkId, event }, i) => plannedEventRecord(event, ids.get(i + 1)!, agent, checkId));
  }

  async #states(client: pg.ClientBase, agentId: number, checkIds: string[]): Promise<Map<string, TimelineState>> {
    // Not named: a generic plan for `= ANY($2)` scans the agent's whole state (5x slower).
    const { rows } = await client.query<Omit<TimelineState, 'flapping'> & { checkId: string; flapping: number }>({
      text: `SELECT check_id AS "checkId", status, started_at AS "startedAt", result_id AS "resultId", since, last_ok AS "lastOk", flapping,
                    every_ms AS "everyMs", gap_ms AS "gapMs", config_hash AS "configHash"
         FROM check_state WHERE agent_id = $1 AND check_id = ANY($2::text[])`,
      values: [agentId, textArray(checkIds)],
    });
    return new Map(rows.map(({ checkId, ...r }) => [checkId, { ...r, flapping: r.flapping === 1 }]));
  }

  async #history(
    client: pg.ClientBase,
    agentId: number,
    checkId: string,
    stretch: { first: { at: number; resultId: number }; last: { at: number; resultId: number } },
  ): Promise<HistoryRows> {
    const { first, last } = stretch;
    // Bounded by the nearest stored result or recorded change on each side, as in SQLite
    // (sqlite-timeline.ts): results pruned by retention are stood for by their events.
    const one = async (sql: string, at: number, resultId: number) => (await client.query<PlanPoint>(sql, [agentId, checkId, at, resultId])).rows[0];
    const prev = laterOf(
      await one(`${POINT} AND (started_at, result_id) < ($3, $4) ORDER BY started_at DESC, result_id DESC LIMIT 1`, first.at, first.resultId),
      await one(`${CHANGE} AND (at, result_id) < ($3, $4) ORDER BY at DESC, result_id DESC LIMIT 1`, first.at, first.resultId),
    );
    const next = earlierOf(
      await one(`${POINT} AND (started_at, result_id) > ($3, $4) ORDER BY started_at, result_id LIMIT 1`, last.at, last.resultId),
      await one(`${CHANGE} AND (at, result_id) > ($3, $4) ORDER BY at, result_id LIMIT 1`, last.at, last.resultId),
    );
    const { low, high } = historyWindow(prev, next);
    const bounds = [agentId, checkId, low.at, low.resultId, high.at, high.resultId];
    const range = (await client.query<PlanPoint>(`${POINT} AND started_at BETWEEN $3 AND $4 ORDER BY started_at, result_id`, [agentId, checkId, first.at, last.at])).rows;
    const recorded = (
      await client.query<RecordedTransition>(
        `SELECT id, result_id AS "resultId", at, from_status AS "from", to_status AS "to" ${CHECK_EVENTS}
           AND (at, result_id) > ($3, $4) AND (at, result_id) <= ($5, $6) ORDER BY at, result_id`,
        bounds,
      )
    ).rows;
    const outside = await client.query<{ at: number | null }>(`SELECT max(at) AS at ${CHECK_EVENTS} AND NOT ((at, result_id) > ($3, $4) AND (at, result_id) <= ($5, $6))`, bounds);
    return { prev, next, range, recorded, latestOutside: outside.rows[0]?.at ?? null };
  }

  async #upsertStates(client: pg.ClientBase, agentId: number, upserts: { checkId: string; row: NewStateRow }[]): Promise<void> {
    const col = <T>(pick: (u: { checkId: string; row: NewStateRow }) => T) => upserts.map(pick);
    await client.query({
      name: 'outpost-upsert-check-states',
      text: `INSERT INTO check_state (agent_id, check_id, status, observation, message, started_at, result_id, since, duration_us, metrics, last_ok, flapping, every_ms, gap_ms, config_hash, reported_at)
       SELECT $1, * FROM unnest($2::text[], $3::smallint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::smallint[],
                                $13::bigint[], $14::bigint[], $15::text[], $16::bigint[])
       ON CONFLICT (agent_id, check_id) DO UPDATE SET
         status = excluded.status, observation = excluded.observation, message = excluded.message,
         started_at = excluded.started_at, result_id = excluded.result_id, since = excluded.since,
         duration_us = excluded.duration_us, metrics = excluded.metrics, last_ok = excluded.last_ok, flapping = excluded.flapping,
         every_ms = excluded.every_ms, gap_ms = excluded.gap_ms, config_hash = excluded.config_hash, reported_at = excluded.reported_at`,
      values: [
        agentId,
        textArray(col((u) => u.checkId)),
        col((u) => u.row.status),
        textArray(col((u) => u.row.observation)),
        textArray(col((u) => u.row.message)),
        col((u) => u.row.startedAt),
        col((u) => u.row.resultId),
        col((u) => u.row.since),
        col((u) => u.row.durationUs),
        textArray(col((u) => (Object.keys(u.row.metrics).length > 0 ? JSON.stringify(u.row.metrics) : null))),
        col((u) => u.row.lastOk),
        col((u) => (u.row.flapping ? 1 : 0)),
        col((u) => u.row.everyMs),
        col((u) => u.row.gapMs),
        textArray(col((u) => u.row.configHash)),
        col((u) => u.row.reportedAt),
      ],
    });
  }
}
