import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** A downstream agent's signed batch held by a relay until the upstream acknowledged it. */
export interface RelayedEntry {
  /** Arrival order at this relay: forwarding follows it. */
  seq: number;
  agentKey: Uint8Array;
  agentName: string;
  batchSeq: number;
  /** The signed BatchBody bytes and the signature, exactly as the agent made them. */
  payload: Uint8Array;
  signature: Uint8Array;
  /** Relays passed so far, this one last. */
  path: string[];
  /** The downstream session (agent or relay name) that delivered it: the ack goes back there. */
  via: string;
}

/** A config push held for an agent behind this relay until it (or the relay in front of it) connects. */
export interface HeldConfigPush {
  agentKey: Uint8Array;
  agentName: string;
  version: number;
  config: Uint8Array;
  signature: Uint8Array;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS relayed (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  agent_key  BLOB    NOT NULL,
  batch_seq  INTEGER NOT NULL,
  agent_name TEXT    NOT NULL,
  payload    BLOB    NOT NULL,
  signature  BLOB    NOT NULL,
  path       TEXT    NOT NULL,
  via        TEXT    NOT NULL,
  UNIQUE (agent_key, batch_seq)
);
CREATE TABLE IF NOT EXISTS config_pushes (
  agent_key  BLOB PRIMARY KEY,
  agent_name TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  config     BLOB    NOT NULL,
  signature  BLOB    NOT NULL
) WITHOUT ROWID;
`;

interface Row {
  seq: number;
  agent_key: Buffer;
  batch_seq: number;
  agent_name: string;
  payload: Buffer;
  signature: Buffer;
  path: string;
  via: string;
}

const toEntry = (row: Row): RelayedEntry => ({
  seq: row.seq,
  agentKey: new Uint8Array(row.agent_key),
  agentName: row.agent_name,
  batchSeq: row.batch_seq,
  payload: row.payload,
  signature: row.signature,
  path: JSON.parse(row.path) as string[],
  via: row.via,
});

/**
 * A relay's outbox (`relay.db` in the data directory, WAL, mode 0600): the raw batches of
 * downstream agents keyed by (agent_key, batch_seq), in arrival order, deleted only after
 * the upstream acknowledged them; and the newest config push per agent behind the relay.
 * The batch bytes are stored as received and sent on as stored, never re-encoded.
 *
 * @example
 * const outbox = RelayOutbox.open(join(dataDir, 'relay.db'));
 * outbox.put({ agentKey, agentName, batchSeq, payload, signature, path: ['relay-plant'], via: 'lab-deep' });
 * for (const entry of outbox.after(0, 8)) send(entry);
 * const done = outbox.remove(agentKey, batchSeq); // after the upstream ack
 */
export class RelayOutbox {
  readonly #db: Database.Database;
  #count: number;
  #bytes: number;
  /** Batches held per downstream session name: counted here, not by a scan per batch. */
  readonly #byVia = new Map<string, number>();

  private constructor(db: Database.Database) {
    this.#db = db;
    const totals = db.prepare('SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS bytes FROM relayed').get() as { n: number; bytes: number };
    this.#count = totals.n;
    this.#bytes = totals.bytes;
    for (const row of db.prepare('SELECT via, count(*) AS n FROM relayed GROUP BY via').all() as { via: string; n: number }[]) this.#byVia.set(row.via, row.n);
  }

  static open(path: string): RelayOutbox {
    const fresh = !existsSync(path);
    if (fresh) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path);
    if (fresh) chmodSync(path, 0o600);
    db.pragma('journal_mode = WAL');
    // As the agent outbox: a process crash loses no commit; a downstream ack follows a commit.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    return new RelayOutbox(db);
  }

  /** Store a batch; false when (agent_key, batch_seq) is held already (a resend). */
  put(entry: Omit<RelayedEntry, 'seq'>): boolean {
    const info = this.#db
      .prepare('INSERT OR IGNORE INTO relayed (agent_key, batch_seq, agent_name, payload, signature, path, via) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(Buffer.from(entry.agentKey), entry.batchSeq, entry.agentName, Buffer.from(entry.payload), Buffer.from(entry.signature), JSON.stringify(entry.path), entry.via);
    if (info.changes === 0) return false;
    this.#count += 1;
    this.#bytes += entry.payload.length;
    this.#byVia.set(entry.via, this.heldVia(entry.via) + 1);
    return true;
  }

  /** Up to `limit` held batches after arrival number `afterSeq`, oldest first. */
  after(afterSeq: number, limit: number): RelayedEntry[] {
    return (this.#db.prepare('SELECT * FROM relayed WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as Row[]).map(toEntry);
  }

  /** Delete an acknowledged batch; returns it (for the downstream ack), or undefined if not held. */
  remove(agentKey: Uint8Array, batchSeq: number): RelayedEntry | undefined {
    const row = this.#db.prepare('DELETE FROM relayed WHERE agent_key = ? AND batch_seq = ? RETURNING *').get(Buffer.from(agentKey), batchSeq) as Row | undefined;
    if (!row) return undefined;
    this.#count -= 1;
    this.#bytes -= row.payload.length;
    const left = this.heldVia(row.via) - 1;
    if (left > 0) this.#byVia.set(row.via, left);
    else this.#byVia.delete(row.via);
    return toEntry(row);
  }

  /** Batches held that the downstream session `via` delivered. */
  heldVia(via: string): number {
    return this.#byVia.get(via) ?? 0;
  }

  depth(): { count: number; bytes: number } {
    return { count: this.#count, bytes: this.#bytes };
  }

  /** Keep the newest push per agent; false when an equal or newer version is held. */
  holdPush(push: HeldConfigPush): boolean {
    const info = this.#db
      .prepare(
        `INSERT INTO config_pushes (agent_key, agent_name, version, config, signature) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (agent_key) DO UPDATE SET agent_name = excluded.agent_name, version = excluded.version, config = excluded.config,
           signature = excluded.signature WHERE excluded.version > config_pushes.version`,
      )
      .run(Buffer.from(push.agentKey), push.agentName, push.version, Buffer.from(push.config), Buffer.from(push.signature));
    return info.changes === 1;
  }

  heldPushes(): HeldConfigPush[] {
    const rows = this.#db.prepare('SELECT * FROM config_pushes').all() as { agent_key: Buffer; agent_name: string; version: number; config: Buffer; signature: Buffer }[];
    return rows.map((r) => ({ agentKey: new Uint8Array(r.agent_key), agentName: r.agent_name, version: r.version, config: r.config, signature: r.signature }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
