// The outbox's SQLite file: its schema, how it is opened (owner-only mode, WAL, synchronous
// NORMAL), the results' AUTOINCREMENT high mark and the meta table of key/value pairs the agent keeps beside its results. The rows
// themselves are outbox.ts; gap records outbox-gaps.ts; budget and export bookkeeping
// outbox-maintenance.ts.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

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
CREATE TABLE IF NOT EXISTS gaps (
  gap_id INTEGER PRIMARY KEY AUTOINCREMENT,
  body   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exports (
  export_id   TEXT PRIMARY KEY,
  created_at  INTEGER NOT NULL,
  dir         TEXT    NOT NULL,
  from_id     INTEGER NOT NULL,
  through_id  INTEGER NOT NULL,
  results     INTEGER NOT NULL,
  files       INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Open (creating if needed) the outbox file with WAL journaling; read-only opens neither
 * create the file nor touch its schema.
 *
 * @example
 * const db = openOutboxDatabase('/var/lib/outpost/outbox.db');
 */
export function openOutboxDatabase(path: string, options: { readonly?: boolean } = {}): Database.Database {
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
  return db;
}

/** Move AUTOINCREMENT's high mark, so ids handed out without a row are never reused. */
export function setResultSequence(db: Database.Database, seq: number): void {
  db.prepare("DELETE FROM sqlite_sequence WHERE name = 'results'").run();
  db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('results', ?)").run(seq);
}

/**
 * The outbox's meta table: connection state, batch sequence, counters such as
 * `dropped_total`. Writes join the caller's transaction when there is one.
 */
export class OutboxMeta {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], { value: string }>;
  readonly #set: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#get = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.#set = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  get(key: string): string | undefined {
    return this.#get.get(key)?.value;
  }

  set(key: string, value: string): void {
    this.#set.run(key, value);
  }

  /** Set several keys in one transaction. */
  setMany(values: Record<string, string>): void {
    this.#db.transaction(() => {
      for (const [key, value] of Object.entries(values)) this.#set.run(key, value);
    })();
  }
}
