import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, OutpostError, type OpenedBatch } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './sqlite-migrations.js';
import { SqliteAgents } from './sqlite-agents.js';
import { SqliteCheckKeys } from './sqlite-check-keys.js';
import { SqliteIngest } from './sqlite-ingest.js';
import { SqliteSegmentation } from './sqlite-segmentation.js';
import { SqliteTimeline } from './sqlite-timeline.js';
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

/** The newest flapping start's reason for not being notified, for its stop (agent_id, check_id bound last). */
const FLAPPING_START_SUPPRESSED =
  "SELECT suppressed FROM events WHERE agent_id = ? AND check_id = ? AND kind = 'flapping_start' ORDER BY at DESC, id DESC LIMIT 1";

/** Flapping: five changes within ten minutes of check time, unless configured otherwise. */
export const DEFAULT_STATE_SETTINGS: StateEngineSettings = { flapChanges: 5, flapWindowMs: 600_000 };

// The agents-table calls, given by delegateAgentCalls in the constructor.
export interface SqliteStore extends AgentCalls {}

/**
 * The embedded SQLite store (WAL). One transaction per commit of one or more batches: rows
 * with INSERT OR IGNORE on the (agent_id, result_id) key, each check's timeline moved once,
 * the agent's counters.
 *
 * @example
 * const store = SqliteStore.open('/var/lib/outpost-collector/collector.db');
 * const [{ stored, duplicates }] = await store.ingestBatches(agent.id, [batch], Date.now());
 */
export class SqliteStore implements CollectorStore {
  readonly #db: Database.Database;
  readonly #timeline: SqliteTimeline;
  readonly #segmentation: SqliteSegmentation;
  readonly #agents: SqliteAgents;
  readonly #ingest: (agentId: number, batches: readonly OpenedBatch[], receivedAt: number, heard: boolean) => IngestOutcome[];

  private constructor(db: Database.Database, settings: StateEngineSettings) {
    this.#db = db;
    this.#timeline = new SqliteTimeline(db, settings);
    this.#segmentation = new SqliteSegmentation(db);
    this.#agents = new SqliteAgents(db);
    // The agents table: see sqlite-agents.ts.
    delegateAgentCalls(this, this.#agents);
    const keys = new SqliteCheckKeys(db);
    const ingest = new SqliteIngest(db, this.#timeline, keys);
    const transaction = db.transaction((agentId: number, batches: readonly OpenedBatch[], receivedAt: number, heard: boolean) => ingest.run(agentId, batches, receivedAt, heard));
    this.#ingest = (agentId, batches, receivedAt, heard) => {
      try {
        // IMMEDIATE: ingest reads (which ids are stored, check states) before it writes.
        const outcomes = transaction.immediate(agentId, batches, receivedAt, heard);
        keys.committed();
        return outcomes;
      } catch (err: unknown) {
        keys.rolledBack();
        throw err;
      }
    };
  }

  /** The database handle, for the notification queue that shares it. */
  get database(): Database.Database {
    return this.#db;
  }

  /**
   * Open or create the database file (mode 0600). `migrate` (the default; `run` and `init`)
   * brings an older schema up to date; commands pass `migrate: false`, so a new command run
   * beside a still running old collector refuses instead of changing the tables under it.
   */
  static open(path: string, settings: StateEngineSettings = DEFAULT_STATE_SETTINGS, options: { migrate?: boolean } = {}): SqliteStore {
    const fresh = !existsSync(path);
    if (fresh) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path);
    if (fresh) chmodSync(path, 0o600);
    db.pragma('journal_mode = WAL');
    // An Ack promises the rows are durable and the agent deletes them on it: every commit
    // is synced, so not even a power cut after the Ack can take them back.
    db.pragma('synchronous = FULL');
    // A bigger cache and rarer checkpoints: a draining backlog touches many index pages.
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 10000');
    // The running collector and the operator's commands (config set, agents approve, import,
    // backup) share the file: a command waits for a commit in flight rather than failing.
    db.pragma('busy_timeout = 15000');
    db.pragma('foreign_keys = ON');
    try {
      migrateSchema(db, path, options.migrate ?? true);
    } catch (err: unknown) {
      db.close();
      throw err;
    }
    return new SqliteStore(db, settings);
  }

