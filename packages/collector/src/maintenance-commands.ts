import { ErrorCode, OutpostError } from '@outpost/protocol';
import type { Argv } from 'yargs';
import { backupDatabase, type BackupReport } from './backup.js';
import { EXIT, fail } from './cli-exit.js';
import { dataDirOption, requireSqlite, storeOption } from './cli-store.js';
import type { Collector } from './collector.js';
import { loadCollectorConfig } from './collector-config.js';
import { dataFiles } from './data-dir.js';
import type { Logger } from './logger.js';
import { SqliteStore } from './sqlite-store.js';

// Keeping a collector's database and config in shape: `backup` and `vacuum` (their command
// lines and what they do), and the SIGHUP config reload of a running collector.

/**
 * `outpost-collector backup`: an online copy of the database, with progress every 10% on
 * stderr and a summary (or JSON) on stdout.
 *
 * @example
 * await backupCommand({ dataDir: '/var/lib/outpost-collector', out: '/srv/backup/collector.db', json: false });
 */
export async function backupCommand(options: { dataDir: string; out: string; json: boolean }): Promise<BackupReport> {
  let shownPct = -1;
  const progress = (line: string) => options.json || process.stderr.write(`backup: ${line}\n`);
  const report = await backupDatabase(dataFiles(options.dataDir).database, options.out, {
    onProgress: ({ totalPages, remainingPages }) => {
      const pct = Math.floor((100 * (totalPages - remainingPages)) / Math.max(1, totalPages) / 10) * 10;
      if (pct !== shownPct) progress(`${pct}% of ${totalPages} pages`);
      shownPct = pct;
    },
  });
  progress(`100% of ${report.pages} pages${report.restarts > 0 ? ` (restarted ${report.restarts}x while the collector wrote)` : ''}`);
  process.stdout.write(
    options.json
      ? `${JSON.stringify(report)}\n`
      : `backup     ${report.file}\nsize       ${report.bytes} bytes (${report.pages} pages, quick_check ok)\ncontents   ${report.agents} agents, ${report.results} results\n`,
  );
  return report;
}

/** `outpost-collector vacuum`: the one-time switch to incremental auto-vacuum (see retention.ts). */
export async function vacuumCommand(options: { dataDir: string }): Promise<void> {
  const store = SqliteStore.open(dataFiles(options.dataDir).database, undefined, { migrate: false });
  try {
    const before = store.databasePages();
    store.enableIncrementalVacuum();
    const after = store.databasePages();
    process.stdout.write(`vacuum     ${before.pages * before.pageSize} -> ${after.pages * after.pageSize} bytes; auto_vacuum = incremental\n`);
  } catch (err: unknown) {
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new OutpostError(ErrorCode.CONFIG, 'the database is in use: stop the collector, then run vacuum again');
  } finally {
    await store.close();
  }
}

/** SIGHUP: re-read `--config`; an invalid file is logged and the running config stays. */
export function reloadCollectorConfig(collector: Collector, file: string | undefined, log: Logger): void {
  if (file === undefined) {
    log.warn('SIGHUP: the collector was started without --config; nothing to reload');
    return;
  }
  try {
    const { applied, restartNeeded } = collector.reload(loadCollectorConfig(file));
    log.info({ file, changes: applied }, applied.length > 0 ? `config reloaded: ${applied.join(' | ')}` : 'config reloaded: no changes');
    if (restartNeeded.length > 0) log.warn({ file, keys: restartNeeded }, `config reload: ${restartNeeded.join(', ')} changed; restart the collector to apply`);
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    log.error({ file, err: message }, `config reload failed, keeping the running config: ${message}`);
  }
}

/** Register `backup --out FILE`: SQLite only; a PostgreSQL store is refused with what to use instead. */
export function addBackupCommand(y: Argv): Argv {
  return y.command(
    'backup',
    'copy the database while the collector runs (SQLite online backup), checked and mode 0600',
    (y) =>
      y
        .option('data-dir', dataDirOption)
        .option('out', { type: 'string', demandOption: true, describe: 'new file to write (must not exist)' })
        .option('store', storeOption)
        .option('json', { type: 'boolean', default: false }),
    async (argv) => {
      try {
        requireSqlite('backup', argv.store, 'back PostgreSQL up with pg_dump or the server\'s continuous archiving');
      } catch (err: unknown) {
        fail(err);
      }
      try {
        await backupCommand({ dataDir: argv['data-dir'], out: argv.out, json: argv.json });
      } catch (err: unknown) {
        fail(err, EXIT.failure);
      }
    },
  );
}

/** Register `vacuum`: SQLite only, with the collector stopped. */
export function addVacuumCommand(y: Argv): Argv {
  return y.command(
    'vacuum',
    'rebuild the database once in incremental auto-vacuum mode, so pruning shrinks the file (collector stopped)',
    (y) => y.option('data-dir', dataDirOption).option('store', storeOption),
    async (argv) => {
      try {
        requireSqlite('vacuum', argv.store, 'PostgreSQL reclaims space with its own (auto)vacuum, and retention drops whole partitions');
      } catch (err: unknown) {
        fail(err);
      }
      try {
        await vacuumCommand({ dataDir: argv['data-dir'] });
      } catch (err: unknown) {
        fail(err, EXIT.failure);
      }
    },
  );
}
