import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pb, type GapInit, type Status } from '@outpost/protocol';
import Database from 'better-sqlite3';
import { planCompaction, planExportedRelease, type CompactionRow, type OutboxBudget } from './outbox-compaction.js';
import { fitWireLimits, ResultEncoder } from './result-wire.js';

/** A result as the scheduler hands it over; the outbox gives it its identity. */
export interface NewResult {
  checkId: string;
  startedAtMs: number;
  durationUs: number;
  status: Status;
  observation: string;
  message: string;
  metrics: Record<string, number>;
  transcript?: Uint8Array;
  checkConfigHash: string;
}

export interface StoredResult {
  resultId: number;
  /** The encoded protobuf Result, ready to be copied into a batch. */
  body: Uint8Array;
  bytes: number;
}

export interface OutboxDepth {
  count: number;
  /** Bytes of encoded results waiting. */
  bytes: number;
  oldestStartedAtMs: number | undefined;
  maxResultId: number;
  /** Results dropped (and reported as gaps) since the outbox was created. */
  dropped: number;
}

/** A gap record waiting to be delivered. */
export interface StoredGap {
  gapId: number;
  gap: GapInit;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS results (
  result_id  INTEGER PRIMARY KEY AUTOINCREMENT,
  check_id   TEXT    NOT NULL,
  started_at INTEGER NOT NULL,
  status     INTEGER NOT NULL,
  body       BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS gaps (
  gap_id INTEGER PRIMARY KEY AUTOINCREMENT,
  body   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exports (
  export_id   TEXT PRIMARY KEY,
  created_at  INTEGER NOT NULL,
  dir         TEXT    NOT NULL,
  from_id     INTEGER NOT NULL,
  through_id  INTEGER NOT NULL,
  results     INTEGER NOT NULL,
  files       INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** One `outpost-agent export`: rows up to `throughId` (and gap records up to `gapsThroughId`) are on media now. */
export interface ExportRecord {
  exportId: string;
  createdMs: number;
  dir: string;
  fromId: number;
  throughId: number;
  gapsThroughId: number;
  results: number;
  files: number;
}

/**
 * The agent's SQLite outbox. Every result is written here the moment it is made, with a
 * result id that is strictly increasing and never reused (AUTOINCREMENT keeps the high
 * mark in sqlite_sequence even after rows are deleted). Rows leave only when the
 * collector acknowledged them.
 *
 * @example
 * const outbox = Outbox.open('/var/lib/outpost/outbox.db');
 * outbox.append([result]);            // one transaction for the whole group
 * const rows = outbox.readAfter(0, 1000, 1 << 20);
 * outbox.remove(rows[0].resultId, rows.at(-1).resultId); // after the Ack
 */
export class Outbox {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #encoder = new ResultEncoder();
  readonly #readAfter: Database.Statement<[number, number], { result_id: number; body: Buffer }>;
  readonly #remove: Database.Statement<[number, number]>;
  readonly #removeOne: Database.Statement<[number], { size: number } | undefined>;
  readonly #getMeta: Database.Statement<[string], { value: string }>;
  readonly #setMeta: Database.Statement<[string, string]>;
  #nextId: number;
  #count: number;
  #bytes: number;
  /** SQLite's data_version when #count and #bytes were last right: another process (export, apply-receipt) changes it. */
  #dataVersion: number;
  /** Gap records that could not be written (the disk was full); delivered from memory. */
  readonly #unsavedGaps: GapInit[] = [];

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare('INSERT INTO results (result_id, check_id, started_at, status, body) VALUES (?, ?, ?, ?, ?)');
    this.#readAfter = db.prepare('SELECT result_id, body FROM results WHERE result_id > ? ORDER BY result_id LIMIT ?');
    this.#remove = db.prepare('DELETE FROM results WHERE result_id BETWEEN ? AND ?');
    this.#removeOne = db.prepare('DELETE FROM results WHERE result_id = ? RETURNING length(body) AS size');
    this.#getMeta = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.#setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'results'").get() as { seq: number } | undefined;
    this.#nextId = (seq?.seq ?? 0) + 1;
    const totals = db.prepare('SELECT count(*) AS count, coalesce(sum(length(body)), 0) AS bytes FROM results').get() as { count: number; bytes: number };
    this.#count = totals.count;
    this.#bytes = totals.bytes;
    this.#dataVersion = db.pragma('data_version', { simple: true }) as number;
  }

  /** Recount after another process committed (`apply-receipt` deletes rows): the running agent's budget must see it. */
  #syncTotals(): void {
    const version = this.#db.pragma('data_version', { simple: true }) as number;
    if (version === this.#dataVersion) return;
    this.#dataVersion = version;
    const totals = this.#db.prepare('SELECT count(*) AS count, coalesce(sum(length(body)), 0) AS bytes FROM results').get() as { count: number; bytes: number };
    this.#count = totals.count;
    this.#bytes = totals.bytes;
  }

  /** Open (creating if needed) the outbox file with WAL journaling. */
  static open(path: string, options: { readonly?: boolean } = {}): Outbox {
    const fresh = !options.readonly && !existsSync(path);
    if (fresh) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    // Results can name internal hosts and services: owner only (SQLite gives -wal and -shm the same mode).
    if (fresh) chmodSync(path, 0o600);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process crash (SIGKILL) without losing commits; only
      // an OS crash or power loss can take the last transactions back.
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
    }
    db.pragma('busy_timeout = 5000');
    return new Outbox(db);
  }

  /** Write a group of results in one transaction; returns their new result ids. */
  append(results: readonly NewResult[]): number[] {
    if (results.length === 0) return [];
    const first = this.#nextId;
    const ids: number[] = [];
    let bytes = 0;
    this.#db.transaction(() => {
      let id = first;
      for (const r of results) {
        // A view into the encoder's buffer: SQLite copies it when binding.
        const body = this.#encoder.encode(fitWireLimits(r), id);
        this.#insert.run(id, r.checkId, r.startedAtMs, r.status, body);
        bytes += body.length;
        ids.push(id++);
      }
    })();
    this.#nextId = first + results.length;
    this.#count += results.length;
    this.#bytes += bytes;
    return ids;
  }

