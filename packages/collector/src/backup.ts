import { closeSync, existsSync, openSync, renameSync, rmSync } from 'node:fs';
import { ErrorCode, OutpostError } from '@outpost/protocol';
import Database from 'better-sqlite3';

export interface BackupOptions {
  /** Pages copied per step while nothing else writes (default 1,024: 4 MiB at 4 KiB pages). */
  pagesPerStep?: number;
  /** Called after each step with the pages still to copy. */
  onProgress?: (progress: { totalPages: number; remainingPages: number }) => void;
}

export interface BackupReport {
  file: string;
  pages: number;
  bytes: number;
  /** The copy started over because the collector wrote meanwhile; the last pass ran in one step. */
  restarts: number;
  results: number;
  agents: number;
}

// SQLite copies all remaining pages when a step asks for at least that many.
const ALL_PAGES = 0x7fffffff;

/**
 * Copy a live collector database with SQLite's online backup API, from a read-only
 * connection, so the running collector keeps storing batches meanwhile. The copy goes to a
 * temporary file beside `out` (mode 0600), is switched to rollback-journal mode, checked
 * with `PRAGMA quick_check` and only then renamed to `out`: a failed backup leaves no
 * half-written file under the final name.
 *
 * Writes by another connection make SQLite restart a stepwise backup from the first page;
 * under steady ingest that could go on forever, so after one restart the rest is copied in
 * a single step (a read transaction, which in WAL mode does not block the writer).
 *
 * @example
 * const report = await backupDatabase('/var/lib/outpost-collector/collector.db', '/srv/backup/collector.db');
 */
export async function backupDatabase(source: string, out: string, options: BackupOptions = {}): Promise<BackupReport> {
  if (!existsSync(source)) throw new OutpostError(ErrorCode.CONFIG, `${source}: no collector database here (outpost-collector init creates it)`);
  if (existsSync(out)) throw new OutpostError(ErrorCode.CONFIG, `${out}: already exists; choose a new file name`);
  const partial = `${out}.partial-${process.pid}`;
  // The copy holds everything the collector stores: readable by the owner only, from the first byte.
  closeSync(openSync(partial, 'wx', 0o600));
  const db = new Database(source, { readonly: true, fileMustExist: true });
  let restarts = 0;
  try {
    let lastRemaining = Infinity;
    const step = options.pagesPerStep ?? 1_024;
    await db.backup(partial, {
      progress: ({ totalPages, remainingPages }) => {
        options.onProgress?.({ totalPages, remainingPages });
        if (remainingPages > lastRemaining) restarts += 1;
        lastRemaining = remainingPages;
        return restarts > 0 ? ALL_PAGES : step;
      },
    });
    const copy = new Database(partial);
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new OutpostError(ErrorCode.CONFIG, `${partial}: the copy failed its integrity check: ${String(check)}`);
      const pages = copy.pragma('page_count', { simple: true }) as number;
      const pageSize = copy.pragma('page_size', { simple: true }) as number;
      const count = (table: string) => (copy.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      const report = { file: out, pages, bytes: pages * pageSize, restarts, results: count('results'), agents: count('agents') };
      copy.close();
      renameSync(partial, out);
      return report;
    } finally {
      if (copy.open) copy.close();
    }
  } catch (err: unknown) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
}
