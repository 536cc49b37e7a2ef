// The ceiling for a collector's ingest on this disk: plain better-sqlite3 inserting the same
// rows into the collector's own results table (made by its migrations), with its indexes
// and its durability setting.
import Database from 'better-sqlite3';
import type { NewResult } from '../../packages/agent/dist/outbox.js';
import { SqliteStore } from '../../packages/collector/dist/sqlite-store.js';

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
  // The collector's own migrations make the schema, so the ceiling follows it when it changes.
  void SqliteStore.open(options.path).close();
  const db = new Database(options.path);
  try {
    // The collector's own settings (sqlite-store.ts).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 10000');
    // Check ids are interned (table checks, migration 9): the keys are made untimed, up front.
    const keyOf = new Map<string, number>();
    const addCheck = db.prepare('INSERT INTO checks (agent_id, check_id) VALUES (1, ?)');
    const key = (checkId: string) => {
      let k = keyOf.get(checkId);
      if (k === undefined) keyOf.set(checkId, (k = Number(addCheck.run(checkId).lastInsertRowid)));
      return k;
    };
    const insert = db.prepare(
      `INSERT OR IGNORE INTO results (agent_id, result_id, check_key, started_at, duration_us, status, observation, message, metrics, transcript, config_hash, batch_seq, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    type Row = [NewResult, string | null, number];
    const insertChunk = db.transaction((rows: readonly Row[], firstId: number, batchSeq: number, receivedAt: number) => {
      let id = firstId;
      for (const [r, metrics, checkKey] of rows) {
        insert.run(1, id++, checkKey, r.startedAtMs, r.durationUs, r.status, r.observation, r.message, metrics, null, r.checkConfigHash, batchSeq, receivedAt);
      }
    });
    let timedNs = 0n;
    for (let from = 0, seq = 1; from < options.results; from += options.rowsPerTxn, seq++) {
      const chunk = options.make(from, Math.min(options.rowsPerTxn, options.results - from));
      const rows: Row[] = chunk.map((r) => [r, Object.keys(r.metrics).length > 0 ? JSON.stringify(r.metrics) : null, key(r.checkId)]);
      const start = process.hrtime.bigint();
      insertChunk(rows, from + 1, seq, Date.now());
      timedNs += process.hrtime.bigint() - start;
    }
    return Number(timedNs) / 1e9;
  } finally {
    db.close();
  }
}