  /**
   * Results that could not be written (disk full, I/O error) still get their ids, and a
   * gap record for them is kept; if even that cannot be written it is held in memory and
   * delivered from there. Loss is never silent.
   */
  recordLost(results: readonly NewResult[], reason: string): GapInit {
    const fromResultId = this.#nextId;
    this.#nextId += results.length;
    const perCheck: Record<string, number> = {};
    let firstMs = Infinity;
    let lastMs = -Infinity;
    for (const r of results) {
      perCheck[r.checkId] = (perCheck[r.checkId] ?? 0) + 1;
      firstMs = Math.min(firstMs, r.startedAtMs);
      lastMs = Math.max(lastMs, r.startedAtMs);
    }
    const gap: GapInit = { fromResultId, toResultId: this.#nextId - 1, count: results.length, reason, firstMs, lastMs, perCheck };
    try {
      this.#db.transaction(() => {
        this.#setSequence(this.#nextId - 1);
        this.#saveGap(gap, results.length);
      })();
    } catch {
      this.#unsavedGaps.push(gap);
    }
    return gap;
  }

  #saveGap(gap: GapInit, dropped: number): void {
    this.#db.prepare('INSERT INTO gaps (body) VALUES (?)').run(JSON.stringify(gap));
    this.#setMeta.run('dropped_total', String(Number(this.getMeta('dropped_total') ?? 0) + dropped));
  }

  /**
   * Enforce the budget on rows after `protectThroughId` (rows up to it may be in flight):
   * drop repeats as planned by planCompaction and store the gap record, in one transaction.
   */
  compact(budget: OutboxBudget, protectThroughId: number, protect: ReadonlySet<number> = new Set(), nowMs = Date.now()): GapInit | undefined {
    this.#syncTotals();
    if (this.#bytes <= budget.maxBytes && !this.#hasOlderThan(nowMs - budget.maxAgeMs)) return undefined;
    if (this.#releaseExported(budget, protectThroughId, protect, nowMs)) return undefined;
    const rows = this.#db
      .prepare('SELECT result_id AS resultId, check_id AS checkId, status, started_at AS startedAtMs, length(body) AS bytes FROM results WHERE result_id > ? ORDER BY result_id')
      .all(protectThroughId) as CompactionRow[];
    const plan = planCompaction(rows, this.#bytes, budget, nowMs, this.#bytes > budget.maxBytes ? 'cap' : 'age', protect);
    if (!plan.gap) return undefined;
    this.#db.transaction(() => {
      for (const id of plan.dropIds) this.#removeOne.get(id);
      this.#saveGap(plan.gap!, plan.dropIds.length);
    })();
    this.#count -= plan.dropIds.length;
    this.#bytes -= plan.droppedBytes;
    return plan.gap;
  }

  /**
   * Exported rows are on media already: under budget pressure they go first (oldest first),
   * without a gap record, before any row that exists only here. True when that was enough.
   */
  #releaseExported(budget: OutboxBudget, protectThroughId: number, protect: ReadonlySet<number>, nowMs: number): boolean {
    const through = this.exportedThroughId();
    if (through <= protectThroughId) return false;
    const rows = this.#db
      .prepare('SELECT result_id AS id, started_at AS startedAtMs, length(body) AS bytes FROM results WHERE result_id > ? AND result_id <= ? ORDER BY result_id')
      .all(protectThroughId, through) as { id: number; startedAtMs: number; bytes: number }[];
    const { drop, bytesAfter } = planExportedRelease(rows, this.#bytes, budget, nowMs, protect);
    if (drop.length > 0) {
      this.#db.transaction(() => {
        for (const row of drop) this.#removeOne.get(row.id);
        this.#setMeta.run('exported_released', String(Number(this.getMeta('exported_released') ?? 0) + drop.length));
      })();
      this.#count -= drop.length;
      this.#bytes = bytesAfter;
    }
    return this.#bytes <= budget.maxBytes && !this.#hasOlderThan(nowMs - budget.maxAgeMs);
  }

  /** Highest result id an export has written to media (0 when none). */
  exportedThroughId(): number {
    return Number(this.getMeta('exported_through_id') ?? 0);
  }

  /** Highest gap record id an export has written to media (0 when none). */
  exportedGapsThroughId(): number {
    return Number(this.getMeta('exported_gaps_through_id') ?? 0);
  }

  /** Record an export and mark its rows exported, in one transaction. Rows stay until acked or a receipt is applied. */
  markExported(record: ExportRecord): void {
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO exports (export_id, created_at, dir, from_id, through_id, results, files) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(record.exportId, record.createdMs, record.dir, record.fromId, record.throughId, record.results, record.files);
      this.#setMeta.run('exported_through_id', String(Math.max(this.exportedThroughId(), record.throughId)));
      this.#setMeta.run('exported_gaps_through_id', String(Math.max(this.exportedGapsThroughId(), record.gapsThroughId)));
    })();
  }

  /** Waiting results with an id above `afterId`. */
  countAfter(afterId: number): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM results WHERE result_id > ?').get(afterId) as { n: number }).n;
  }

  #hasOlderThan(cutoffMs: number): boolean {
    const row = this.#db.prepare('SELECT started_at FROM results ORDER BY result_id LIMIT 1').get() as { started_at: number } | undefined;
    return row !== undefined && row.started_at < cutoffMs;
  }

  /** Gap records not yet acknowledged, oldest first (those held in memory included). */
  pendingGaps(limit: number): StoredGap[] {
    const rows = this.#db.prepare('SELECT gap_id, body FROM gaps ORDER BY gap_id LIMIT ?').all(limit) as { gap_id: number; body: string }[];
    const saved = rows.map((row) => ({ gapId: row.gap_id, gap: JSON.parse(row.body) as GapInit }));
    return [...saved, ...this.#unsavedGaps.slice(0, Math.max(0, limit - saved.length)).map((gap) => ({ gapId: -1, gap }))];
  }

  /** The collector stored these gap records. */
  removeGaps(gaps: readonly StoredGap[]): void {
    const remove = this.#db.prepare('DELETE FROM gaps WHERE gap_id = ?');
    this.#db.transaction(() => {
      for (const { gapId, gap } of gaps) {
        if (gapId >= 0) remove.run(gapId);
        else this.#unsavedGaps.splice(this.#unsavedGaps.indexOf(gap), 1);
      }
    })();
  }

  /**
   * Make sure every unsent and future result id is above `collectorMaxId`. Needed only when
   * this outbox is behind what the collector already holds for this agent key (the
   * database was lost, the key kept): its rows are renumbered, in order, above that id.
   * Returns how many rows were renumbered.
   */
  rebase(collectorMaxId: number): number {
    if (this.#nextId > collectorMaxId) return 0;
    const rows = this.#db.prepare('SELECT result_id, check_id, started_at, status, body FROM results ORDER BY result_id').all() as {
      result_id: number;
      check_id: string;
      started_at: number;
      status: number;
      body: Buffer;
    }[];
    let id = collectorMaxId + 1;
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM results').run();
      for (const row of rows) {
        const result = pb.Result.decode(row.body);
        result.resultId = id;
        this.#insert.run(id++, row.check_id, row.started_at, row.status, pb.Result.encode(result).finish());
      }
      // AUTOINCREMENT's high mark must not fall back below the collector's.
      this.#setSequence(id - 1);
    })();
    this.#nextId = id;
    const totals = this.#db.prepare('SELECT coalesce(sum(length(body)), 0) AS bytes FROM results').get() as { bytes: number };
    this.#bytes = totals.bytes;
    return rows.length;
  }

  /** Move AUTOINCREMENT's high mark, so ids handed out without a row are never reused. */
  #setSequence(seq: number): void {
    this.#db.prepare("DELETE FROM sqlite_sequence WHERE name = 'results'").run();
    this.#db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('results', ?)").run(seq);
  }

  /**
   * Up to `maxResults` rows after `afterId` in id order, stopping before `maxBytes`, passing
   * over ids in `skip` (sent ahead of their turn).
   */
  readAfter(afterId: number, maxResults: number, maxBytes: number, skip?: ReadonlySet<number>): StoredResult[] {
    const out: StoredResult[] = [];
    let bytes = 0;
    for (const row of this.#readAfter.iterate(afterId, maxResults + (skip?.size ?? 0))) {
      if (skip?.has(row.result_id)) continue;
      // Each result costs its bytes plus a tag and a length prefix in the batch.
      const size = row.body.length + 6;
      if (out.length >= maxResults || (out.length > 0 && bytes + size > maxBytes)) break;
      bytes += size;
      out.push({ resultId: row.result_id, body: row.body, bytes: size });
    }
    return out;
  }

  /** The newest waiting result of every check: sent first after a reconnect. */
  readNewestPerCheck(maxResults: number): StoredResult[] {
    const rows = this.#db
      .prepare('SELECT result_id, body FROM results WHERE result_id IN (SELECT max(result_id) FROM results GROUP BY check_id) ORDER BY result_id LIMIT ?')
      .all(maxResults) as { result_id: number; body: Buffer }[];
    return rows.map((row) => ({ resultId: row.result_id, body: row.body, bytes: row.body.length + 6 }));
  }

  /** Delete acknowledged rows, inclusive; returns how many went. */
  remove(fromId: number, toId: number): number {
    const sized = this.#db.prepare('SELECT count(*) AS n, coalesce(sum(length(body)), 0) AS bytes FROM results WHERE result_id BETWEEN ? AND ?').get(fromId, toId) as { n: number; bytes: number };
    const removed = this.#remove.run(fromId, toId).changes;
    this.#count -= removed;
    this.#bytes -= sized.bytes;
    return removed;
  }

  /** Delete acknowledged rows by id, in one transaction; returns how many went. */
  removeIds(ids: readonly number[]): number {
    let removed = 0;
    this.#db.transaction(() => {
      for (const id of ids) {
        const row = this.#removeOne.get(id);
        if (row) {
          removed += 1;
          this.#bytes -= row.size;
        }
      }
    })();
    this.#count -= removed;
    return removed;
  }

  depth(): OutboxDepth {
    this.#syncTotals();
    const oldest = this.#db.prepare('SELECT started_at FROM results ORDER BY result_id LIMIT 1').get() as { started_at: number } | undefined;
    return {
      count: this.#count,
      bytes: this.#bytes,
      oldestStartedAtMs: oldest?.started_at,
      maxResultId: this.#nextId - 1,
      dropped: Number(this.getMeta('dropped_total') ?? 0),
    };
  }

  getMeta(key: string): string | undefined {
    return this.#getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.#setMeta.run(key, value);
  }

  /** Set several meta keys in one transaction. */
  setMetas(values: Record<string, string>): void {
    this.#db.transaction(() => {
      for (const [key, value] of Object.entries(values)) this.#setMeta.run(key, value);
    })();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
