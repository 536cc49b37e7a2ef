import type { Logger } from './logger.js';
import type { Outbox } from './outbox.js';

/** How often a long drain reports its progress. */
const REPORT_EVERY_MS = 10_000;

/**
 * Watches acknowledgements to tell how fast a backlog drains: remaining results, results
 * per second and an ETA, logged every 10 s while there is a backlog and kept in the
 * outbox's meta for `outpost-agent status`.
 */
export class DrainProgress {
  readonly #outbox: Outbox;
  readonly #log: Logger;
  #windowStart = Date.now();
  #ackedInWindow = 0;
  #draining = false;

  constructor(outbox: Outbox, log: Logger) {
    this.#outbox = outbox;
    this.#log = log;
  }

  acked(results: number, remaining: number, now = Date.now()): void {
    this.#ackedInWindow += results;
    const elapsed = now - this.#windowStart;
    const finished = remaining === 0 && this.#draining;
    if (elapsed < REPORT_EVERY_MS && !finished) return;
    this.#draining = remaining > 0;
    const ratePerSec = elapsed > 0 ? Math.round((this.#ackedInWindow / elapsed) * 1000) : 0;
    const etaSec = ratePerSec > 0 ? Math.ceil(remaining / ratePerSec) : null;
    this.#outbox.setMetas({ drain_rate: String(ratePerSec), drain_remaining: String(remaining), drain_eta_s: etaSec === null ? '' : String(etaSec) });
    if (remaining > 0) this.#log.info({ remaining, ratePerSec, etaSec }, 'draining backlog');
    else if (finished) this.#log.info({ ratePerSec }, 'backlog drained');
    this.#windowStart = now;
    this.#ackedInWindow = 0;
  }
}
