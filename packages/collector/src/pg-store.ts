import type { OpenedBatch } from '@outpost/protocol';
import pg from 'pg';
import { PgAgents } from './pg-agents.js';
import { ingestBatchesPg } from './pg-ingest.js';
import { migrate } from './pg-migrations.js';
import { ResultPartitions } from './pg-partitions.js';
import { PgSegmentation } from './pg-segmentation.js';
import { inTransaction, queryAll, queryOne } from './pg-queries.js';
import { PgTimeline } from './pg-timeline.js';
import { DEFAULT_STATE_SETTINGS } from './sqlite-store.js';
import { CHECK_STATE_SELECT, EVENT_COLUMNS, toCheckState, toEvent, type CheckStateRow, type EventRow } from './store-rows.js';
import type {
  CellColour,
  CheckStateRecord,
  CollectorStore,
  EventKind,
  EventQuery,
  EventRecord,
  GapRecord,
  IngestOptions,
  IngestOutcome,
  ResultQuery,
  ResultRecord,
  SegmentationCellRecord,
  SegmentationHistoryRecord,
  StateEngineSettings,
} from './store.js';
import { delegateAgentCalls, type AgentCalls } from './store.js';

export interface PgStoreOptions {
  /** Connections in the pool (default 10). */
  maxConnections?: number;
}

// bigint columns hold Unix ms and counters, all below 2^53: read them as numbers.
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

const DAY_MS = 86_400_000;

// The agents-table calls, given by delegateAgentCalls in the constructor.
export interface PgStore extends AgentCalls {}

/**
 * The collector's store in PostgreSQL, for several collector processes on one database.
 * Same interface and behaviour as the SQLite store (the shared store contract tests both);
 * results partitioned by day of check time, dropped whole by {@link PgStore.dropResultsOlderThan}.
 *
 * @example
 * const store = await PgStore.open('postgres://outpost@192.0.2.10/outpost');
 * const [outcome] = await store.ingestBatches(agent.id, [batch], Date.now());
 * await store.dropResultsOlderThan(90);
 */
export class PgStore implements CollectorStore {
  readonly #pool: pg.Pool;
  readonly #partitions: ResultPartitions;
  readonly #timeline: PgTimeline;
  readonly #segmentation: PgSegmentation;
  readonly #agents: PgAgents;
  /** The last ingest queued per agent: one agent's calls run one at a time, in call order. */
  readonly #ingests = new Map<number, Promise<unknown>>();
  #closed = false;

  private constructor(pool: pg.Pool, settings: StateEngineSettings) {
    this.#pool = pool;
    this.#partitions = new ResultPartitions(pool);
    this.#timeline = new PgTimeline(settings);
    this.#segmentation = new PgSegmentation(pool);
    this.#agents = new PgAgents(pool);
    // The agents table: see pg-agents.ts.
    delegateAgentCalls(this, this.#agents);
  }

  /** Connect and run pending migrations (under an advisory lock: collectors may start together). */
  static async open(url: string, settings: StateEngineSettings = DEFAULT_STATE_SETTINGS, options: PgStoreOptions = {}): Promise<PgStore> {
    const store = PgStore.create(url, settings, options);
    try {
      await store.migrate();
    } catch (err: unknown) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** A store whose pool connects on first use; call `migrate()` before anything else. */
  static create(url: string, settings: StateEngineSettings = DEFAULT_STATE_SETTINGS, options: PgStoreOptions = {}): PgStore {
    const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, types: TYPES });
    // An idle connection the server closed must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    return new PgStore(pool, settings);
  }

  /** Run pending migrations; returns the versions run. */
  async migrate(): Promise<number[]> {
    const client = await this.#pool.connect();
    try {
      return await migrate(client);
    } finally {
      client.release();
    }
  }

  /** Delete up to `maxRows` events dated before `cutoffMs` (events are not partitioned: they are few). */
  async deleteEventsBefore(cutoffMs: number, maxRows: number): Promise<number> {
    const { rowCount } = await this.#pool.query('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < $1 LIMIT $2)', [cutoffMs, maxRows]);
    return rowCount ?? 0;
  }

  /** The pool, for the notification queue and the leader election that share the database. */
  get pool(): pg.Pool {
    return this.#pool;
  }

  /** The daily partitions of `results`. */
  get partitions(): ResultPartitions {
    return this.#partitions;
  }

  /** Retention: drop every daily partition of results older than `days` days; returns their names. */
  async dropResultsOlderThan(days: number, now = Date.now()): Promise<string[]> {
    return this.#partitions.dropBefore(now - days * DAY_MS);
  }

  /** Retention: drop every daily partition of results wholly before `cutoffMs`; returns their names. */
  async dropResultsBefore(cutoffMs: number): Promise<string[]> {
    return this.#partitions.dropBefore(cutoffMs);
  }

