import { setImmediate as yieldToIngest } from 'node:timers/promises';
import type { RetentionPolicy } from './collector-config.js';
import type { Logger } from './logger.js';

/** What retention needs from the store; `SqliteStore` provides it. */
export interface RetentionStore {
  deleteResultsBefore(cutoffMs: number, maxRows: number): number;
  deleteEventsBefore(cutoffMs: number, maxRows: number): number;
  vacuumMode(): 'none' | 'full' | 'incremental';
  databasePages(): { pageSize: number; pages: number; freePages: number };
  enableIncrementalVacuum(): void;
  incrementalVacuum(maxPages: number): number;
}

export interface RetentionOptions {
  store: RetentionStore;
  policy: RetentionPolicy;
  logger: Logger;
  /** Unix ms; injectable for tests. */
  now?: () => number;
  /** Time between prunes (default one day); the first runs at start. */
  everyMs?: number;
  /** Rows deleted per transaction (default 10,000): short enough that ingest waits little. */
  chunkRows?: number;
  /** Free pages returned to the file system per step (default 2,048: 8 MiB at 4 KiB pages). */
  vacuumPagesPerStep?: number;
  /**
   * A database that is not in incremental auto-vacuum mode yet is converted at start when
   * its file is at most this big (default 64 MiB, a VACUUM of well under a second); a
   * bigger one is left for `outpost-collector vacuum`, run while the collector is stopped.
   */
  maxAutoConvertBytes?: number;
}

export interface PruneReport {
  resultsDeleted: number;
  eventsDeleted: number;
  /** Pages given back to the file system by incremental vacuum. */
  pagesFreed: number;
  /** False when a stop interrupted the prune between two chunks. */
  complete: boolean;
}

/**
 * Deletes results and events older than the policy, in bounded chunks with a yield to the
 * event loop between them, so agents' batches are stored in between, then returns freed
 * pages with `PRAGMA incremental_vacuum`. Runs at start and then daily.
 *
 * @example
 * const retention = new Retention({ store, policy: config.retention, logger });
 * retention.start();
 * await retention.stop();   // waits for the chunk in progress, starts no other
 */
export class Retention {
  readonly #options: RetentionOptions;
  readonly #now: () => number;
  #policy: RetentionPolicy;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<PruneReport> | undefined;
  #stopped = false;

  constructor(options: RetentionOptions) {
    this.#options = options;
    this.#policy = options.policy;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#prepareVacuum();
    const run = () => void this.prune().catch((err: unknown) => this.#options.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'retention prune failed'));
    this.#timer = setInterval(run, this.#options.everyMs ?? 86_400_000);
    this.#timer.unref();
    setImmediate(run);
  }

  /** A reloaded config applies from the next prune. */
  setPolicy(policy: RetentionPolicy): void {
    this.#policy = policy;
  }

  /** Prune now; a prune already running is joined rather than started twice. */
  prune(): Promise<PruneReport> {
    this.#running ??= this.#prune().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** Start no further chunk; wait for the one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  #prepareVacuum(): void {
    const { store, logger } = this.#options;
    if (store.vacuumMode() === 'incremental') return;
    const { pageSize, pages } = store.databasePages();
    const bytes = pageSize * pages;
    if (bytes <= (this.#options.maxAutoConvertBytes ?? 64 * 1024 * 1024)) {
      store.enableIncrementalVacuum();
      logger.info({ bytes }, 'database switched to incremental auto-vacuum');
    } else {
      logger.warn(
        { bytes },
        'database is not in incremental auto-vacuum mode: pruned space is reused but the file does not shrink; run "outpost-collector vacuum --data-dir DIR" once while the collector is stopped',
      );
    }
  }

  async #prune(): Promise<PruneReport> {
    const { store, logger } = this.#options;
    const chunkRows = this.#options.chunkRows ?? 10_000;
    const now = this.#now();
    const report: PruneReport = { resultsDeleted: 0, eventsDeleted: 0, pagesFreed: 0, complete: false };
    const chunks: [keyof Pick<PruneReport, 'resultsDeleted' | 'eventsDeleted'>, () => number][] = [
      ['resultsDeleted', () => store.deleteResultsBefore(now - this.#policy.resultsMs, chunkRows)],
      ['eventsDeleted', () => store.deleteEventsBefore(now - this.#policy.eventsMs, chunkRows)],
    ];
    for (const [counter, deleteChunk] of chunks) {
      for (;;) {
        if (this.#stopped) return report;
        const deleted = deleteChunk();
        report[counter] += deleted;
        if (deleted < chunkRows) break;
        await yieldToIngest();
      }
    }
    if (store.vacuumMode() === 'incremental') {
      const step = this.#options.vacuumPagesPerStep ?? 2_048;
      for (;;) {
        if (this.#stopped) return report;
        const free = store.incrementalVacuum(step);
        report.pagesFreed += Math.min(free, step);
        if (free <= step) break;
        await yieldToIngest();
      }
    }
    report.complete = true;
    if (report.resultsDeleted + report.eventsDeleted + report.pagesFreed > 0) logger.info({ ...report }, 'retention: old rows pruned');
    return report;
  }
}
