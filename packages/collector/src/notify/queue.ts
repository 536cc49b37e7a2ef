import type Database from 'better-sqlite3';
import type { QueuedPayload } from './types.js';

/**
 * The notifications table. The collector adds it verbatim as a migration; delivery state
 * lives beside the events so pending notifications survive a restart.
 */
// Migration 5 of the collector database runs this text: once shipped, never edit it; add a migration.
export const NOTIFICATIONS_SCHEMA = `
  CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    agent           TEXT    NOT NULL,
    check_id        TEXT,
    rule            TEXT    NOT NULL,
    notifier        TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT
  );
  CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
  CREATE INDEX notifications_by_key ON notifications (rule, agent, check_id, created_at);
`;

export type NotificationState = 'pending' | 'sent' | 'failed';

/** One queued notification, as the dispatcher and the API see it. */
export interface NotificationRecord {
  id: number;
  eventId: number;
  kind: string;
  agent: string;
  check: string | null;
  rule: string;
  notifier: string;
  payload: QueuedPayload;
  state: NotificationState;
  /** Delivery attempts finished so far. */
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  sentAt: number | null;
  lastError: string | null;
}

/** A notifications row as both databases return it. */
export interface NotificationRow {
  id: number;
  event_id: number;
  kind: string;
  agent: string;
  check_id: string | null;
  rule: string;
  notifier: string;
  payload: string;
  state: NotificationState;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  sent_at: number | null;
  last_error: string | null;
}

export function toNotificationRecord(row: NotificationRow): NotificationRecord {
  return {
    id: row.id,
    eventId: row.event_id,
    kind: row.kind,
    agent: row.agent,
    check: row.check_id,
    rule: row.rule,
    notifier: row.notifier,
    payload: JSON.parse(row.payload) as QueuedPayload,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    lastError: row.last_error,
  };
}

/** Error texts come from receivers and programs; keep rows small. */
export const MAX_ERROR_CHARS = 2_000;

/** A value now (SQLite, synchronous) or later (PostgreSQL). */
export type Awaitable<T> = T | Promise<T>;

/**
 * What the notification service and its dispatcher need from a durable queue. The SQLite
 * queue answers synchronously; a queue on a server (PostgreSQL) answers with promises.
 */
export interface NotificationQueueStore {
  enqueue(payloads: QueuedPayload[], now: number): Awaitable<number[]>;
  due(now: number, limit: number, skipNotifiers?: readonly string[]): Awaitable<NotificationRecord[]>;
  nextDueAt(skipNotifiers?: readonly string[]): Awaitable<number | undefined>;
  claim(id: number, untilMs: number): Awaitable<void>;
  release(id: number, now: number): Awaitable<void>;
  markSent(id: number, now: number): Awaitable<void>;
  markRetry(id: number, nextAt: number, error: string): Awaitable<void>;
  markFailed(id: number, error: string, countAttempt?: boolean): Awaitable<void>;
  depth(): Awaitable<{ pending: number; failed: number }>;
  lastSent(rule: string, agent: string, check: string | null): Awaitable<number | undefined>;
  list(limit: number, beforeId?: number): Awaitable<NotificationRecord[]>;
  prune(beforeMs: number): Awaitable<number>;
}

/**
 * Durable notification queue in the collector's SQLite database (the table from
 * {@link NOTIFICATIONS_SCHEMA} must exist). Synchronous, like better-sqlite3: an enqueue is
 * one short transaction on the ingest path.
 *
 * @example
 * const queue = new NotificationQueue(db);
 * queue.enqueue([payload], Date.now());
 * for (const row of queue.due(Date.now(), 4)) ...
 */
