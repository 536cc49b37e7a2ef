// The outbox's upkeep queries: holding it to its budget (exported rows released first, then
// repeats dropped as outbox-compaction.ts plans, with a gap record), the bookkeeping of
// `outpost-agent export` (which rows and gap records are on media already), and renumbering
// the rows above the collector's high mark.
import type Database from 'better-sqlite3';
import { pb, type GapInit } from '@outpost/protocol';
import { planCompaction, planExportedRelease, type CompactionRow, type OutboxBudget } from './outbox-compaction.js';
import { setResultSequence, type OutboxMeta } from './outbox-db.js';
import type { GapRecords } from './outbox-gaps.js';

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

/** The outbox's running totals of waiting results, shared with it and kept right here. */
export interface OutboxTotals {
  count: number;
  /** Bytes of encoded results waiting. */
  bytes: number;
}

/**
 * Budget enforcement, export marks and renumbering on the outbox's tables. Keeps the shared `totals`
 * right for every row it deletes.
 *
 * @example
 * const maintenance = new OutboxMaintenance(db, totals, meta, gaps);
 * const gap = maintenance.compact({ maxBytes: 1 << 30, maxAgeMs: 30 * 86_400_000 }, inFlightThroughId, inFlightIds, Date.now());
 */
export class OutboxMaintenance {
  readonly #db: Database.Database;
  readonly #totals: OutboxTotals;
  readonly #meta: OutboxMeta;
  readonly #gaps: GapRecords;
  readonly #insert: Database.Statement;
  readonly #removeOne: Database.Statement<[number], { size: number } | undefined>;

  constructor(db: Database.Database, totals: OutboxTotals, meta: OutboxMeta, gaps: GapRecords) {
    this.#db = db;
    this.#totals = totals;
    this.#meta = meta;
    this.#gaps = gaps;
    this.#insert = db.prepare('INSERT INTO results (result_id, check_id, started_at, status, body) VALUES (?, ?, ?, ?, ?)');
    this.#removeOne = db.prepare('DELETE FROM results WHERE result_id = ? RETURNING length(body) AS size');
  }

  /**
   * Enforce the budget on rows after `protectThroughId` (rows up to it may be in flight):
   * drop repeats as planned by planCompaction and store the gap record, in one transaction.
   * The totals must be current (the outbox syncs them first).
   */
  compact(budget: OutboxBudget, protectThroughId: number, protect: ReadonlySet<number>, nowMs: number): GapInit | undefined {
    if (this.#totals.bytes <= budget.maxBytes && !this.#hasOlderThan(nowMs - budget.maxAgeMs)) return undefined;
    if (this.#releaseExported(budget, protectThroughId, protect, nowMs)) return undefined;
    const rows = this.#db
      .prepare('SELECT result_id AS resultId, check_id AS checkId, status, started_at AS startedAtMs, length(body) AS bytes FROM results WHERE result_id > ? ORDER BY result_id')
      .all(protectThroughId) as CompactionRow[];
    const plan = planCompaction(rows, this.#totals.bytes, budget, nowMs, this.#totals.bytes > budget.maxBytes ? 'cap' : 'age', protect);
    if (!plan.gap) return undefined;
    this.#db.transaction(() => {
      for (const id of plan.dropIds) this.#removeOne.get(id);
      this.#gaps.save(plan.gap!, plan.dropIds.length);
    })();
    this.#totals.count -= plan.dropIds.length;
    this.#totals.bytes -= plan.droppedBytes;
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
    const { drop, bytesAfter } = planExportedRelease(rows, this.#totals.bytes, budget, nowMs, protect);
    if (drop.length > 0) {
      this.#db.transaction(() => {
        for (const row of drop) this.#removeOne.get(row.id);
        this.#meta.set('exported_released', String(Number(this.#meta.get('exported_released') ?? 0) + drop.length));
      })();
      this.#totals.count -= drop.length;
      this.#totals.bytes = bytesAfter;
    }
    return this.#totals.bytes <= budget.maxBytes && !this.#hasOlderThan(nowMs - budget.maxAgeMs);
  }

  #hasOlderThan(cutoffMs: number): boolean {
    const row = this.#db.prepare('SELECT started_at FROM results ORDER BY result_id LIMIT 1').get() as { started_at: number } | undefined;
    return row !== undefined && row.started_at < cutoffMs;
  }

  /** Highest result id an export has written to media (0 when none). */
  exportedThroughId(): number {
    return Number(this.#meta.get('exported_through_id') ?? 0);
  }

  /** Highest gap record id an export has written to media (0 when none). */
  exportedGapsThroughId(): number {
    return Number(this.#meta.get('exported_gaps_through_id') ?? 0);
  }

  /** Record an export and mark its rows exported, in one transaction. Rows stay until acked or a receipt is applied. */
  markExported(record: ExportRecord): void {
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO exports (export_id, created_at, dir, from_id, through_id, results, files) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(record.exportId, record.createdMs, record.dir, record.fromId, record.throughId, record.results, record.files);
      this.#meta.set('exported_through_id', String(Math.max(this.exportedThroughId(), record.throughId)));
      this.#meta.set('exported_gaps_through_id', String(Math.max(this.exportedGapsThroughId(), record.gapsThroughId)));
    })();
  }

  /**
   * Renumber every row, in order, from `collectorMaxId + 1` on, and move AUTOINCREMENT's high
   * mark with them (see Outbox.rebase). Returns how many rows went and the next free id.
   */
  renumberAbove(collectorMaxId: number): { renumbered: number; nextId: number } {
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
      setResultSequence(this.#db, id - 1);
    })();
    const totals = this.#db.prepare('SELECT coalesce(sum(length(body)), 0) AS bytes FROM results').get() as { bytes: number };
    this.#totals.bytes = totals.bytes;
    return { renumbered: rows.length, nextId: id };
  }
}