  async listGaps(agent?: string, limit = 1_000): Promise<GapRecord[]> {
    const rows = this.#db
      .prepare(
        `SELECT a.name AS agent, g.from_result_id AS fromResultId, g.to_result_id AS toResultId, g.count, g.reason,
                g.first_ms AS firstMs, g.last_ms AS lastMs, g.per_check AS perCheck, g.received_at AS receivedAt
           FROM gaps g JOIN agents a ON a.id = g.agent_id
          WHERE (? IS NULL OR a.name = ?)
          ORDER BY g.received_at DESC, g.from_result_id DESC LIMIT ?`,
      )
      .all(agent ?? null, agent ?? null, limit) as (Omit<GapRecord, 'perCheck'> & { perCheck: string })[];
    return rows.map((row) => ({ ...row, perCheck: JSON.parse(row.perCheck) as Record<string, number> }));
  }

  async gapTotals(): Promise<Map<number, { gaps: number; dropped: number }>> {
    const rows = this.#db.prepare('SELECT agent_id, count(*) AS gaps, sum(count) AS dropped FROM gaps GROUP BY agent_id').all() as {
      agent_id: number;
      gaps: number;
      dropped: number;
    }[];
    return new Map(rows.map((row) => [row.agent_id, { gaps: row.gaps, dropped: row.dropped }]));
  }

  async ingestBatch(agentId: number, batch: OpenedBatch, receivedAt: number): Promise<IngestOutcome> {
    return this.#ingest(agentId, [batch], receivedAt, true)[0]!;
  }

  async ingestBatches(agentId: number, batches: readonly OpenedBatch[], receivedAt: number, options: IngestOptions = {}): Promise<IngestOutcome[]> {
    // One transaction, so one sync for all of them.
    return batches.length === 0 ? [] : this.#ingest(agentId, batches, receivedAt, options.heard ?? true);
  }

  async forgetCheck(agentId: number, checkId: string, resultId?: number): Promise<boolean> {
    return this.#db.prepare('DELETE FROM check_state WHERE agent_id = ? AND check_id = ? AND (? IS NULL OR result_id = ?)').run(agentId, checkId, resultId ?? null, resultId ?? null).changes === 1;
  }

  async listCheckStates(agent?: string, checkId?: string): Promise<CheckStateRecord[]> {
    const rows = this.#db
      .prepare(`${CHECK_STATE_SELECT} WHERE (? IS NULL OR a.name = ?) AND (? IS NULL OR s.check_id = ?) ORDER BY a.name, s.check_id`)
      .all(agent ?? null, agent ?? null, checkId ?? null, checkId ?? null) as CheckStateRow[];
    return rows.map(toCheckState);
  }

  async listOverdueChecks(intervals: number, slackMs: number): Promise<CheckStateRecord[]> {
    const rows = this.#db
      .prepare(`${CHECK_STATE_SELECT} WHERE s.every_ms IS NOT NULL AND s.reported_at IS NOT NULL AND a.last_seen_at > s.reported_at + ? * s.every_ms + ? ORDER BY a.name, s.check_id`)
      .all(intervals, slackMs) as CheckStateRow[];
    return rows.map(toCheckState);
  }

  async queryResults(query: ResultQuery): Promise<(ResultRecord & { agentId: number })[]> {
    const after = query.after ?? null;
    const rows = this.#db
      .prepare(
        `SELECT a.name AS agent, r.agent_id AS agentId, r.result_id AS resultId, c.check_id AS checkId, r.started_at AS startedAt,
                r.duration_us AS durationUs, r.status, r.observation, r.message, r.metrics, r.config_hash AS configHash,
                r.batch_seq AS batchSeq, r.received_at AS receivedAt
           FROM results r JOIN agents a ON a.id = r.agent_id JOIN checks c ON c.id = r.check_key
          WHERE (? IS NULL OR a.name = ?) AND (? IS NULL OR c.check_id = ?)
            AND (? IS NULL OR r.started_at >= ?) AND (? IS NULL OR r.started_at < ?)
            AND (? IS NULL OR (r.started_at, r.agent_id, r.result_id) > (?, ?, ?))
          ORDER BY r.started_at, r.agent_id, r.result_id
          LIMIT ?`,
      )
      .all(
        query.agent ?? null, query.agent ?? null, query.checkId ?? null, query.checkId ?? null,
        query.since ?? null, query.since ?? null, query.until ?? null, query.until ?? null,
        after?.startedAt ?? null, after?.startedAt ?? null, after?.agentId ?? null, after?.resultId ?? null, query.limit,
      ) as (Omit<ResultRecord, 'metrics'> & { agentId: number; metrics: string | null })[];
    return rows.map((row) => ({ ...row, metrics: row.metrics ? (JSON.parse(row.metrics) as Record<string, number>) : {} }));
  }

  async queryEvents(query: EventQuery): Promise<EventRecord[]> {
    const before = query.before ?? null;
    const rows = this.#db
      .prepare(
        `SELECT ${EVENT_COLUMNS}
           FROM events e JOIN agents a ON a.id = e.agent_id
          WHERE (? IS NULL OR a.name = ?) AND (? IS NULL OR e.check_id = ?) AND (? IS NULL OR e.kind = ?)
            AND (? IS NULL OR e.at >= ?) AND (? IS NULL OR e.at < ?)
            AND (? IS NULL OR (e.at, e.id) < (?, ?))
          ORDER BY e.at DESC, e.id DESC
          LIMIT ?`,
      )
      .all(
        query.agent ?? null, query.agent ?? null, query.checkId ?? null, query.checkId ?? null, query.kind ?? null, query.kind ?? null,
        query.since ?? null, query.since ?? null, query.until ?? null, query.until ?? null,
        before?.at ?? null, before?.at ?? null, before?.id ?? null, query.limit,
      ) as EventRow[];
    return rows.map(toEvent);
  }

  async appendAgentEvent(agentId: number, kind: EventKind, at: number, message: string, to: number | null = null): Promise<EventRecord> {
    const { lastInsertRowid } = this.#db
      .prepare('INSERT INTO events (kind, agent_id, check_id, at, to_status, message, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?)')
      .run(kind, agentId, at, to, message, at);
    return this.#eventById(Number(lastInsertRowid))!;
  }

  async listFlapping(sinceMs: number): Promise<{ agentId: number; agent: string; checkId: string; changes: number; status: number }[]> {
    return this.#db
      .prepare(
        `SELECT s.agent_id AS agentId, a.name AS agent, s.check_id AS checkId, s.status,
                (SELECT count(*) FROM events e WHERE e.agent_id = s.agent_id AND e.check_id = s.check_id AND e.kind = 'check'
                    AND e.from_status IS NOT NULL AND e.at > ?) AS changes
           FROM check_state s JOIN agents a ON a.id = s.agent_id WHERE s.flapping = 1`,
      )
      .all(sinceMs) as { agentId: number; agent: string; checkId: string; changes: number; status: number }[];
  }

  async endFlapping(agentId: number, checkId: string, at: number, message: string): Promise<EventRecord | undefined> {
    return this.#db.transaction(() => {
      if (!this.#timeline.clearFlapping(agentId, checkId)) return undefined;
      const state = this.#db.prepare('SELECT status, started_at, result_id FROM check_state WHERE agent_id = ? AND check_id = ?').get(agentId, checkId) as
        | { status: number; started_at: number; result_id: number }
        | undefined;
      // The stop is told only where its start was (an imported start was not): it takes the start's reason.
      const { lastInsertRowid } = this.#db
        .prepare(
          `INSERT INTO events (kind, agent_id, check_id, at, result_id, to_status, message, created_at, suppressed)
           VALUES ('flapping_stop', ?, ?, ?, ?, ?, ?, ?, (${FLAPPING_START_SUPPRESSED}))`,
        )
        .run(agentId, checkId, state?.started_at ?? at, state?.result_id ?? null, state?.status ?? null, message, at, agentId, checkId);
      return this.#eventById(Number(lastInsertRowid));
    }).immediate();
  }

  #eventById(id: number): EventRecord | undefined {
    const row = this.#db.prepare(`SELECT ${EVENT_COLUMNS} FROM events e JOIN agents a ON a.id = e.agent_id WHERE e.id = ?`).get(id) as EventRow | undefined;
    return row && toEvent(row);
  }

  async listSegmentationCells(): Promise<SegmentationCellRecord[]> {
    return this.#segmentation.list();
  }

  async putSegmentationCell(cell: { from: string; to: string; colour: CellColour; evidence: string }, at: number): Promise<CellColour | null | undefined> {
    return this.#segmentation.put(cell, at);
  }

  async segmentationCellHistory(from: string, to: string, limit: number): Promise<SegmentationHistoryRecord[]> {
    return this.#segmentation.history(from, to, limit);
  }

  async markUnexpectedService(host: string, port: number, at: number): Promise<boolean> {
    return this.#segmentation.markUnexpected(host, port, at);
  }

  async resultTranscript(agentId: number, resultId: number): Promise<Uint8Array | null> {
    return this.#segmentation.transcript(agentId, resultId);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  // Retention (see retention.ts). Synchronous and bounded: each call is one short
  // transaction, so the caller can yield to ingest between chunks.

  /** Delete up to `maxRows` results whose check time is before `cutoffMs`; returns how many went. */
  deleteResultsBefore(cutoffMs: number, maxRows: number): number {
    return this.#db
      .prepare('DELETE FROM results WHERE (agent_id, result_id) IN (SELECT agent_id, result_id FROM results WHERE started_at < ? LIMIT ?)')
      .run(cutoffMs, maxRows).changes;
  }

  /** Delete up to `maxRows` events (check and agent) dated before `cutoffMs`. */
  deleteEventsBefore(cutoffMs: number, maxRows: number): number {
    return this.#db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? LIMIT ?)').run(cutoffMs, maxRows).changes;
  }

  /** `PRAGMA auto_vacuum`: only 'incremental' lets the file shrink without a full VACUUM. */
  vacuumMode(): 'none' | 'full' | 'incremental' {
    return (['none', 'full', 'incremental'] as const)[this.#db.pragma('auto_vacuum', { simple: true }) as number] ?? 'none';
  }

  /** Size of the main database file's pages, and how many of them are free. */
  databasePages(): { pageSize: number; pages: number; freePages: number } {
    return {
      pageSize: this.#db.pragma('page_size', { simple: true }) as number,
      pages: this.#db.pragma('page_count', { simple: true }) as number,
      freePages: this.#db.pragma('freelist_count', { simple: true }) as number,
    };
  }

  /**
   * Switch the file to `auto_vacuum = INCREMENTAL`. SQLite applies that to an existing
   * database only by rebuilding it with VACUUM: it holds the write lock throughout and
   * needs free disk space of about the database's size.
   */
  enableIncrementalVacuum(): void {
    this.#db.pragma('auto_vacuum = INCREMENTAL');
    this.#db.exec('VACUUM');
  }

  /** Return up to `maxPages` free pages to the file system; returns how many were free before. */
  incrementalVacuum(maxPages: number): number {
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    if (free > 0) this.#db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(maxPages))})`);
    return free;
  }
}

/**
 * Bring the schema to the newest version, one step per IMMEDIATE transaction that re-reads
 * the version first: two processes starting together take turns, and the second finds the
 * work done. A schema newer than this code, or an older one when `allowed` is false, is
 * refused with what to do.
 */
function migrateSchema(db: Database.Database, path: string, allowed: boolean): void {
  const latest = MIGRATIONS.length;
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const current = version();
  if (current > latest) {
    throw new OutpostError(ErrorCode.CONFIG, `${path}: schema version ${current} was written by a newer outpost-collector (this one knows ${latest}): use that version`);
  }
  if (current === latest) return;
  if (!allowed && current > 0) {
    throw new OutpostError(
      ErrorCode.CONFIG,
      `${path}: schema version ${current}, this outpost-collector needs ${latest}: stop the old collector, start this version's \`outpost-collector run\` once (it migrates the file), then run this command again`,
    );
  }
  const step = db.transaction((): boolean => {
    const v = version();
    if (v >= latest) return false;
    db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${v + 1}`);
    return true;
  });
  for (let more = true; more; ) more = step.immediate();
}
