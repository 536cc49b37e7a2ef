import type pg from 'pg';
import { MAX_ERROR_CHARS, toNotificationRecord, type NotificationQueueStore, type NotificationRecord, type NotificationRow } from './queue.js';
import type { QueuedPayload } from './types.js';

/** The channel an enqueue NOTIFYs, so the leader's dispatcher wakes for rows another collector wrote. */
export const NOTIFICATIONS_CHANNEL = 'outpost_notifications';

/**
 * The durable notification queue in PostgreSQL (the `notifications` table of the collector's
 * PostgreSQL migrations), shared by every collector on the database: any of them enqueues,
 * only the leader's dispatcher delivers. Same rows and states as the SQLite queue.
 *
 * @example
 * const queue = new PgNotificationQueue(store.pool);
 * await queue.enqueue([payload], Date.now());
 */
export class PgNotificationQueue implements NotificationQueueStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** One transaction for all payloads, and a NOTIFY delivered with its commit. */
  async enqueue(payloads: QueuedPayload[], now: number): Promise<number[]> {
    if (payloads.length === 0) return [];
    const { rows } = await this.#pool.query<{ id: number }>(
      `WITH added AS (
         INSERT INTO notifications (event_id, kind, agent, check_id, rule, notifier, payload, state, attempts, next_attempt_at, created_at)
         SELECT u.event_id, u.kind, u.agent, u.check_id, u.rule, u.notifier, u.payload, 'pending', 0, $8, $8
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY
                AS u (event_id, kind, agent, check_id, rule, notifier, payload, n)
          ORDER BY u.n
         RETURNING id)
       SELECT id, pg_notify('${NOTIFICATIONS_CHANNEL}', '') IS NULL AS n FROM added ORDER BY id`,
      [
        payloads.map((p) => p.id),
        payloads.map((p) => p.kind),
        payloads.map((p) => p.agent),
        payloads.map((p) => p.check),
        payloads.map((p) => p.rule),
        payloads.map((p) => p.notifier),
        payloads.map((p) => JSON.stringify(p)),
        now,
      ],
    );
    return rows.map((r) => r.id);
  }

  async due(now: number, limit: number, skipNotifiers: readonly string[] = []): Promise<NotificationRecord[]> {
    const { rows } = await this.#pool.query<NotificationRow>(
      `SELECT * FROM notifications WHERE state = 'pending' AND next_attempt_at <= $1 AND NOT (notifier = ANY($2::text[]))
        ORDER BY next_attempt_at, id LIMIT $3`,
      [now, [...skipNotifiers], limit],
    );
    return rows.map(toNotificationRecord);
  }

  async nextDueAt(skipNotifiers: readonly string[] = []): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ at: number | null }>(
      `SELECT min(next_attempt_at) AS at FROM notifications WHERE state = 'pending' AND NOT (notifier = ANY($1::text[]))`,
      [[...skipNotifiers]],
    );
    return rows[0]?.at ?? undefined;
  }

  async claim(id: number, untilMs: number): Promise<void> {
    await this.#pool.query(`UPDATE notifications SET next_attempt_at = $1 WHERE id = $2 AND state = 'pending'`, [untilMs, id]);
  }

  async release(id: number, now: number): Promise<void> {
    await this.#pool.query(`UPDATE notifications SET next_attempt_at = $1 WHERE id = $2 AND state = 'pending'`, [now, id]);
  }

  async markSent(id: number, now: number): Promise<void> {
    await this.#pool.query(`UPDATE notifications SET state = 'sent', attempts = attempts + 1, sent_at = $1, last_error = NULL WHERE id = $2`, [now, id]);
  }

  async markRetry(id: number, nextAt: number, error: string): Promise<void> {
    await this.#pool.query(`UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3`, [nextAt, error.slice(0, MAX_ERROR_CHARS), id]);
  }

  async markFailed(id: number, error: string, countAttempt = true): Promise<void> {
    await this.#pool.query(`UPDATE notifications SET state = 'failed', attempts = attempts + $1, last_error = $2 WHERE id = $3`, [
      countAttempt ? 1 : 0, error.slice(0, MAX_ERROR_CHARS), id,
    ]);
  }

  async depth(): Promise<{ pending: number; failed: number }> {
    const { rows } = await this.#pool.query<{ pending: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE state = 'pending') AS pending, count(*) FILTER (WHERE state = 'failed') AS failed FROM notifications WHERE state != 'sent'`,
    );
    return { pending: rows[0]?.pending ?? 0, failed: rows[0]?.failed ?? 0 };
  }

  async lastSent(rule: string, agent: string, check: string | null): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ at: number | null }>(
      `SELECT max(created_at) AS at FROM notifications WHERE rule = $1 AND agent = $2 AND check_id IS NOT DISTINCT FROM $3`,
      [rule, agent, check],
    );
    return rows[0]?.at ?? undefined;
  }

  async list(limit: number, beforeId = Number.MAX_SAFE_INTEGER): Promise<NotificationRecord[]> {
    const { rows } = await this.#pool.query<NotificationRow>(`SELECT * FROM notifications WHERE id < $1 ORDER BY id DESC LIMIT $2`, [beforeId, limit]);
    return rows.map(toNotificationRecord);
  }

  async prune(beforeMs: number): Promise<number> {
    const { rowCount } = await this.#pool.query(`DELETE FROM notifications WHERE state != 'pending' AND created_at < $1`, [beforeMs]);
    return rowCount ?? 0;
  }
}
