// The ceiling for a collector's ingest on this disk: plain better-sqlite3 inserting the same
// rows into a table shaped like the collector's, with its indexes and its durability setting.
import Database from 'better-sqlite3';
import type { NewResult } from '../../packages/agent/dist/outbox.js';

// The collector's results table and indexes (packages/collector/src/sqlite-store.ts, migration 1).
const SCHEMA = `
CREATE TABLE results (
  agent_id    INTEGER NOT NULL,
  result_id   INTEGER NOT NULL,
  check_id    TEXT    NOT NULL,
  started_at  INTEGER NOT NULL,
  duration_us INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  observation TEXT    NOT NULL,
  message     TEXT    NOT NULL,
  metrics     TEXT,
  transcript  BLOB,
  config_hash TEXT    NOT NULL,
  batch_seq   INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, result_id)
) WITHOUT ROWID;
CREATE INDEX results_by_check_time ON results (agent_id, check_id, started_at);
CREATE INDEX results_by_time ON results (started_at);
`;

export interface CeilingOptions {
  path: string;
  results: number;
  rowsPerTxn: number;
  /** Result `i` (0-based); called outside the timed part. */
  make: (from: number, count: number) => NewResult[];
}

/**
 * Seconds spent inside the insert transactions (WAL, synchronous=FULL, one transaction per
 * `rowsPerTxn` rows); making the rows and their metrics JSON is not timed.
 *
 * @example
 * const sec = collectorCeiling({ path: '/tmp/x.db', results: 1_440_000, rowsPerTxn: 1000, make });
 */
export function collectorCeiling(options: CeilingOptions): number {
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    const insert = db.prepare(
      `INSERT OR IGNORE INTO results (agent_id, result_id, check_id, started_at, duration_us, status, observation, message, metrics, transcript, config_hash, batch_seq, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    type Row = [NewResult, string | null];
    const insertChunk = db.transaction((rows: readonly Row[], firstId: number, batchSeq: number, receivedAt: number) => {
      let id = firstId;
      for (const [r, metrics] of rows) {
        insert.run(1, id++, r.checkId, r.startedAtMs, r.durationUs, r.status, r.observation, r.message, metrics, null, r.checkConfigHash, batchSeq, receivedAt);
      }
    });
    let timedNs = 0n;
    for (let from = 0, seq = 1; from < options.results; from += options.rowsPerTxn, seq++) {
      const chunk = options.make(from, Math.min(options.rowsPerTxn, options.results - from));
      const rows: Row[] = chunk.map((r) => [r, Object.keys(r.metrics).length > 0 ? JSON.stringify(r.metrics) : null]);
      const start = process.hrtime.bigint();
      insertChunk(rows, from + 1, seq, Date.now());
      timedNs += process.hrtime.bigint() - start;
    }
    return Number(timedNs) / 1e9;
  } finally {
    db.close();
  }
}
