import { ErrorCode, OutpostError } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import type { RetentionPolicy } from './collector-config.js';
import { dataFiles } from './data-dir.js';
import type { Logger } from './logger.js';
import { PgNotificationQueue } from './notify/pg-queue.js';
import type { NotificationQueueStore } from './notify/queue.js';
import { PgLeadership } from './pg-leadership.js';
import { PgRetention } from './pg-retention.js';
import { PgStore } from './pg-store.js';
import { Retention } from './retention.js';
import { SqliteStore } from './sqlite-store.js';
import type { CollectorStore, StateEngineSettings } from './store.js';

export interface StorageOptions {
  /** 'sqlite' (default: collector.db in the data directory) or a postgres:// URL. */
  store?: string;
  dataDir: string;
  settings: StateEngineSettings;
  retention: RetentionPolicy;
  logger: Logger;
}

/** What the collector runs on one database, whichever kind. */
export interface CollectorStorage {
  kind: 'sqlite' | 'postgres';
  store: CollectorStore;
  /** For the NotificationService: the SQLite handle, or a queue on the server. */
  notifications: { db: Database.Database } | { queue: NotificationQueueStore };
  retention: { start(): void; stop(): Promise<void>; setPolicy(policy: RetentionPolicy): void };
  /** Before listening: migrations on PostgreSQL (SQLite migrated on open). */
  prepare(): Promise<void>;
  /**
   * Run for leadership of the alerting side. SQLite has one collector: it leads at once.
   * On PostgreSQL the collectors elect one (PgLeadership); `onChange` follows it.
   */
  lead(onChange: (leader: boolean) => void, onNotification: () => void): void;
  stopLeading(): Promise<void>;
}

/** True for the store URLs that mean PostgreSQL. */
export function isPostgresUrl(store: string | undefined): store is string {
  return store !== undefined && /^postgres(ql)?:\/\//i.test(store);
}

/**
 * What a `--store` value means: 'sqlite' (the data directory's collector.db) or 'postgres'
 * (a postgres:// or postgresql:// URL). Anything else is a usage error naming the option.
 */
export function storeKind(store: string | undefined): 'sqlite' | 'postgres' {
  if (store === undefined || store === 'sqlite') return 'sqlite';
  if (isPostgresUrl(store)) return 'postgres';
  throw new OutpostError(ErrorCode.CONFIG, `--store ${JSON.stringify(store)}: expected "sqlite" or a postgres:// URL such as postgres://outpost@192.0.2.10:5432/outpost`);
}

/** "postgres://outpost@192.0.2.10:5432/outpost" without a password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * Open the collector's storage from `--store`: the embedded SQLite file, or PostgreSQL for
 * several collectors on one database.
 *
 * @example
 * const storage = openStorage({ store: 'postgres://outpost@192.0.2.10/outpost', dataDir, settings, retention, logger });
 * await storage.prepare();
 */
export function openStorage(options: StorageOptions): CollectorStorage {
  const { store, logger } = options;
  if (store === undefined || storeKind(store) === 'sqlite') {
    const sqlite = SqliteStore.open(dataFiles(options.dataDir).database, options.settings);
    return {
      kind: 'sqlite',
      store: sqlite,
      notifications: { db: sqlite.database },
      retention: new Retention({ store: sqlite, policy: options.retention, logger }),
      prepare: async () => {},
      lead: (onChange) => onChange(true),
      stopLeading: async () => {},
    };
  }
  const pgStore = PgStore.create(store, options.settings);
  let leadership: PgLeadership | undefined;
  return {
    kind: 'postgres',
    store: pgStore,
    notifications: { queue: new PgNotificationQueue(pgStore.pool) },
    retention: new PgRetention({ store: pgStore, policy: options.retention, logger }),
    prepare: async () => {
      const ran = await pgStore.migrate();
      logger.info({ store: redactUrl(store), migrations: ran }, 'PostgreSQL store ready');
    },
    lead: (onChange, onNotification) => {
      leadership = new PgLeadership({ url: store, logger, onChange, onNotification });
      leadership.start();
    },
    stopLeading: async () => {
      await leadership?.stop();
    },
  };
}
