import type { Logger } from './logger.js';

/**
 * Logs the first event of each kind in an interval and only a count of the rest, so a
 * flood of hostile connections is visible in the log without flooding it. The counters
 * still count every single one.
 *
 * @example
 * const rejections = new ThrottledLog(logger, 10_000);
 * rejections.warn('rejected.bad_frame', { remote }, 'frame does not decode');
 */
export class ThrottledLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #suppressed = new Map<string, number>();
  readonly #windowStart = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, intervalMs = 10_000) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  warn(kind: string, fields: Record<string, unknown>, message: string, now = Date.now()): void {
    const started = this.#windowStart.get(kind);
    if (started === undefined || now - started >= this.#intervalMs) {
      this.#windowStart.set(kind, now);
      this.#logger.warn({ ...fields, kind }, message);
      return;
    }
    this.#suppressed.set(kind, (this.#suppressed.get(kind) ?? 0) + 1);
    this.#timer ??= setTimeout(() => this.flush(), this.#intervalMs).unref();
  }

  /** Log how many events of each kind were not logged one by one. */
  flush(): void {
    this.#timer = undefined;
    for (const [kind, count] of this.#suppressed) {
      this.#logger.warn({ kind, count, intervalMs: this.#intervalMs }, `${count} more ${kind} in the last ${this.#intervalMs / 1000} s`);
    }
    this.#suppressed.clear();
  }
}
