import type Database from 'better-sqlite3';

/**
 * The small integer that stands for an (agent, check id) pair in the results table and its
 * per-check index (table `checks`, migration 9). Keys are made inside the ingest
 * transaction and cached; a key made in a transaction that rolls back is forgotten with it.
 * Keys are never deleted or reused, so a cached key stays right while other processes
 * (import, a second collector) add their own.
 *
 * @example
 * const keys = new SqliteCheckKeys(db);
 * db.transaction(() => keys.keyFor(agentId, 'tcp:web:443'))(); // then keys.committed()
 */
export class SqliteCheckKeys {
  readonly #byAgent = new Map<number, Map<string, number>>();
  /** Made in the transaction in flight: forgotten if it rolls back. */
  #fresh: { agentId: number; checkId: string }[] = [];
  readonly #find: Database.Statement<[number, string], { id: number }>;
  readonly #insert: Database.Statement<[number, string]>;

  constructor(db: Database.Database) {
    this.#find = db.prepare('SELECT id FROM checks WHERE agent_id = ? AND check_id = ?');
    this.#insert = db.prepare('INSERT INTO checks (agent_id, check_id) VALUES (?, ?)');
  }

  /** The key of an agent's check, made if it has none yet. Call inside a write transaction. */
  keyFor(agentId: number, checkId: string): number {
    let keys = this.#byAgent.get(agentId);
    const cached = keys?.get(checkId);
    if (cached !== undefined) return cached;
    let id = this.#find.get(agentId, checkId)?.id;
    if (id === undefined) {
      id = Number(this.#insert.run(agentId, checkId).lastInsertRowid);
      this.#fresh.push({ agentId, checkId });
    }
    if (!keys) this.#byAgent.set(agentId, (keys = new Map()));
    keys.set(checkId, id);
    return id;
  }

  /** The transaction that made the fresh keys committed: they stay. */
  committed(): void {
    this.#fresh = [];
  }

  /** The transaction rolled back: keys made in it do not exist. */
  rolledBack(): void {
    for (const { agentId, checkId } of this.#fresh) this.#byAgent.get(agentId)?.delete(checkId);
    this.#fresh = [];
  }
}
