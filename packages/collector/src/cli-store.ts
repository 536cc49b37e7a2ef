import { ErrorCode, OutpostError } from '@outpost/protocol';
import { redactUrl, storeKind } from './collector-storage.js';
import { dataFiles } from './data-dir.js';
import { PgStore } from './pg-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { CollectorStore, StateEngineSettings } from './store.js';

// The options every command shares (--data-dir, --store) and how a command opens the store
// they name: the data directory's SQLite file or a PostgreSQL database.

/** `--data-dir`, on every command that works on the collector's files. */
export const dataDirOption = { type: 'string', demandOption: true, describe: 'collector data directory' } as const;

/** `--store`, the same on every command that reads or writes the collector's database. */
export const storeOption = {
  type: 'string',
  default: 'sqlite',
  describe: 'sqlite (collector.db in the data directory) or a postgres:// URL shared by several collectors',
} as const;

/**
 * Run `work` on the store `--store` names: the data directory's SQLite file, or a PostgreSQL
 * database (migrated first, as a collector would; a SQLite file only by `run`, see
 * SqliteStore.open). Closed afterwards either way. `settings`: the state engine's flapping
 * rule for what the command stores (import), the defaults otherwise.
 *
 * @example
 * const agents = await withStore(argv['data-dir'], argv.store, (store) => store.listAgents());
 */
export async function withStore<T>(dataDir: string, store: string, work: (store: CollectorStore) => Promise<T>, settings?: StateEngineSettings): Promise<T> {
  const opened: CollectorStore =
    storeKind(store) === 'postgres' ? await openPostgres(store, settings) : SqliteStore.open(dataFiles(dataDir).database, settings, { migrate: false });
  try {
    return await work(opened);
  } finally {
    await opened.close();
  }
}

async function openPostgres(url: string, settings?: StateEngineSettings): Promise<PgStore> {
  try {
    return await PgStore.open(url, settings);
  } catch (err: unknown) {
    // A connection error alone ("ECONNREFUSED") does not say which database was meant. Not an
    // OutpostError: an unreachable server is a failure (exit 1), not a usage error (exit 2).
    throw new Error(`--store ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** For the commands that work on the SQLite file only (backup, vacuum). */
export function requireSqlite(command: string, store: string, instead: string): void {
  if (storeKind(store) === 'postgres') {
    throw new OutpostError(ErrorCode.CONFIG, `${command} works on the SQLite file (collector.db) only, not on --store ${redactUrl(store)}: ${instead}`);
  }
}
