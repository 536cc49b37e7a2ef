import type pg from 'pg';
import { inTransaction } from './pg-queries.js';
import type { CellColour, SegmentationCellRecord, SegmentationHistoryRecord } from './store.js';

const CELL_COLUMNS = 'from_segment AS "from", to_target AS "to", colour, since, evaluated_at AS "evaluatedAt", evidence';

/** The PostgreSQL side of the segmentation matrix; same behaviour as SqliteSegmentation. */
export class PgSegmentation {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async list(): Promise<SegmentationCellRecord[]> {
    return (await this.#pool.query<SegmentationCellRecord>(`SELECT ${CELL_COLUMNS} FROM segmentation_cells ORDER BY from_segment, to_target`)).rows;
  }

  async put(cell: { from: string; to: string; colour: CellColour; evidence: string }, at: number): Promise<CellColour | null | undefined> {
    return inTransaction(this.#pool, async (client) => {
      // Several collectors may evaluate at once: the row lock makes one of them see the change.
      const { rows } = await client.query<{ colour: CellColour }>('SELECT colour FROM segmentation_cells WHERE from_segment = $1 AND to_target = $2 FOR UPDATE', [cell.from, cell.to]);
      const previous = rows[0]?.colour;
      if (previous === cell.colour) {
        await client.query('UPDATE segmentation_cells SET evaluated_at = $1, evidence = $2 WHERE from_segment = $3 AND to_target = $4', [at, cell.evidence, cell.from, cell.to]);
        return undefined;
      }
      await client.query(
        `INSERT INTO segmentation_cells (from_segment, to_target, colour, since, evaluated_at, evidence) VALUES ($1, $2, $3, $4, $4, $5)
         ON CONFLICT (from_segment, to_target) DO UPDATE SET colour = $3, since = $4, evaluated_at = $4, evidence = $5`,
        [cell.from, cell.to, cell.colour, at, cell.evidence],
      );
      await client.query('INSERT INTO segmentation_history (from_segment, to_target, at, colour, evidence) VALUES ($1, $2, $3, $4, $5)', [cell.from, cell.to, at, cell.colour, cell.evidence]);
      return previous ?? null;
    });
  }

  async history(from: string, to: string, limit: number): Promise<SegmentationHistoryRecord[]> {
    const sql = 'SELECT at, colour, evidence FROM segmentation_history WHERE from_segment = $1 AND to_target = $2 ORDER BY at DESC, id DESC LIMIT $3';
    return (await this.#pool.query<SegmentationHistoryRecord>(sql, [from, to, limit])).rows;
  }

  async markUnexpected(host: string, port: number, at: number): Promise<boolean> {
    const { rowCount } = await this.#pool.query('INSERT INTO unexpected_services (host, port, first_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [host, port, at]);
    return rowCount === 1;
  }

  async transcript(agentId: number, resultId: number): Promise<Uint8Array | null> {
    const { rows } = await this.#pool.query<{ transcript: Buffer | null }>('SELECT transcript FROM results WHERE agent_id = $1 AND result_id = $2', [agentId, resultId]);
    return rows[0]?.transcript ? new Uint8Array(rows[0].transcript) : null;
  }
}
