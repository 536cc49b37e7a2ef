import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OpenedBatch, Result } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './sqlite-migrations.js';
import { SqliteSegmentation } from './sqlite-segmentation.js';
import { SqliteTimeline } from './sqlite-timeline.js';
import { EVENT_COLUMNS, toAgent, toEvent, type AgentRow, type EventRow } from './store-rows.js';
import type {
  AgentConfigRecord,
  AgentRecord,
  AgentStatus,
  CellColour,
  CheckStateRecord,
  CollectorStore,
  EnrollOutcome,
  EventKind,
  EventQuery,
  EventRecord,
  GapRecord,
  IngestOutcome,
  ResultQuery,
  ResultRecord,
  SegmentationCellRecord,
  SegmentationHistoryRecord,
  StateEngineSettings,
} from './store.js';

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

/** Flapping: five changes within ten minutes of check time, unless configured otherwise. */
export const DEFAULT_STATE_SETTINGS: StateEngineSettings = { flapChanges: 5, flapWindowMs: 600_000 };

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
  readonly #insertResult: Database.Statement;
  readonly #insertGap: Database.Statement;
  readonly #timeline: SqliteTimeline;
  readonly #segmentation: SqliteSegmentation;
  readonly #bumpAgent: Database.Statement;
  readonly #agentName: Database.Statement<[number], { name: string }>;
  readonly #ingest: (agentId: number, batches: readonly OpenedBatch[], receivedAt: number) => IngestOutcome[];

  private constructor(db: Database.Database, settings: StateEngineSettings) {
    this.#db = db;
    this.#timeline = new SqliteTimeline(db, settings);
    this.#segmentation = new SqliteSegmentation(db);
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
         last_batch_seq = max(last_batch_seq, ?), max_result_id = max(max_result_id, ?), last_seen_at = ?
       WHERE id = ?`,
    );
    this.#ingest = db.transaction((agentId: number, batches: readonly OpenedBatch[], receivedAt: number) => this.#ingestAll(agentId, batches, receivedAt));
  }

  /**
   * Store several batches of one agent and move their checks' timelines, inside the caller's
   * transaction. Each check's timeline is moved once per commit, not once per batch: with
   * 1000 checks a 1000-result batch otherwise doubles the statements. A check's results of
   * several batches are applied together only when they arrive in timeline order, which
   * gives what applying them batch by batch gives; otherwise what waits is applied first.
   */
  #ingestAll(agentId: number, batches: readonly OpenedBatch[], receivedAt: number): IngestOutcome[] {
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
    this.#bumpAgent.run(storedAll, total - storedAll, maxSeq, maxId, receivedAt, agentId);
    return outcomes;
  }

  /** The database handle, for the notification queue that shares it. */
  get database(): Database.Database {
    return this.#db;
  }

  /** Open or create the database file (mode 0600) and run pending migrations. */
  static open(path: string, settings: StateEngineSettings = DEFAULT_STATE_SETTINGS): SqliteStore {
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
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
    return new SqliteStore(db, settings);
  }

  async findAgentByKey(publicKey: Uint8Array): Promise<AgentRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM agents WHERE public_key = ?').get(Buffer.from(publicKey)) as AgentRow | undefined;
    return row && toAgent(row);
  }

  async findAgentByName(name: string): Promise<AgentRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM agents WHERE name = ?').get(name) as AgentRow | undefined;
    return row && toAgent(row);
  }

  async findAgentByPreviousKey(publicKey: Uint8Array): Promise<AgentRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM agents WHERE previous_public_key = ?').get(Buffer.from(publicKey)) as AgentRow | undefined;
    return row && toAgent(row);
  }

  async rotateAgentKey(agentId: number, newKey: Uint8Array): Promise<'rotated' | 'key_in_use'> {
    return this.#db.transaction((): 'rotated' | 'key_in_use' => {
      const holder = this.#db.prepare('SELECT id FROM agents WHERE public_key = ?').get(Buffer.from(newKey)) as { id: number } | undefined;
      if (holder) return holder.id === agentId ? 'rotated' : 'key_in_use';
      this.#db.prepare('UPDATE agents SET previous_public_key = public_key, public_key = ? WHERE id = ?').run(Buffer.from(newKey), agentId);
      return 'rotated';
    })();
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (this.#db.prepare('SELECT * FROM agents ORDER BY name').all() as AgentRow[]).map(toAgent);
  }

  async createPendingAgent(name: string, publicKey: Uint8Array, at: number, maxPending: number): Promise<'created' | 'name_taken' | 'limit'> {
    return this.#db.transaction((): 'created' | 'name_taken' | 'limit' => {
      const { n } = this.#db.prepare("SELECT count(*) AS n FROM agents WHERE status = 'pending'").get() as { n: number };
      if (n >= maxPending) return 'limit';
      const info = this.#db
        .prepare("INSERT OR IGNORE INTO agents (name, public_key, status, created_at) VALUES (?, ?, 'pending', ?)")
        .run(name, Buffer.from(publicKey), at);
      return info.changes === 1 ? 'created' : 'name_taken';
    })();
  }

  async setAgentStatus(name: string, status: AgentStatus, at: number): Promise<boolean> {
    const approved = status === 'active' ? at : null;
    const info = this.#db
      .prepare('UPDATE agents SET status = ?, approved_at = coalesce(?, approved_at) WHERE name = ?')
      .run(status, approved, name);
    return info.changes === 1;
  }

  async createToken(tokenHash: string, agentName: string | null, expiresAt: number, at: number): Promise<void> {
    this.#db
      .prepare('INSERT INTO enrollment_tokens (token_hash, agent_name, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(tokenHash, agentName, at, expiresAt);
  }

  async enrollWithToken(tokenHash: string, name: string, publicKey: Uint8Array, at: number): Promise<EnrollOutcome> {
    return this.#db.transaction((): EnrollOutcome => {
      const taken = this.#db.prepare('SELECT public_key, status FROM agents WHERE name = ?').get(name) as
        | { public_key: Buffer; status: AgentStatus }
        | undefined;
      if (taken && taken.status !== 'pending' && !Buffer.from(publicKey).equals(taken.public_key)) return 'name_taken';
      const used = this.#db
        .prepare(
          `UPDATE enrollment_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
             AND (agent_name IS NULL OR agent_name = ?)`,
        )
        .run(at, tokenHash, at, name);
      if (used.changes !== 1) return 'bad_token';
      this.#db
        .prepare(
          `INSERT INTO agents (name, public_key, status, created_at, approved_at) VALUES (?, ?, 'active', ?, ?)
           ON CONFLICT (name) DO UPDATE SET public_key = excluded.public_key, status = 'active', approved_at = excluded.approved_at`,
        )
        .run(name, Buffer.from(publicKey), at, at);
      const { id } = this.#db.prepare('SELECT id FROM agents WHERE name = ?').get(name) as { id: number };
      this.#db.prepare('UPDATE enrollment_tokens SET used_by = ? WHERE token_hash = ?').run(id, tokenHash);
      return 'enrolled';
    })();
  }

  async recordHello(
    agentId: number,
    hello: {
      software: string; configHash: string; configVersion: number; clockOffsetMs: number; remoteAddress: string; heartbeatIntervalMs: number; at: number;
    },
  ): Promise<void> {
    this.#db
      .prepare(
        `UPDATE agents SET software = ?, config_hash = ?, config_version = ?, clock_offset_ms = ?, remote_address = ?, last_seen_at = ?,
           heartbeat_interval_ms = coalesce(?, heartbeat_interval_ms) WHERE id = ?`,
      )
      .run(hello.software, hello.configHash, hello.configVersion, hello.clockOffsetMs, hello.remoteAddress, hello.at, hello.heartbeatIntervalMs || null, agentId);
  }

  async recordRelayPath(agentId: number, path: readonly string[] | null, at: number): Promise<void> {
    this.#db
      .prepare('UPDATE agents SET relay_path = ?, last_seen_at = max(coalesce(last_seen_at, 0), ?) WHERE id = ?')
      .run(path ? JSON.stringify(path) : null, at, agentId);
  }

  async recordRelayHealth(agentId: number, health: { agents: number; backlog: number }): Promise<void> {
    this.#db.prepare('UPDATE agents SET relay_agents = ?, relay_backlog = ? WHERE id = ?').run(health.agents, health.backlog, agentId);
  }

  async recordHeartbeat(
    agentId: number,
    heartbeat: { backlog: number; oldestUnsentMs: number; dropped: number; configHash: string; configVersion: number; configError: string; at: number },
  ): Promise<void> {
    // An agent that does not report its config (older software) leaves what its Hello said.
    this.#db
      .prepare(
        `UPDATE agents SET backlog = ?, oldest_unsent_ms = ?, dropped = ?, last_seen_at = ?,
           config_hash = coalesce(nullif(?, ''), config_hash), config_version = CASE WHEN ? = '' THEN config_version ELSE ? END,
           config_error = CASE WHEN ? = '' THEN config_error ELSE nullif(?, '') END
         WHERE id = ?`,
      )
      .run(
        heartbeat.backlog, heartbeat.oldestUnsentMs || null, heartbeat.dropped, heartbeat.at,
        heartbeat.configHash, heartbeat.configHash, heartbeat.configVersion, heartbeat.configHash, heartbeat.configError, agentId,
      );
  }

  async putAgentConfig(agentId: number, config: Uint8Array, sign: (version: number) => Uint8Array, at: number): Promise<number> {
    return this.#db.transaction((): number => {
      const { v } = this.#db.prepare('SELECT coalesce(max(version), 0) AS v FROM agent_configs WHERE agent_id = ?').get(agentId) as { v: number };
      const version = v + 1;
      this.#db
        .prepare('INSERT INTO agent_configs (agent_id, version, config, signature, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(agentId, version, Buffer.from(config), Buffer.from(sign(version)), at);
      return version;
    })();
  }

  async latestAgentConfig(agentId: number): Promise<AgentConfigRecord | undefined> {
    const row = this.#db
      .prepare('SELECT version, config, signature, created_at AS createdAt FROM agent_configs WHERE agent_id = ? ORDER BY version DESC LIMIT 1')
      .get(agentId) as { version: number; config: Buffer; signature: Buffer; createdAt: number } | undefined;
    return row && { version: row.version, config: new Uint8Array(row.config), signature: new Uint8Array(row.signature), createdAt: row.createdAt };
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
    return this.#ingest(agentId, [batch], receivedAt)[0]!;
  }

  async ingestBatches(agentId: number, batches: readonly OpenedBatch[], receivedAt: number): Promise<IngestOutcome[]> {
    // One transaction, so one sync for all of them.
    return batches.length === 0 ? [] : this.#ingest(agentId, batches, receivedAt);
  }

  async listCheckStates(agent?: string, checkId?: string): Promise<CheckStateRecord[]> {
    const rows = this.#db
      .prepare(
        `SELECT a.name AS agent, s.check_id AS checkId, s.status, s.observation, s.message, s.started_at AS startedAt,
                s.result_id AS resultId, s.since, s.duration_us AS durationUs, s.metrics, s.last_ok AS lastOk, s.flapping
           FROM check_state s JOIN agents a ON a.id = s.agent_id
          WHERE (? IS NULL OR a.name = ?) AND (? IS NULL OR s.check_id = ?)
          ORDER BY a.name, s.check_id`,
      )
      .all(agent ?? null, agent ?? null, checkId ?? null, checkId ?? null) as (Omit<CheckStateRecord, 'metrics' | 'flapping'> & { metrics: string | null; flapping: number })[];
    return rows.map((row) => ({ ...row, metrics: row.metrics ? (JSON.parse(row.metrics) as Record<string, number>) : {}, flapping: row.flapping === 1 }));
  }

  async queryResults(query: ResultQuery): Promise<(ResultRecord & { agentId: number })[]> {
    const after = query.after ?? null;
    const rows = this.#db
      .prepare(
        `SELECT a.name AS agent, r.agent_id AS agentId, r.result_id AS resultId, r.check_id AS checkId, r.started_at AS startedAt,
                r.duration_us AS durationUs, r.status, r.observation, r.message, r.metrics, r.config_hash AS configHash,
                r.batch_seq AS batchSeq, r.received_at AS receivedAt
           FROM results r JOIN agents a ON a.id = r.agent_id
          WHERE (? IS NULL OR a.name = ?) AND (? IS NULL OR r.check_id = ?)
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

  async setAgentSilence(agentId: number, since: number | null): Promise<boolean> {
    const sql = since === null
      ? 'UPDATE agents SET silent_since = NULL WHERE id = ? AND silent_since IS NOT NULL'
      : 'UPDATE agents SET silent_since = ? WHERE id = ? AND silent_since IS NULL';
    const info = since === null ? this.#db.prepare(sql).run(agentId) : this.#db.prepare(sql).run(since, agentId);
    return info.changes === 1;
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
      const { lastInsertRowid } = this.#db
        .prepare("INSERT INTO events (kind, agent_id, check_id, at, result_id, to_status, message, created_at) VALUES ('flapping_stop', ?, ?, ?, ?, ?, ?, ?)")
        .run(agentId, checkId, state?.started_at ?? at, state?.result_id ?? null, state?.status ?? null, message, at);
      return this.#eventById(Number(lastInsertRowid));
    })();
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
