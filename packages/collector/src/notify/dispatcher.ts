import type { Logger } from 'pino';
import type { NotifierConfig } from './config.js';
import { backoffMs, deliverOnce } from './deliver.js';
import type { NotificationQueueStore, NotificationRecord } from './queue.js';
import type { NotifyCounters } from './types.js';

export interface DispatcherOptions {
  queue: NotificationQueueStore;
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
  #options: DispatcherOptions;
  readonly #inFlight = new Map<number, { notifier: string; done: Promise<void> }>();
  readonly #abort = new AbortController();
  #running = false;
  // After stop() returns the database may be closed: late outcomes are not written.
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #pumpScheduled = false;
  // One pump at a time: an asynchronous queue answers later, and a wake meanwhile must not
  // start a second reader that would pick the same rows.
  #pumping = false;
  #again = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  /** Notifiers from a reloaded config; rows already queued for a removed one fail as unknown. */
  setNotifiers(notifiers: Record<string, NotifierConfig>): void {
    this.#options = { ...this.#options, notifiers };
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
      void this.#pump();
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

  async #pump(): Promise<void> {
    if (!this.#running) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        await this.#fill();
      } while (this.#again && this.#running);
      if (this.#running) await this.#scheduleNext();
    } catch (err: unknown) {
      this.#options.logger.error({ err }, 'notification dispatcher could not read its queue');
      this.#arm(MAX_IDLE_MS);
    } finally {
      this.#pumping = false;
    }
  }

  /** Start due rows until the slots are full or nothing more is due. */
  async #fill(): Promise<void> {
    const { queue, concurrency } = this.#options;
    for (;;) {
      const free = concurrency - this.#inFlight.size;
      if (free <= 0 || !this.#running) return;
      const rows = await queue.due(this.#options.now(), free, this.#busyNotifiers());
      let started = 0;
      for (const row of rows) {
        if (!this.#running) return;
        if (this.#inFlight.size >= concurrency || this.#inFlight.has(row.id) || this.#busyNotifiers().includes(row.notifier)) continue;
        if (await this.#start(row)) started += 1;
      }
      if (started === 0) return;
    }
  }

  #busyNotifiers(): string[] {
    const counts = new Map<string, number>();
    for (const { notifier } of this.#inFlight.values()) counts.set(notifier, (counts.get(notifier) ?? 0) + 1);
    return [...counts].filter(([, n]) => n >= this.#options.perNotifierConcurrency).map(([name]) => name);
  }

  async #scheduleNext(): Promise<void> {
    if (this.#inFlight.size >= this.#options.concurrency) return; // a finished delivery pumps again
    const next = await this.#options.queue.nextDueAt(this.#busyNotifiers());
    const waitMs = next === undefined ? MAX_IDLE_MS : Math.min(Math.max(next - this.#options.now(), MIN_WAIT_MS), MAX_IDLE_MS);
    this.#arm(waitMs);
  }

  #arm(waitMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#pump(), waitMs);
    this.#timer.unref();
  }

  /** Claim a row and deliver it in the background; false when it could not be started. */
  async #start(row: NotificationRecord): Promise<boolean> {
    const { queue, notifiers, now } = this.#options;
    const notifier = Object.hasOwn(notifiers, row.notifier) ? notifiers[row.notifier] : undefined;
    if (notifier === undefined) {
      // The config changed since this row was queued.
      await queue.markFailed(row.id, `notifier "${row.notifier}" is no longer configured`, false);
      this.#options.counters.add('notify.failed');
      this.#options.logger.warn({ notification: row.id, rule: row.rule, notifier: row.notifier }, 'notification dropped: notifier no longer configured');
      return false;
    }
    await queue.claim(row.id, now() + notifier.timeoutMs + LEASE_MARGIN_MS);
    const done = this.#attempt(row, notifier).finally(() => {
      this.#inFlight.delete(row.id);
      this.wake();
    });
    this.#inFlight.set(row.id, { notifier: row.notifier, done });
    return true;
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
        await queue.markSent(row.id, now());
        counters.add('notify.sent');
        logger.info(context, 'notification sent');
      } else if (this.#abort.signal.aborted) {
        await queue.release(row.id, now());
        logger.warn({ ...context, error: outcome.error }, 'notification interrupted by shutdown; it stays queued');
      } else if (attempt > notifier.retries) {
        await queue.markFailed(row.id, outcome.error ?? 'failed');
        counters.add('notify.failed');
        logger.warn({ ...context, error: outcome.error }, `notification failed after ${attempt} attempts; giving up`);
      } else {
        const delayMs = backoffMs(notifier, attempt);
        await queue.markRetry(row.id, now() + delayMs, outcome.error ?? 'failed');
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
