// Gap records: what the outbox tells the collector about results it lost (a write that
// failed) or dropped (compaction over budget), kept in the gaps table until acknowledged,
// or in memory when even the gap record could not be written.
import type { GapInit } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import type { OutboxMeta } from './outbox-db.js';
import type { NewResult } from './outbox.js';

/** A gap record waiting to be delivered. */
export interface StoredGap {
  gapId: number;
  gap: GapInit;
}

/**
 * The gap record for `results` that were given the ids from `fromResultId` on and then lost.
 *
 * @example
 * const gap = lostResultsGap(results, 41, 'disk full'); // { fromResultId: 41, toResultId: 40 + results.length, ... }
 */
export function lostResultsGap(results: readonly NewResult[], fromResultId: number, reason: string): GapInit {
  const perCheck: Record<string, number> = {};
  let firstMs = Infinity;
  let lastMs = -Infinity;
  for (const r of results) {
    perCheck[r.checkId] = (perCheck[r.checkId] ?? 0) + 1;
    firstMs = Math.min(firstMs, r.startedAtMs);
    lastMs = Math.max(lastMs, r.startedAtMs);
  }
  return { fromResultId, toResultId: fromResultId + results.length - 1, count: results.length, reason, firstMs, lastMs, perCheck };
}

/**
 * The outbox's gap records, oldest first: those in the gaps table and those held in memory
 * because the disk refused them (delivered from there, so loss is never silent).
 */
export class GapRecords {
  readonly #db: Database.Database;
  readonly #meta: OutboxMeta;
  /** Gap records that could not be written (the disk was full); delivered from memory. */
  readonly #unsaved: GapInit[] = [];

  constructor(db: Database.Database, meta: OutboxMeta) {
    this.#db = db;
    this.#meta = meta;
  }

  /** Store a gap record and count its `dropped` results in `dropped_total` (inside the caller's transaction). */
  save(gap: GapInit, dropped: number): void {
    this.#db.prepare('INSERT INTO gaps (body) VALUES (?)').run(JSON.stringify(gap));
    this.#meta.set('dropped_total', String(Number(this.#meta.get('dropped_total') ?? 0) + dropped));
  }

  /** Keep a gap record that could not be written in memory. */
  hold(gap: GapInit): void {
    this.#unsaved.push(gap);
  }

  /** Gap records not yet acknowledged, oldest first (those held in memory included). */
  pending(limit: number): StoredGap[] {
    const rows = this.#db.prepare('SELECT gap_id, body FROM gaps ORDER BY gap_id LIMIT ?').all(limit) as { gap_id: number; body: string }[];
    const saved = rows.map((row) => ({ gapId: row.gap_id, gap: JSON.parse(row.body) as GapInit }));
    return [...saved, ...this.#unsaved.slice(0, Math.max(0, limit - saved.length)).map((gap) => ({ gapId: -1, gap }))];
  }

  /** The collector stored these gap records. */
  remove(gaps: readonly StoredGap[]): void {
    const remove = this.#db.prepare('DELETE FROM gaps WHERE gap_id = ?');
    this.#db.transaction(() => {
      for (const { gapId, gap } of gaps) {
        if (gapId >= 0) remove.run(gapId);
        else this.#unsaved.splice(this.#unsaved.indexOf(gap), 1);
      }
    })();
  }
}