  #one<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return queryOne<T>(this.#pool, sql, params);
  }

  #all<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return queryAll<T>(this.#pool, sql, params);
  }

  #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, work);
  }

  async listGaps(agent?: string, limit = 1_000): Promise<GapRecord[]> {
    const rows = await this.#all<Omit<GapRecord, 'perCheck'> & { perCheck: string }>(
      `SELECT a.name AS agent, g.from_result_id AS "fromResultId", g.to_result_id AS "toResultId", g.count, g.reason,
              g.first_ms AS "firstMs", g.last_ms AS "lastMs", g.per_check AS "perCheck", g.received_at AS "receivedAt"
         FROM gaps g JOIN agents a ON a.id = g.agent_id
        WHERE ($1::text IS NULL OR a.name = $1)
        ORDER BY g.received_at DESC, g.from_result_id DESC LIMIT $2`,
      [agent ?? null, limit],
    );
    return rows.map((row) => ({ ...row, perCheck: JSON.parse(row.perCheck) as Record<string, number> }));
  }

  async gapTotals(): Promise<Map<number, { gaps: number; dropped: number }>> {
    const rows = await this.#all<{ agent_id: number; gaps: number; dropped: number }>(
      'SELECT agent_id, count(*) AS gaps, sum(count)::bigint AS dropped FROM gaps GROUP BY agent_id',
    );
    return new Map(rows.map((row) => [row.agent_id, { gaps: row.gaps, dropped: row.dropped }]));
  }

  async ingestBatch(agentId: number, batch: OpenedBatch, receivedAt: number): Promise<IngestOutcome> {
    return (await this.ingestBatches(agentId, [batch], receivedAt))[0]!;
  }

  /**
   * Calls for one agent wait for the previous one in this process instead of on the advisory
   * lock: a waiter holds no pooled connection, and the calls commit in the order they were
   * made. Out of order, a batch would land before its predecessor's results and take the
   * late-history path, several statements per check.
   */
  async ingestBatches(agentId: number, batches: readonly OpenedBatch[], receivedAt: number, options: IngestOptions = {}): Promise<IngestOutcome[]> {
    const run = () => ingestBatchesPg(this.#pool, this.#partitions, this.#timeline, agentId, batches, receivedAt, options.heard ?? true);
    const previous = this.#ingests.get(agentId);
    const next = previous ? previous.then(run, run) : run();
    const settled = next.catch(() => {});
    this.#ingests.set(agentId, settled);
    void settled.then(() => {
      if (this.#ingests.get(agentId) === settled) this.#ingests.delete(agentId);
    });
    return next;
  }

  async forgetCheck(agentId: number, checkId: string, resultId?: number): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM check_state WHERE agent_id = $1 AND check_id = $2 AND ($3::bigint IS NULL OR result_id = $3)', [
      agentId, checkId, resultId ?? null,
    ]);
    return rowCount === 1;
  }

  async listCheckStates(agent?: string, checkId?: string): Promise<CheckStateRecord[]> {
    const rows = await this.#all<CheckStateRow>(
      `${CHECK_STATE_SELECT} WHERE ($1::text IS NULL OR a.name = $1) AND ($2::text IS NULL OR s.check_id = $2) ORDER BY a.name, s.check_id`,
      [agent ?? null, checkId ?? null],
    );
    return rows.map(toCheckState);
  }

  async listOverdueChecks(intervals: number, slackMs: number): Promise<CheckStateRecord[]> {
    const rows = await this.#all<CheckStateRow>(
      `${CHECK_STATE_SELECT} WHERE s.every_ms IS NOT NULL AND s.reported_at IS NOT NULL AND a.last_seen_at > s.reported_at + $1 * s.every_ms + $2 ORDER BY a.name, s.check_id`,
      [intervals, slackMs],
    );
    return rows.map(toCheckState);
  }

  async queryResults(query: ResultQuery): Promise<(ResultRecord & { agentId: number })[]> {
    const after = query.after ?? null;
    const rows = await this.#all<Omit<ResultRecord, 'metrics'> & { agentId: number; metrics: string | null }>(
      `SELECT a.name AS agent, r.agent_id AS "agentId", r.result_id AS "resultId", r.check_id AS "checkId", r.started_at AS "startedAt",
              r.duration_us AS "durationUs", r.status, r.observation, r.message, r.metrics, r.config_hash AS "configHash",
              r.batch_seq AS "batchSeq", r.received_at AS "receivedAt"
         FROM results r JOIN agents a ON a.id = r.agent_id
        WHERE ($1::text IS NULL OR a.name = $1) AND ($2::text IS NULL OR r.check_id = $2)
          AND ($3::bigint IS NULL OR r.started_at >= $3) AND ($4::bigint IS NULL OR r.started_at < $4)
          AND ($5::bigint IS NULL OR (r.started_at, r.agent_id, r.result_id) > ($5, $6::bigint, $7::bigint))
        ORDER BY r.started_at, r.agent_id, r.result_id
        LIMIT $8`,
      [query.agent ?? null, query.checkId ?? null, query.since ?? null, query.until ?? null, after?.startedAt ?? null, after?.agentId ?? null, after?.resultId ?? null, query.limit],
    );
    return rows.map((row) => ({ ...row, metrics: row.metrics ? (JSON.parse(row.metrics) as Record<string, number>) : {} }));
  }

  async queryEvents(query: EventQuery): Promise<EventRecord[]> {
    const before = query.before ?? null;
    const rows = await this.#all<EventRow>(
      `SELECT ${EVENT_COLUMNS}
         FROM events e JOIN agents a ON a.id = e.agent_id
        WHERE ($1::text IS NULL OR a.name = $1) AND ($2::text IS NULL OR e.check_id = $2) AND ($3::text IS NULL OR e.kind = $3)
          AND ($4::bigint IS NULL OR e.at >= $4) AND ($5::bigint IS NULL OR e.at < $5)
          AND ($6::bigint IS NULL OR (e.at, e.id) < ($6, $7::bigint))
        ORDER BY e.at DESC, e.id DESC
        LIMIT $8`,
      [query.agent ?? null, query.checkId ?? null, query.kind ?? null, query.since ?? null, query.until ?? null, before?.at ?? null, before?.id ?? null, query.limit],
    );
    return rows.map(toEvent);
  }

  async appendAgentEvent(agentId: number, kind: EventKind, at: number, message: string, to: number | null = null): Promise<EventRecord> {
    const { id } = (await this.#one<{ id: number }>(
      'INSERT INTO events (kind, agent_id, check_id, at, to_status, message, created_at) VALUES ($1, $2, NULL, $3, $4, $5, $3) RETURNING id',
      [kind, agentId, at, to, message],
    ))!;
    return (await this.#eventById(id))!;
  }

  async listFlapping(sinceMs: number): Promise<{ agentId: number; agent: string; checkId: string; changes: number; status: number }[]> {
    return this.#all(
      `SELECT s.agent_id AS "agentId", a.name AS agent, s.check_id AS "checkId", s.status,
              (SELECT count(*) FROM events e WHERE e.agent_id = s.agent_id AND e.check_id = s.check_id AND e.kind = 'check'
                  AND e.from_status IS NOT NULL AND e.at > $1) AS changes
         FROM check_state s JOIN agents a ON a.id = s.agent_id WHERE s.flapping = 1`,
      [sinceMs],
    );
  }

  async endFlapping(agentId: number, checkId: string, at: number, message: string): Promise<EventRecord | undefined> {
    const id = await this.#transaction(async (c) => {
      const state = (
        await c.query<{ status: number; started_at: number; result_id: number }>(
          'UPDATE check_state SET flapping = 0 WHERE agent_id = $1 AND check_id = $2 AND flapping <> 0 RETURNING status, started_at, result_id',
          [agentId, checkId],
        )
      ).rows[0];
      if (!state) return undefined;
      // The stop is told only where its start was (an imported start was not): it takes the start's reason.
      const { rows } = await c.query<{ id: number }>(
        `INSERT INTO events (kind, agent_id, check_id, at, result_id, to_status, message, created_at, suppressed)
         VALUES ('flapping_stop', $1, $2, $3, $4, $5, $6, $7,
                 (SELECT suppressed FROM events WHERE agent_id = $1 AND check_id = $2 AND kind = 'flapping_start' ORDER BY at DESC, id DESC LIMIT 1))
         RETURNING id`,
        [agentId, checkId, state.started_at, state.result_id, state.status, message, at],
      );
      return rows[0]!.id;
    });
    return id === undefined ? undefined : this.#eventById(id);
  }

  async #eventById(id: number): Promise<EventRecord | undefined> {
    const row = await this.#one<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events e JOIN agents a ON a.id = e.agent_id WHERE e.id = $1`, [id]);
    return row && toEvent(row);
  }

  listSegmentationCells(): Promise<SegmentationCellRecord[]> {
    return this.#segmentation.list();
  }

  putSegmentationCell(cell: { from: string; to: string; colour: CellColour; evidence: string }, at: number): Promise<CellColour | null | undefined> {
    return this.#segmentation.put(cell, at);
  }

  segmentationCellHistory(from: string, to: string, limit: number): Promise<SegmentationHistoryRecord[]> {
    return this.#segmentation.history(from, to, limit);
  }

  markUnexpectedService(host: string, port: number, at: number): Promise<boolean> {
    return this.#segmentation.markUnexpected(host, port, at);
  }

  resultTranscript(agentId: number, resultId: number): Promise<Uint8Array | null> {
    return this.#segmentation.transcript(agentId, resultId);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
