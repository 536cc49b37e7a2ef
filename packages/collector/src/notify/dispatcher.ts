import type { Logger } from 'pino';
import type { NotifierConfig } from './config.js';
import { backoffMs, deliverOnce } from './deliver.js';
import type { NotificationQueue, NotificationRecord } from './queue.js';
import type { NotifyCounters } from './types.js';

export interface DispatcherOptions {
  queue: NotificationQueue;
  notifiers: Record<string, NotifierConfig>;
  logger: Logger;
  counters: NotifyCounters;
  now: () => number;
  /** Deliveries in flight at once, over all notifiers. */
  concurrency: number;
  /** Deliveries in flight at once for one notifier, so a hanging one cannot take every slot. */
  perNotifierConcurrency: number;
  /** How long `stop()` waits for deliveries in flight before aborting them. */
  stopGraceMs: number;
}

// A claimed row is due again after the notifier's timeout plus this, should the process die.
const LEASE_MARGIN_MS = 10_000;
// Re-read the queue at least this often, so rows written by another handle are not stranded.
const MAX_IDLE_MS = 60_000;
// Never poll faster than this, whatever the clock says.
const MIN_WAIT_MS = 20;

/**
 * Delivers due rows from the queue with bounded concurrency; retries with backoff; gives up
 * after the notifier's retries. Every outcome is written back to the queue row.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #inFlight = new Map<number, { notifier: string; done: Promise<void> }>();
  readonly #abort = new AbortController();
  #running = false;
  // After stop() returns the database may be closed: late outcomes are not written.
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #pumpScheduled = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    this.wake();
  }

  /** Look for due rows soon (after the current synchronous work, e.g. an ingest batch). */
  wake(): void {
    if (!this.#running || this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Stop taking rows; wait up to `stopGraceMs` for deliveries in flight, then abort them. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#running = false;
    clearTimeout(this.#timer);
    const settled = (): Promise<unknown> => Promise.allSettled([...this.#inFlight.values()].map((d) => d.done));
    await withDeadline(settled(), this.#options.stopGraceMs);
    if (this.#inFlight.size > 0) {
      this.#abort.abort(new Error('collector stopping'));
      // Aborted fetches settle at once; a program may need its SIGTERM grace, which we do
      // not wait for: its row stays claimed and is delivered again after the lease.
      await withDeadline(settled(), 250);
    }
    this.#closed = true;
  }

  #pump(): void {
    if (!this.#running) return;
    const { queue, concurrency } = this.#options;
    try {
      for (;;) {
        const free = concurrency - this.#inFlight.size;
        if (free <= 0) break;
        const busy = this.#busyNotifiers();
        const rows = queue.due(this.#options.now(), free, busy);
        let started = 0;
        for (const row of rows) {
          if (this.#inFlight.size >= concurrency || this.#busyNotifiers().includes(row.notifier)) continue;
          this.#start(row);
          started += 1;
        }
        if (started === 0) break;
      }
      this.#scheduleNext();
    } catch (err: unknown) {
      this.#options.logger.error({ err }, 'notification dispatcher could not read its queue');
      this.#arm(MAX_IDLE_MS);
    }
  }

  #busyNotifiers(): string[] {
    const counts = new Map<string, number>();
    for (const { notifier } of this.#inFlight.values()) counts.set(notifier, (counts.get(notifier) ?? 0) + 1);
    return [...counts].filter(([, n]) => n >= this.#options.perNotifierConcurrency).map(([name]) => name);
  }

  #scheduleNext(): void {
    if (this.#inFlight.size >= this.#options.concurrency) return; // a finished delivery pumps again
    const next = this.#options.queue.nextDueAt(this.#busyNotifiers());
    const waitMs = next === undefined ? MAX_IDLE_MS : Math.min(Math.max(next - this.#options.now(), MIN_WAIT_MS), MAX_IDLE_MS);
    this.#arm(waitMs);
  }

  #arm(waitMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#pump(), waitMs);
    this.#timer.unref();
  }

  #start(row: NotificationRecord): void {
    const { queue, notifiers, now } = this.#options;
    const notifier = Object.hasOwn(notifiers, row.notifier) ? notifiers[row.notifier] : undefined;
    if (notifier === undefined) {
      // The config changed since this row was queued.
      queue.markFailed(row.id, `notifier "${row.notifier}" is no longer configured`, false);
      this.#options.counters.add('notify.failed');
      this.#options.logger.warn({ notification: row.id, rule: row.rule, notifier: row.notifier }, 'notification dropped: notifier no longer configured');
      return;
    }
    queue.claim(row.id, now() + notifier.timeoutMs + LEASE_MARGIN_MS);
    const done = this.#attempt(row, notifier).finally(() => {
      this.#inFlight.delete(row.id);
      this.wake();
    });
    this.#inFlight.set(row.id, { notifier: row.notifier, done });
  }

  async #attempt(row: NotificationRecord, notifier: NotifierConfig): Promise<void> {
    const { queue, logger, counters, now } = this.#options;
    const outcome = await deliverOnce(notifier, { ...row.payload, sentAt: now() }, this.#abort.signal).catch((err: unknown) => ({
      ok: false,
      error: `delivery failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
    }));
    if (this.#closed) return;
    const attempt = row.attempts + 1;
    const context = { notification: row.id, event: row.eventId, kind: row.kind, agent: row.agent, check: row.check, rule: row.rule, notifier: row.notifier, attempt };
    try {
      if (outcome.ok) {
        queue.markSent(row.id, now());
        counters.add('notify.sent');
        logger.info(context, 'notification sent');
      } else if (this.#abort.signal.aborted) {
        queue.release(row.id, now());
        logger.warn({ ...context, error: outcome.error }, 'notification interrupted by shutdown; it stays queued');
      } else if (attempt > notifier.retries) {
        queue.markFailed(row.id, outcome.error ?? 'failed');
        counters.add('notify.failed');
        logger.warn({ ...context, error: outcome.error }, `notification failed after ${attempt} attempts; giving up`);
      } else {
        const delayMs = backoffMs(notifier, attempt);
        queue.markRetry(row.id, now() + delayMs, outcome.error ?? 'failed');
        counters.add('notify.retried');
        logger.warn({ ...context, error: outcome.error, retryInMs: delayMs }, 'notification attempt failed; will retry');
      }
    } catch (err: unknown) {
      logger.error({ ...context, err }, 'could not record a notification outcome');
    }
  }
}

async function withDeadline(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
