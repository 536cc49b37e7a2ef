import type { Logger } from './logger.js';
import type { Outbox } from './outbox.js';

/** How often a long drain reports its progress. */
const REPORT_EVERY_MS = 10_000;
/**
 * A rate over less than this is noise, not a measurement: 84 results acknowledged 1 ms
 * after the drain started are not 84,000 results/s.
 */
export const MIN_RATE_WINDOW_MS = 1_000;

/**
 * Watches acknowledgements to tell how fast a backlog drains: remaining results, results
 * per second and an ETA, logged every 10 s while there is a backlog and kept in the
 * outbox's meta for `outpost-agent status` (`drain_rate`, `drain_remaining`,
 * `drain_eta_s`, and `drain_at`, when they were measured).
 *
 * Each connection measures afresh: `connected` (called by the session when it connects)
 * starts a new window, so time spent disconnected never dilutes a rate, and a rate is only
 * computed over at least MIN_RATE_WINDOW_MS.
 *
 * @example
 * const progress = new DrainProgress(outbox, log);
 * progress.connected(Date.now()); // at Welcome
 * // on every Ack:
 * progress.acked(resultsInBatch, outbox.depth().count);
 */
export class DrainProgress {
  readonly #outbox: Outbox;
  readonly #log: Logger;
  /** A connection began since the last ack, at this time. */
  #connectedAt: number | undefined;
  #windowStart = Date.now();
  #ackedInWindow = 0;
  /** A backlog is being drained: from when, and how many results so far. */
  #draining = false;
  #drainStart = 0;
  #ackedInDrain = 0;

  constructor(outbox: Outbox, log: Logger) {
    this.#outbox = outbox;
    this.#log = log;
  }

  acked(results: number, remaining: number, now = Date.now()): void {
    const firstOnConnection = this.#followConnection(now);
    this.#ackedInWindow += results;
    if (this.#draining) this.#ackedInDrain += results;
    else if (firstOnConnection && remaining > 0) {
      // What piled up while the link was down. No rate yet: one ack measures nothing.
      this.#startDrain(this.#windowStart, results);
      this.#log.info({ remaining, ratePerSec: null, etaSec: null }, 'draining backlog');
    }
    const elapsed = now - this.#windowStart;
    const finished = remaining === 0 && this.#draining;
    if (elapsed < REPORT_EVERY_MS && !finished) return;
    if (finished) {
      const durationMs = now - this.#drainStart;
      const ratePerSec = rate(this.#ackedInDrain, durationMs);
      this.#log.info({ results: this.#ackedInDrain, durationMs, ratePerSec }, 'backlog drained');
      this.#record(ratePerSec, 0, now);
      this.#draining = false;
    } else {
      const ratePerSec = rate(this.#ackedInWindow, elapsed);
      const etaSec = this.#record(ratePerSec, remaining, now);
      if (remaining > 0) {
        if (!this.#draining) this.#startDrain(this.#windowStart, this.#ackedInWindow);
        this.#log.info({ remaining, ratePerSec, etaSec }, 'draining backlog');
      }
    }
    this.#windowStart = now;
    this.#ackedInWindow = 0;
  }

  /** A session connected at `at`: the next ack starts a new window. */
  connected(at: number): void {
    this.#connectedAt = at;
  }

  /** Start a new window when the session has connected since the last ack; true if it has. */
  #followConnection(now: number): boolean {
    const connectedAt = this.#connectedAt;
    if (connectedAt === undefined) return false;
    this.#connectedAt = undefined;
    this.#windowStart = Math.min(connectedAt, now);
    this.#ackedInWindow = 0;
    this.#draining = false;
    return true;
  }

  #startDrain(since: number, acked: number): void {
    this.#draining = true;
    this.#drainStart = since;
    this.#ackedInDrain = acked;
  }

  /** Keep the figures for `outpost-agent status`; returns the ETA in seconds. */
  #record(ratePerSec: number | null, remaining: number, now: number): number | null {
    const etaSec = ratePerSec !== null && ratePerSec > 0 ? Math.ceil(remaining / ratePerSec) : null;
    this.#outbox.setMetas({
      drain_rate: ratePerSec === null ? '' : String(ratePerSec),
      drain_remaining: String(remaining),
      drain_eta_s: etaSec === null ? '' : String(etaSec),
      drain_at: String(now),
    });
    return etaSec;
  }
}

/** Results per second, or null when `elapsedMs` is too short to mean anything. */
function rate(results: number, elapsedMs: number): number | null {
  return elapsedMs >= MIN_RATE_WINDOW_MS ? Math.round((results / elapsedMs) * 1000) : null;
}
