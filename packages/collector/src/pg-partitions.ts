import type pg from 'pg';
import { LOCK_NAMESPACE, LOCK_PARTITIONS } from './pg-migrations.js';

const DAY_MS = 86_400_000;

/** One daily partition of `results`: rows with from <= started_at < to. */
export interface ResultPartition {
  name: string;
  from: number;
  to: number;
}

/** "results_20261128" for a day in years 1000..9999, else "results_d<day number>" (a wild agent clock). */
export function partitionName(day: number): string {
  const date = new Date(day * DAY_MS);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 1000 || year > 9999) return `results_d${day < 0 ? `m${-day}` : day}`;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `results_${year}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`;
}

/**
 * The daily partitions of `results`. Created on demand before an ingest transaction, never
 * inside one: creating a partition locks the parent table, and two collectors each holding
 * row locks on it while asking for that lock would deadlock. Creation and dropping take one
 * advisory lock, so collectors never race on the same partition.
 *
 * An agent whose clock is far off creates partitions for the days its results claim; they
 * are dropped by retention like any other (future days once they have aged).
 */
export class ResultPartitions {
  readonly #pool: pg.Pool;
  /** Days known to have a partition (this process made or saw it). */
  readonly #known = new Set<number>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Make sure a partition exists for the day of every given check time. */
  async ensure(startedAts: Iterable<number>): Promise<void> {
    const missing = new Set<number>();
    for (const at of startedAts) {
      const day = Math.floor(at / DAY_MS);
      if (!this.#known.has(day)) missing.add(day);
    }
    if (missing.size === 0) return;
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCK_PARTITIONS]);
      for (const day of missing) {
        // Bounds are bigint literals from integers: no user text reaches this statement.
        await client.query(`CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF results FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`);
      }
      await client.query('COMMIT');
      for (const day of missing) this.#known.add(day);
    } catch (err: unknown) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Forget what this process knew: another collector may have dropped a partition. */
  forget(): void {
    this.#known.clear();
  }

  /** Every partition, oldest first. */
  async list(client: pg.ClientBase | pg.Pool = this.#pool): Promise<ResultPartition[]> {
    const { rows } = await client.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'results'::regclass`,
    );
    const parts = rows.flatMap((row) => {
      const m = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(row.bound);
      return m ? [{ name: row.name, from: Number(m[1]), to: Number(m[2]) }] : [];
    });
    return parts.sort((a, b) => a.from - b.from);
  }

  /** Drop whole partitions whose every row is older than `cutoffMs`; returns their names. */
  async dropBefore(cutoffMs: number): Promise<string[]> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCK_PARTITIONS]);
      const old = (await this.list(client)).filter((p) => p.to <= cutoffMs);
      for (const p of old) await client.query(`DROP TABLE ${p.name}`);
      await client.query('COMMIT');
      for (const p of old) this.#known.delete(Math.floor(p.from / DAY_MS));
      return old.map((p) => p.name);
    } catch (err: unknown) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
