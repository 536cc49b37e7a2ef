import type pg from 'pg';

/** The first row of a query, or undefined. */
export async function queryOne<T extends pg.QueryResultRow>(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await pool.query<T>(sql, params)).rows[0];
}

/** Every row of a query. */
export async function queryAll<T extends pg.QueryResultRow>(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await pool.query<T>(sql, params)).rows;
}

/**
 * Run `work` in one transaction on one pooled connection: COMMIT when it returns, ROLLBACK
 * when it throws (the error goes on).
 *
 * @example
 * const version = await inTransaction(pool, async (c) => (await c.query('SELECT 1')).rowCount);
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (err: unknown) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
