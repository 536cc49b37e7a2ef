import type Database from 'better-sqlite3';
import type { CellColour, SegmentationCellRecord, SegmentationHistoryRecord } from './store.js';

const CELL_COLUMNS = 'from_segment AS "from", to_target AS "to", colour, since, evaluated_at AS evaluatedAt, evidence';

/** The SQLite side of the segmentation matrix: current cells, their colour history, unexpected services seen. */
export class SqliteSegmentation {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  list(): SegmentationCellRecord[] {
    return this.#db.prepare(`SELECT ${CELL_COLUMNS} FROM segmentation_cells ORDER BY from_segment, to_target`).all() as SegmentationCellRecord[];
  }

  put(cell: { from: string; to: string; colour: CellColour; evidence: string }, at: number): CellColour | null | undefined {
    return this.#db.transaction((): CellColour | null | undefined => {
      const row = this.#db.prepare('SELECT colour FROM segmentation_cells WHERE from_segment = ? AND to_target = ?').get(cell.from, cell.to) as { colour: CellColour } | undefined;
      if (row?.colour === cell.colour) {
        this.#db.prepare('UPDATE segmentation_cells SET evaluated_at = ?, evidence = ? WHERE from_segment = ? AND to_target = ?').run(at, cell.evidence, cell.from, cell.to);
        return undefined;
      }
      this.#db
        .prepare('INSERT OR REPLACE INTO segmentation_cells (from_segment, to_target, colour, since, evaluated_at, evidence) VALUES (?, ?, ?, ?, ?, ?)')
        .run(cell.from, cell.to, cell.colour, at, at, cell.evidence);
      this.#db.prepare('INSERT INTO segmentation_history (from_segment, to_target, at, colour, evidence) VALUES (?, ?, ?, ?, ?)').run(cell.from, cell.to, at, cell.colour, cell.evidence);
      return row?.colour ?? null;
    }).immediate();
  }

  history(from: string, to: string, limit: number): SegmentationHistoryRecord[] {
    return this.#db
      .prepare('SELECT at, colour, evidence FROM segmentation_history WHERE from_segment = ? AND to_target = ? ORDER BY at DESC, id DESC LIMIT ?')
      .all(from, to, limit) as SegmentationHistoryRecord[];
  }

  markUnexpected(host: string, port: number, at: number): boolean {
    return this.#db.prepare('INSERT OR IGNORE INTO unexpected_services (host, port, first_at) VALUES (?, ?, ?)').run(host, port, at).changes === 1;
  }

  transcript(agentId: number, resultId: number): Uint8Array | null {
    const row = this.#db.prepare('SELECT transcript FROM results WHERE agent_id = ? AND result_id = ?').get(agentId, resultId) as { transcript: Buffer | null } | undefined;
    return row?.transcript ? new Uint8Array(row.transcript) : null;
  }
}
