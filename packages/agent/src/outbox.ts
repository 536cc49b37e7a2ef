import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_LIMITS, encodeResult, pb, type ResultInit, type Status } from '@outpost/protocol';
import Database from 'better-sqlite3';

/** A result as the scheduler hands it over; the outbox gives it its identity. */
export interface NewResult {
  checkId: string;
  startedAtMs: number;
  durationUs: number;
  status: Status;
  observation: string;
  message: string;
  metrics: Record<string, number>;
  transcript?: Uint8Array;
  checkConfigHash: string;
}

export interface StoredResult {
  resultId: number;
  /** The encoded protobuf Result, ready to be copied into a batch. */
  body: Uint8Array;
  bytes: number;
}

export interface OutboxDepth {
  count: number;
  oldestStartedAtMs: number | undefined;
  maxResultId: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS results (
  result_id  INTEGER PRIMARY KEY AUTOINCREMENT,
  check_id   TEXT    NOT NULL,
  started_at INTEGER NOT NULL,
  status     INTEGER NOT NULL,
  body       BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/**
 * The agent's SQLite outbox. Every result is written here the moment it is made, with a
 * result id that is strictly increasing and never reused (AUTOINCREMENT keeps the high
 * mark in sqlite_sequence even after rows are deleted). Rows leave only when the
 * collector acknowledged them.
 *
 * @example
 * const outbox = Outbox.open('/var/lib/outpost/outbox.db');
 * outbox.append([result]);            // one transaction for the whole group
 * const rows = outbox.readAfter(0, 1000, 1 << 20);
 * outbox.remove(rows[0].resultId, rows.at(-1).resultId); // after the Ack
 */
export class Outbox {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #readAfter: Database.Statement<[number, number], { result_id: number; body: Buffer }>;
  readonly #remove: Database.Statement<[number, number]>;
  readonly #getMeta: Database.Statement<[string], { value: string }>;
  readonly #setMeta: Database.Statement<[string, string]>;
  #nextId: number;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare('INSERT INTO results (result_id, check_id, started_at, status, body) VALUES (?, ?, ?, ?, ?)');
    this.#readAfter = db.prepare('SELECT result_id, body FROM results WHERE result_id > ? ORDER BY result_id LIMIT ?');
    this.#remove = db.prepare('DELETE FROM results WHERE result_id BETWEEN ? AND ?');
    this.#getMeta = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.#setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'results'").get() as { seq: number } | undefined;
    this.#nextId = (seq?.seq ?? 0) + 1;
  }

  /** Open (creating if needed) the outbox file with WAL journaling. */
  static open(path: string, options: { readonly?: boolean } = {}): Outbox {
    const fresh = !options.readonly && !existsSync(path);
    if (fresh) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    // Results can name internal hosts and services: owner only (SQLite gives -wal and -shm the same mode).
    if (fresh) chmodSync(path, 0o600);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process crash (SIGKILL) without losing commits; only
      // an OS crash or power loss can take the last transactions back.
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
    }
    db.pragma('busy_timeout = 5000');
    return new Outbox(db);
  }

  /** Write a group of results in one transaction; returns their new result ids. */
  append(results: readonly NewResult[]): number[] {
    if (results.length === 0) return [];
    const first = this.#nextId;
    const ids: number[] = [];
    this.#db.transaction(() => {
      let id = first;
      for (const r of results) {
        const init: ResultInit = { ...fitWireLimits(r), resultId: id };
        this.#insert.run(id, r.checkId, r.startedAtMs, r.status, encodeResult(init));
        ids.push(id++);
      }
    })();
    this.#nextId = first + results.length;
    return ids;
  }

  /**
   * Make sure every unsent and future result id is above `collectorMaxId`. Needed only when
   * this outbox is behind what the collector already holds for this agent key (the
   * database was lost, the key kept): its rows are renumbered, in order, above that id.
   * Returns how many rows were renumbered.
   */
  rebase(collectorMaxId: number): number {
    if (this.#nextId > collectorMaxId) return 0;
    const rows = this.#db.prepare('SELECT result_id, check_id, started_at, status, body FROM results ORDER BY result_id').all() as {
      result_id: number;
      check_id: string;
      started_at: number;
      status: number;
      body: Buffer;
    }[];
    let id = collectorMaxId + 1;
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM results').run();
      for (const row of rows) {
        const result = pb.Result.decode(row.body);
        result.resultId = id;
        this.#insert.run(id++, row.check_id, row.started_at, row.status, pb.Result.encode(result).finish());
      }
      // AUTOINCREMENT's high mark must not fall back below the collector's.
      this.#db.prepare("DELETE FROM sqlite_sequence WHERE name = 'results'").run();
      this.#db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('results', ?)").run(id - 1);
    })();
    this.#nextId = id;
    return rows.length;
  }

  /** Up to `maxResults` rows after `afterId` in id order, stopping before `maxBytes`. */
  readAfter(afterId: number, maxResults: number, maxBytes: number): StoredResult[] {
    const out: StoredResult[] = [];
    let bytes = 0;
    for (const row of this.#readAfter.iterate(afterId, maxResults)) {
      // Each result costs its bytes plus a tag and a length prefix in the batch.
      const size = row.body.length + 6;
      if (out.length > 0 && bytes + size > maxBytes) break;
      bytes += size;
      out.push({ resultId: row.result_id, body: row.body, bytes: size });
    }
    return out;
  }

  /** Delete acknowledged rows, inclusive; returns how many went. */
  remove(fromId: number, toId: number): number {
    return this.#remove.run(fromId, toId).changes;
  }

  depth(): OutboxDepth {
    const row = this.#db.prepare('SELECT count(*) AS count, min(started_at) AS oldest FROM results').get() as {
      count: number;
      oldest: number | null;
    };
    return { count: row.count, oldestStartedAtMs: row.oldest ?? undefined, maxResultId: this.#nextId - 1 };
  }

  getMeta(key: string): string | undefined {
    return this.#getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.#setMeta.run(key, value);
  }

  /** Set several meta keys in one transaction. */
  setMetas(values: Record<string, string>): void {
    this.#db.transaction(() => {
      for (const [key, value] of Object.entries(values)) this.#setMeta.run(key, value);
    })();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * Cut text and transcript to what the collector accepts, so one oversized result can never
 * make a whole batch unacceptable (and block everything queued behind it).
 */
function fitWireLimits(result: NewResult): NewResult {
  const { maxNameLength, maxMessageLength, maxTranscriptBytes } = DEFAULT_LIMITS;
  const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
  if (result.message.length <= maxMessageLength && result.observation.length <= maxNameLength && (result.transcript?.length ?? 0) <= maxTranscriptBytes) {
    return result;
  }
  return {
    ...result,
    message: cut(result.message, maxMessageLength),
    observation: cut(result.observation, maxNameLength),
    ...(result.transcript ? { transcript: result.transcript.subarray(0, maxTranscriptBytes) } : {}),
  };
}
