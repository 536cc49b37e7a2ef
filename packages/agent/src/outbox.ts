// The agent's SQLite outbox and its result rows: append with ids that are never reused,
// read in id order for batches, delete on Ack, renumber above the collector's high mark,
// depth and meta. The file and its schema are outbox-db.ts; gap records outbox-gaps.ts;
// budget and export bookkeeping outbox-maintenance.ts (planned by outbox-compaction.ts).
import type { GapInit, Status } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import type { OutboxBudget } from './outbox-compaction.js';
import { openOutboxDatabase, OutboxMeta, setResultSequence } from './outbox-db.js';
import { GapRecords, lostResultsGap, type StoredGap } from './outbox-gaps.js';
import { OutboxMaintenance, type ExportRecord, type OutboxTotals } from './outbox-maintenance.js';
import { fitWireLimits, ResultEncoder } from './result-wire.js';

export type { StoredGap } from './outbox-gaps.js';
export type { ExportRecord } from './outbox-maintenance.js';

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
  /** How often the check runs, for the collector's stale rule; absent (0 on the wire) for one-shot results. */
  intervalMs?: number;
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
  readonly #meta: OutboxMeta;
  readonly #gaps: GapRecords;
  readonly #maintenance: OutboxMaintenance;
  #nextId: number;
  /** Waiting rows and their bytes, kept in memory; the maintenance deletes keep them right too. */
  readonly #totals: OutboxTotals;
  /** SQLite's data_version when #totals was last right: another process (export, apply-receipt) changes it. */
  #dataVersion: number;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare('INSERT INTO results (result_id, check_id, started_at, status, body) VALUES (?, ?, ?, ?, ?)');
    this.#readAfter = db.prepare('SELECT result_id, body FROM results WHERE result_id > ? ORDER BY result_id LIMIT ?');
    this.#remove = db.prepare('DELETE FROM results WHERE result_id BETWEEN ? AND ?');
    this.#removeOne = db.prepare('DELETE FROM results WHERE result_id = ? RETURNING length(body) AS size');
    this.#meta = new OutboxMeta(db);
    this.#gaps = new GapRecords(db, this.#meta);
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'results'").get() as { seq: number } | undefined;
    this.#nextId = (seq?.seq ?? 0) + 1;
    const totals = db.prepare('SELECT count(*) AS count, coalesce(sum(length(body)), 0) AS bytes FROM results').get() as { count: number; bytes: number };
    this.#totals = { count: totals.count, bytes: totals.bytes };
    this.#maintenance = new OutboxMaintenance(db, this.#totals, this.#meta, this.#gaps);
    this.#dataVersion = db.pragma('data_version', { simple: true }) as number;
  }

  /** Recount after another process committed (`apply-receipt` deletes rows): the running agent's budget must see it. */
  #syncTotals(): void {
    const version = this.#db.pragma('data_version', { simple: true }) as number;
    if (version === this.#dataVersion) return;
    this.#dataVersion = version;
    const totals = this.#db.prepare('SELECT count(*) AS count, coalesce(sum(length(body)), 0) AS bytes FROM results').get() as { count: number; bytes: number };
    this.#totals.count = totals.count;
    this.#totals.bytes = totals.bytes;
  }

  /** Open (creating if needed) the outbox file with WAL journaling. */
  static open(path: string, options: { readonly?: boolean } = {}): Outbox {
    return new Outbox(openOutboxDatabase(path, options));
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
    this.#totals.count += results.length;
    this.#totals.bytes += bytes;
    return ids;
  }

  /**
   * Results that could not be written (disk full, I/O error) still get their ids, and a
   * gap record for them is kept; if even that cannot be written it is held in memory and
   * delivered from there. Loss is never silent.
   */
  recordLost(results: readonly NewResult[], reason: string): GapInit {
    const gap = lostResultsGap(results, this.#nextId, reason);
    this.#nextId += results.length;
    try {
      this.#db.transaction(() => {
        setResultSequence(this.#db, this.#nextId - 1);
        this.#gaps.save(gap, results.length);
      })();
    } catch {
      this.#gaps.hold(gap);
    }
    return gap;
  }

  /**
   * Enforce the budget on rows after `protectThroughId` (rows up to it may be in flight):
   * drop repeats as planned by planCompaction and store the gap record, in one transaction.
   */
  compact(budget: OutboxBudget, protectThroughId: number, protect: ReadonlySet<number> = new Set(), nowMs = Date.now()): GapInit | undefined {
    this.#syncTotals();
    return this.#maintenance.compact(budget, protectThroughId, protect, nowMs);
  }

  /** Highest result id an export has written to media (0 when none). */
  exportedThroughId(): number {
    return this.#maintenance.exportedThroughId();
  }

  /** Highest gap record id an export has written to media (0 when none). */
  exportedGapsThroughId(): number {
    return this.#maintenance.exportedGapsThroughId();
  }

  /** Record an export and mark its rows exported, in one transaction. Rows stay until acked or a receipt is applied. */
  markExported(record: ExportRecord): void {
    this.#maintenance.markExported(record);
  }

  /** Waiting results with an id above `afterId`. */
  countAfter(afterId: number): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM results WHERE result_id > ?').get(afterId) as { n: number }).n;
  }

  /** Gap records not yet acknowledged, oldest first (those held in memory included). */
  pendingGaps(limit: number): StoredGap[] {
    return this.#gaps.pending(limit);
  }

  /** The collector stored these gap records. */
  removeGaps(gaps: readonly StoredGap[]): void {
    this.#gaps.remove(gaps);
  }

  /**
   * Make sure every unsent and future result id is above `collectorMaxId`. Needed only when
   * this outbox is behind what the collector already holds for this agent key (the
   * database was lost, the key kept): its rows are renumbered, in order, above that id.
   * Returns how many rows were renumbered.
   */
  rebase(collectorMaxId: number): number {
    if (this.#nextId > collectorMaxId) return 0;
    const { renumbered, nextId } = this.#maintenance.renumberAbove(collectorMaxId);
    this.#nextId = nextId;
    return renumbered;
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
    this.#totals.count -= removed;
    this.#totals.bytes -= sized.bytes;
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
          this.#totals.bytes -= row.size;
        }
      }
    })();
    this.#totals.count -= removed;
    return removed;
  }

  depth(): OutboxDepth {
    this.#syncTotals();
    const oldest = this.#db.prepare('SELECT started_at FROM results ORDER BY result_id LIMIT 1').get() as { started_at: number } | undefined;
    return {
      count: this.#totals.count,
      bytes: this.#totals.bytes,
      oldestStartedAtMs: oldest?.started_at,
      maxResultId: this.#nextId - 1,
      dropped: Number(this.getMeta('dropped_total') ?? 0),
    };
  }

  getMeta(key: string): string | undefined {
    return this.#meta.get(key);
  }

  setMeta(key: string, value: string): void {
    this.#meta.set(key, value);
  }

  /** Set several meta keys in one transaction. */
  setMetas(values: Record<string, string>): void {
    this.#meta.setMany(values);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
