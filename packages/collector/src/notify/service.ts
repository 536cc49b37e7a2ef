import { formatDuration } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { NotifyConfig } from './config.js';
import { Dispatcher } from './dispatcher.js';
import { NotificationQueue, type NotificationRecord } from './queue.js';
import { routeEvent } from './rules.js';
import type { AlertEvent, NotifyCounters, ProblemSnapshot, QueuedPayload } from './types.js';

export interface NotificationServiceOptions {
  /** The collector's database; the table from `NOTIFICATIONS_SCHEMA` must exist. */
  db: Database.Database;
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

/**
 * Turns state-engine events into notifications: routes each event through the rules,
 * queues one row per (rule, notifier) in the database, and delivers them in the background
 * with retries. Nothing here blocks ingest: `submit` is one short transaction and returns.
 *
 * @example
 * const notify = new NotificationService({ db, config: collectorConfig.notify, logger, counters });
 * notify.start();
 * notify.submit(events);          // from the state engine, after the batch is stored
 * notify.remind(openProblems);    // e.g. once a minute
 * await notify.stop();
 */
export class NotificationService {
  readonly #config: NotifyConfig;
  readonly #logger: Logger;
  readonly #counters: NotifyCounters;
  readonly #now: () => number;
  readonly #queue: NotificationQueue;
  readonly #dispatcher: Dispatcher;
  readonly #retentionMs: number;
  #pruneTimer: NodeJS.Timeout | undefined;

  constructor(options: NotificationServiceOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.#counters = options.counters;
    this.#now = options.now ?? Date.now;
    this.#retentionMs = options.retentionMs ?? 30 * 86_400_000;
    this.#queue = new NotificationQueue(options.db);
    const concurrency = options.concurrency ?? 4;
    this.#dispatcher = new Dispatcher({
      queue: this.#queue,
      notifiers: options.config.notifiers,
      logger: options.logger,
      counters: options.counters,
      now: this.#now,
      concurrency,
      perNotifierConcurrency: options.perNotifierConcurrency ?? Math.max(1, Math.floor(concurrency / 2)),
      stopGraceMs: options.stopGraceMs ?? 2_000,
    });
  }

  /** The queue, for the API's list of notifications. */
  get queue(): NotificationQueue {
    return this.#queue;
  }

  /** Start delivering; rows left pending by a previous process are picked up too. */
  start(): void {
    this.#prune();
    this.#pruneTimer = setInterval(() => this.#prune(), PRUNE_INTERVAL_MS);
    this.#pruneTimer.unref();
    this.#dispatcher.start();
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
    const payloads: QueuedPayload[] = [];
    for (const problem of problems) {
      if (problem.status === 'OK') continue;
      const event = reminderEvent(problem, now);
      const byRule = new Map<string, string[]>();
      for (const { rule, notifier } of routeEvent(this.#config, event)) byRule.set(rule, [...(byRule.get(rule) ?? []), notifier]);
      for (const [ruleName, notifiers] of byRule) {
        const intervalMs = this.#config.rules.find((r) => r.name === ruleName)?.reminderMs;
        if (intervalMs === undefined || now - problem.since < intervalMs) continue;
        const last = this.#queue.lastSent(ruleName, problem.agent, problem.check);
        if (last !== undefined && now - last < intervalMs) continue;
        for (const notifier of notifiers) payloads.push({ ...event, rule: ruleName, notifier });
      }
    }
    this.#enqueue(payloads);
  }

  depth(): { pending: number; failed: number } {
    return this.#queue.depth();
  }

  /** Newest notifications first, for the API. */
  list(limit: number, beforeId?: number): NotificationRecord[] {
    return this.#queue.list(limit, beforeId);
  }

  /** Stop delivering; waits for deliveries in flight at most the stop grace (~2 s). */
  async stop(): Promise<void> {
    clearInterval(this.#pruneTimer);
    await this.#dispatcher.stop();
  }

  #enqueue(payloads: QueuedPayload[]): void {
    if (payloads.length === 0) return;
    this.#queue.enqueue(payloads, this.#now());
    this.#counters.add('notify.enqueued', payloads.length);
    this.#dispatcher.wake();
  }

  #prune(): void {
    try {
      const removed = this.#queue.prune(this.#now() - this.#retentionMs);
      if (removed > 0) this.#logger.info({ removed }, 'old notifications pruned');
    } catch (err: unknown) {
      this.#logger.warn({ err }, 'could not prune old notifications');
    }
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
