import { setImmediate as yieldToIngest } from 'node:timers/promises';
import type { RetentionPolicy } from './collector-config.js';
import type { Logger } from './logger.js';
import type { PgStore } from './pg-store.js';

export interface PgRetentionOptions {
  store: PgStore;
  policy: RetentionPolicy;
  logger: Logger;
  now?: () => number;
  /** Time between prunes (default one day); the first runs at start. */
  everyMs?: number;
  /** Events deleted per statement (default 10,000). */
  chunkRows?: number;
}

/**
 * Retention on PostgreSQL: result partitions older than the policy are dropped whole (no
 * row-by-row delete, no table bloat, no vacuum debt); events, a small table, are deleted in
 * bounded chunks. Every collector may run it: partition drops take an advisory lock, and a
 * second run finds nothing left to do.
 *
 * @example
 * const retention = new PgRetention({ store, policy: config.retention, logger });
 * retention.start();
 * await retention.stop();
 */
export class PgRetention {
  readonly #o: PgRetentionOptions;
  readonly #now: () => number;
  #policy: RetentionPolicy;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: PgRetentionOptions) {
    this.#o = options;
    this.#policy = options.policy;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    const run = () => {
      if (this.#running || this.#stopped) return;
      this.#running = this.prune()
        .then(() => undefined)
        .catch((err: unknown) => this.#o.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'retention prune failed'))
        .finally(() => (this.#running = undefined));
    };
    this.#timer = setInterval(run, this.#o.everyMs ?? 86_400_000);
    this.#timer.unref();
    setImmediate(run);
  }

  /** A reloaded config applies from the next prune. */
  setPolicy(policy: RetentionPolicy): void {
    this.#policy = policy;
  }

  /** Drop old result partitions, then delete old events chunk by chunk. */
  async prune(): Promise<{ partitionsDropped: string[]; eventsDeleted: number }> {
    const now = this.#now();
    const partitionsDropped = await this.#o.store.dropResultsBefore(now - this.#policy.resultsMs);
    let eventsDeleted = 0;
    const chunk = this.#o.chunkRows ?? 10_000;
    for (;;) {
      if (this.#stopped) break;
      const n = await this.#o.store.deleteEventsBefore(now - this.#policy.eventsMs, chunk);
      eventsDeleted += n;
      if (n < chunk) break;
      await yieldToIngest();
    }
    if (partitionsDropped.length > 0 || eventsDeleted > 0) this.#o.logger.info({ partitionsDropped, eventsDeleted }, 'retention pruned old rows');
    return { partitionsDropped, eventsDeleted };
  }

  /** Start no other prune; wait for the one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }
}