export class NotificationQueue implements NotificationQueueStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #enqueueAll: (payloads: QueuedPayload[], now: number) => number[];

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO notifications (event_id, kind, agent, check_id, rule, notifier, payload, state, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    );
    this.#enqueueAll = db.transaction((payloads: QueuedPayload[], now: number) =>
      payloads.map((p) => Number(this.#insert.run(p.id, p.kind, p.agent, p.check, p.rule, p.notifier, JSON.stringify(p), now, now).lastInsertRowid)),
    );
  }

  /** Queue the payloads in one transaction, due now; returns their ids. */
  enqueue(payloads: QueuedPayload[], now: number): number[] {
    return payloads.length === 0 ? [] : this.#enqueueAll(payloads, now);
  }

  /** Pending rows due at `now`, oldest due first, skipping the given notifiers. */
  due(now: number, limit: number, skipNotifiers: readonly string[] = []): NotificationRecord[] {
    const skip = skipNotifiers.length === 0 ? '' : `AND notifier NOT IN (${skipNotifiers.map(() => '?').join(', ')})`;
    const rows = this.#db
      .prepare(`SELECT * FROM notifications WHERE state = 'pending' AND next_attempt_at <= ? ${skip} ORDER BY next_attempt_at, id LIMIT ?`)
      .all(now, ...skipNotifiers, limit) as NotificationRow[];
    return rows.map(toNotificationRecord);
  }

  /** When the next pending row (of the notifiers not skipped) is due; undefined when none. */
  nextDueAt(skipNotifiers: readonly string[] = []): number | undefined {
    const skip = skipNotifiers.length === 0 ? '' : `AND notifier NOT IN (${skipNotifiers.map(() => '?').join(', ')})`;
    const row = this.#db.prepare(`SELECT MIN(next_attempt_at) AS at FROM notifications WHERE state = 'pending' ${skip}`).get(...skipNotifiers) as { at: number | null };
    return row.at ?? undefined;
  }

  /**
   * Hold a row while it is being delivered: it is not due again before `untilMs`. When the
   * process dies mid-delivery the lease runs out and the row is delivered again.
   */
  claim(id: number, untilMs: number): void {
    this.#db.prepare(`UPDATE notifications SET next_attempt_at = ? WHERE id = ? AND state = 'pending'`).run(untilMs, id);
  }

  /** Give a claimed row back without counting an attempt (shutdown interrupted it). */
  release(id: number, now: number): void {
    this.#db.prepare(`UPDATE notifications SET next_attempt_at = ? WHERE id = ? AND state = 'pending'`).run(now, id);
  }

  markSent(id: number, now: number): void {
    this.#db.prepare(`UPDATE notifications SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?`).run(now, id);
  }

  /** One more failed attempt; try again at `nextAt`. */
  markRetry(id: number, nextAt: number, error: string): void {
    this.#db.prepare(`UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`).run(nextAt, error.slice(0, MAX_ERROR_CHARS), id);
  }

  /** The last attempt failed too (or the row cannot be delivered): give up on it. */
  markFailed(id: number, error: string, countAttempt = true): void {
    this.#db
      .prepare(`UPDATE notifications SET state = 'failed', attempts = attempts + ?, last_error = ? WHERE id = ?`)
      .run(countAttempt ? 1 : 0, error.slice(0, MAX_ERROR_CHARS), id);
  }

  depth(): { pending: number; failed: number } {
    const row = this.#db
      .prepare(`SELECT COUNT(*) FILTER (WHERE state = 'pending') AS pending, COUNT(*) FILTER (WHERE state = 'failed') AS failed FROM notifications WHERE state != 'sent'`)
      .get() as { pending: number; failed: number };
    return { pending: row.pending, failed: row.failed };
  }

  /**
   * When a notification for (rule, agent, check) was last issued (queued, in any state), for
   * reminders; undefined when never. A queued one counts, so a receiver that is down does
   * not collect one reminder per interval on top of the retries.
   */
  lastSent(rule: string, agent: string, check: string | null): number | undefined {
    const row = this.#db
      .prepare(`SELECT MAX(created_at) AS at FROM notifications WHERE rule = ? AND agent = ? AND check_id IS ?`)
      .get(rule, agent, check) as { at: number | null };
    return row.at ?? undefined;
  }

  /** Newest first; `beforeId` continues a listing below that id. */
  list(limit: number, beforeId = Number.MAX_SAFE_INTEGER): NotificationRecord[] {
    return (this.#db.prepare(`SELECT * FROM notifications WHERE id < ? ORDER BY id DESC LIMIT ?`).all(beforeId, limit) as NotificationRow[]).map(toNotificationRecord);
  }

  /** Delete sent and failed rows created before `beforeMs`; returns how many. */
  prune(beforeMs: number): number {
    return this.#db.prepare(`DELETE FROM notifications WHERE state != 'pending' AND created_at < ?`).run(beforeMs).changes;
  }
}
