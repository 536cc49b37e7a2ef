import type { Argv } from 'yargs';
import { EXIT, fail } from './cli-exit.js';
import { dataDirOption, storeOption, withStore } from './cli-store.js';
import { loadCollectorConfig, stateEngineSettings } from './collector-config.js';
import { loadIdentity } from './data-dir.js';
import { formatImportReport, importExport, type ImportReport } from './import.js';
import { DEFAULT_STATE_SETTINGS } from './sqlite-store.js';
import type { StateEngineSettings } from './store.js';

// `outpost-collector import`: the air-gap path in, the signed batch files an agent exported,
// verified and stored as if they had come over the wire (see import.ts).

/**
 * The flapping rule the store applies while it stores: the `state` of `--config` (the file
 * `run` is given), so an import judges flapping as the running collector does.
 */
function stateSettings(configFile: string | undefined): StateEngineSettings {
  return configFile === undefined ? DEFAULT_STATE_SETTINGS : stateEngineSettings(loadCollectorConfig(configFile));
}

/**
 * Register `import <dir>`; it exits 1 when any file was rejected or the export was refused.
 *
 * @example
 * await addImportCommand(yargs(['import', '/media/usb/lab-1', '--data-dir', dir, '--config', 'collector.yaml'])).parseAsync();
 */
export function addImportCommand(y: Argv): Argv {
  return y.command(
    'import <dir>',
    'verify and store the signed batch files of an air-gap export (outpost-agent export); exit 1 if any was rejected',
    (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'export directory with manifest.json' })
        .option('data-dir', dataDirOption)
        .option('config', { type: 'string', describe: 'collector config file (YAML), as given to run: its state settings (flap_changes, flap_window) judge flapping' })
        .option('receipt', { type: 'string', describe: 'where to write the signed receipt (default DIR/receipt.json)' })
        .option('store', storeOption)
        .option('json', { type: 'boolean', default: false }),
    async (argv) => {
      let report: ImportReport;
      try {
        // A bad config refuses the import before anything is stored, as it stops `run` before it listens.
        const settings = stateSettings(argv.config);
        const identity = loadIdentity(argv['data-dir']);
        report = await withStore(
          argv['data-dir'],
          argv.store,
          (store) => importExport({ store, keyPair: identity.keyPair, collectorKey: identity.publicKey, dir: argv.dir, ...(argv.receipt ? { receiptFile: argv.receipt } : {}) }),
          settings,
        );
      } catch (err: unknown) {
        return fail(err);
      }
      process.stdout.write(argv.json ? `${JSON.stringify(report)}\n` : formatImportReport(report));
      process.exit(report.total.rejectedFiles === 0 && !report.refused ? EXIT.ok : EXIT.failure);
    },
  );
}
