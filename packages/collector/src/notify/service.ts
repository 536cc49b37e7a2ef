import { formatDuration } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { NotifyConfig } from './config.js';
import { Dispatcher } from './dispatcher.js';
import { NotificationQueue, type Awaitable, type NotificationQueueStore, type NotificationRecord } from './queue.js';
import { routeEvent } from './rules.js';
import type { AlertEvent, NotifyCounters, ProblemSnapshot, QueuedPayload } from './types.js';

export interface NotificationServiceOptions {
  /** The collector's SQLite database; the table from `NOTIFICATIONS_SCHEMA` must exist. */
  db?: Database.Database;
  /** Or any queue, e.g. PgNotificationQueue shared by several collectors. One of `db` and `queue`. */
  queue?: NotificationQueueStore;
  config: NotifyConfig;
  logger: Logger;
  counters: NotifyCounters;
  /** Clock in Unix ms; injectable for reminder tests. */
  now?: () => number;
  /** Deliveries in flight at once (default 4). */
  concurrency?: number;
  /** Deliveries in flight at once per notifier (default half of `concurrency`, at least 1). */
  perNotifierConcurrency?: number;
  /** How long `stop()` waits for deliveries in flight (default 2 s). */
  stopGraceMs?: number;
  /** Sent and failed rows older than this are deleted (default 30 days). */
  retentionMs?: number;
}

const PRUNE_INTERVAL_MS = 3_600_000;
/** How often `depth()` and `list()` are refreshed from a queue that answers asynchronously. */
const SNAPSHOT_INTERVAL_MS = 2_000;
/** Rows `list()` can page through on such a queue (the API's newest notifications). */
const SNAPSHOT_ROWS = 500;

/** Run `next` now on a value, or when a promise settles: a synchronous queue stays synchronous. */
function chain<T, U>(value: Awaitable<T>, next: (v: T) => Awaitable<U>): Awaitable<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

function all<T>(values: Awaitable<T>[]): Awaitable<T[]> {
  return values.some((v) => v instanceof Promise) ? Promise.all(values) : (values as T[]);
}

/**
 * Turns state-engine events into notifications: routes each event through the rules,
 * queues one row per (rule, notifier) in the database, and delivers them in the background
 * with retries. Nothing here blocks ingest: `submit` is one short transaction and returns;
 * on an asynchronous queue (PostgreSQL) it does not even wait for that: a failed enqueue is
 * logged and counted (`notify.enqueue_failed`).
 *
 * Delivery runs between `start()` and `stop()`, and may start again: with several
 * collectors on one database only the leader delivers, and leadership can come and go.
 *
 * @example
 * const notify = new NotificationService({ db, config: collectorConfig.notify, logger, counters });
 * notify.start();
 * notify.submit(events);          // from the state engine, after the batch is stored
 * notify.remind(openProblems);    // e.g. once a minute
 * await notify.stop();
 */
export class NotificationService {
  #config: NotifyConfig;
  readonly #logger: Logger;
  readonly #counters: NotifyCounters;
  readonly #now: () => number;
  readonly #queue: NotificationQueueStore;
  readonly #options: NotificationServiceOptions;
  readonly #retentionMs: number;
  #dispatcher: Dispatcher | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #snapshotTimer: NodeJS.Timeout | undefined;
  #snapshot: { depth: { pending: number; failed: number }; rows: NotificationRecord[] } = { depth: { pending: 0, failed: 0 }, rows: [] };
  readonly #synchronous: boolean;
  #closed = false;

  constructor(options: NotificationServiceOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.#counters = options.counters;
    this.#now = options.now ?? Date.now;
    this.#retentionMs = options.retentionMs ?? 30 * 86_400_000;
    if (options.queue) this.#queue = options.queue;
    else if (options.db) this.#queue = new NotificationQueue(options.db);
    else throw new Error('NotificationService needs a database (db) or a queue');
    this.#options = options;
    this.#synchronous = this.#queue instanceof NotificationQueue;
    if (!this.#synchronous) this.#refreshSnapshot();
  }

  /** The queue, for the API's list of notifications. */
  get queue(): NotificationQueueStore {
    return this.#queue;
  }

  /** Start delivering; rows left pending by a previous process (or leader) are picked up too. */
  start(): void {
    if (this.#dispatcher) return;
    this.#prune();
    this.#pruneTimer = setInterval(() => this.#prune(), PRUNE_INTERVAL_MS);
    this.#pruneTimer.unref();
    const concurrency = this.#options.concurrency ?? 4;
    this.#dispatcher = new Dispatcher({
      queue: this.#queue,
      notifiers: this.#config.notifiers,
      logger: this.#logger,
      counters: this.#counters,
      now: this.#now,
      concurrency,
      perNotifierConcurrency: this.#options.perNotifierConcurrency ?? Math.max(1, Math.floor(concurrency / 2)),
      stopGraceMs: this.#options.stopGraceMs ?? 2_000,
    });
    this.#dispatcher.start();
  }

  /** A reloaded config: rules apply to the next event, notifiers to the next delivery. */
  reload(config: NotifyConfig): void {
    this.#config = config;
    this.#dispatcher?.setNotifiers(config.notifiers);
  }

  /** Look at the queue now: another collector wrote to it (PostgreSQL LISTEN). */
  wake(): void {
    this.#dispatcher?.wake();
  }

  /** Whether this service is delivering (between `start()` and `stop()`). */
  get delivering(): boolean {
    return this.#dispatcher !== undefined;
  }

  /** Route and queue the events (synchronously, one transaction), then wake the dispatcher. */
  submit(events: readonly AlertEvent[]): void {
    const payloads: QueuedPayload[] = [];
    for (const event of events) {
      const routes = routeEvent(this.#config, event);
      if (routes.length === 0 && event.backfilled) this.#logger.debug({ event: event.id, agent: event.agent, check: event.check }, 'backfilled event recorded, not notified');
      for (const { rule, notifier } of routes) payloads.push({ ...event, rule, notifier });
    }
    this.#enqueue(payloads);
  }

  /**
   * For each open problem and each rule with a `reminder` that matches it, queue a
   * `reminder` when the problem is older than the interval and nothing was issued for
   * (rule, agent, check) within it.
   */
  remind(problems: readonly ProblemSnapshot[]): void {
    const now = this.#now();
    const candidates: { payloads: QueuedPayload[]; intervalMs: number; last: Awaitable<number | undefined> }[] = [];
    for (const problem of problems) {
      if (problem.status === 'OK') continue;
      const event = reminderEvent(problem, now);
      const byRule = new Map<string, string[]>();
      for (const { rule, notifier } of routeEvent(this.#config, event)) byRule.set(rule, [...(byRule.get(rule) ?? []), notifier]);
      for (const [ruleName, notifiers] of byRule) {
        const intervalMs = this.#config.rules.find((r) => r.name === ruleName)?.reminderMs;
        if (intervalMs === undefined || now - problem.since < intervalMs) continue;
        candidates.push({
          payloads: notifiers.map((notifier) => ({ ...event, rule: ruleName, notifier })),
          intervalMs,
          last: this.#queue.lastSent(ruleName, problem.agent, problem.check),
        });
      }
    }
    const done = chain(all(candidates.map((c) => c.last)), (lasts) => {
      const payloads = candidates.flatMap((c, i) => (lasts[i] !== undefined && now - lasts[i] < c.intervalMs ? [] : c.payloads));
      this.#enqueue(payloads);
    });
    if (done instanceof Promise) done.catch((err: unknown) => this.#logger.error({ err }, 'could not check reminders'));
  }

  /** Pending and failed rows; on an asynchronous queue, as of its last refresh (every ~2 s). */
  depth(): { pending: number; failed: number } {
    if (this.#synchronous) return this.#queue.depth() as { pending: number; failed: number };
    return { ...this.#snapshot.depth };
  }

  /**
   * Newest notifications first, for the API. On an asynchronous queue, from its last
   * refresh (every ~2 s), covering the newest 500 rows; `listAsync` reads the queue itself.
   */
  list(limit: number, beforeId?: number): NotificationRecord[] {
    if (this.#synchronous) return this.#queue.list(limit, beforeId) as NotificationRecord[];
    return this.#snapshot.rows.filter((r) => beforeId === undefined || r.id < beforeId).slice(0, limit);
  }

  /** Newest notifications first, read from the queue whatever kind it is. */
  async listAsync(limit: number, beforeId?: number): Promise<NotificationRecord[]> {
    return this.#queue.list(limit, beforeId);
  }

  /** Stop delivering; waits for deliveries in flight at most the stop grace (~2 s). */
  async stop(): Promise<void> {
    clearInterval(this.#pruneTimer);
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    await dispatcher?.stop();
  }

  /** Stop for good: also the snapshot refresh of an asynchronous queue. */
  async close(): Promise<void> {
    clearTimeout(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
    this.#closed = true;
    await this.stop();
  }

  #enqueue(payloads: QueuedPayload[]): void {
    if (payloads.length === 0) return;
    const done = chain(this.#queue.enqueue(payloads, this.#now()), () => {
      this.#counters.add('notify.enqueued', payloads.length);
      this.#dispatcher?.wake();
    });
    if (done instanceof Promise) {
      done.catch((err: unknown) => {
        this.#counters.add('notify.enqueue_failed', payloads.length);
        this.#logger.error({ err, notifications: payloads.length, events: [...new Set(payloads.map((p) => p.id))] }, 'could not queue notifications; they are lost');
      });
    }
  }

  #prune(): void {
    const report = (removed: number) => {
      if (removed > 0) this.#logger.info({ removed }, 'old notifications pruned');
    };
    const failed = (err: unknown) => this.#logger.warn({ err }, 'could not prune old notifications');
    try {
      const done = chain(this.#queue.prune(this.#now() - this.#retentionMs), report);
      if (done instanceof Promise) done.catch(failed);
    } catch (err: unknown) {
      failed(err);
    }
  }

  #refreshSnapshot(): void {
    if (this.#closed) return;
    void Promise.all([this.#queue.depth(), this.#queue.list(SNAPSHOT_ROWS)])
      .then(([depth, rows]) => (this.#snapshot = { depth, rows }))
      .catch((err: unknown) => this.#logger.warn({ err }, 'could not read the notification queue'))
      .finally(() => {
        if (this.#closed) return;
        this.#snapshotTimer = setTimeout(() => this.#refreshSnapshot(), SNAPSHOT_INTERVAL_MS);
        this.#snapshotTimer.unref();
      });
  }
}

function reminderEvent(problem: ProblemSnapshot, now: number): AlertEvent {
  const subject = problem.check === null ? problem.agent : `${problem.agent}/${problem.check}`;
  return {
    id: 0,
    kind: 'reminder',
    agent: problem.agent,
    check: problem.check,
    at: now,
    from: null,
    to: problem.status,
    previousDurationMs: null,
    backfilled: false,
    message: `${subject}: still ${problem.status} after ${formatDuration(now - problem.since)}: ${problem.message}`,
    labels: problem.labels,
  };
}
