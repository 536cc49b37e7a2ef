import { ErrorCode, OutpostError, parseDurationMs } from '@outpost/protocol';
import type { Argv } from 'yargs';
import { fail } from './cli-exit.js';
import { dataDirOption } from './cli-store.js';
import { initDataDir, rotateCollectorKey } from './data-dir.js';

// The commands on the collector's own identity in its data directory: creating it (key, TLS
// certificate, database) and rotating the collector key.

/**
 * `outpost-collector init`: create the data directory's identity, or keep the one there.
 *
 * @example
 * await addInitCommand(yargs(['init', '--data-dir', '/var/lib/outpost-collector'])).parseAsync();
 */
export function addInitCommand(y: Argv): Argv {
  return y.command(
    'init',
    'create the collector key, TLS certificate and database',
    (y) => y.option('data-dir', dataDirOption).option('json', { type: 'boolean', default: false }),
    async (argv) => {
      try {
        const id = await initDataDir(argv['data-dir']);
        const out = { created: id.created, dataDir: argv['data-dir'], collectorKey: id.publicKey, tlsFingerprint: id.tlsFingerprint };
        process.stdout.write(
          argv.json
            ? `${JSON.stringify(out)}\n`
            : `${id.created ? 'created' : 'kept existing identity in'} ${argv['data-dir']}\ncollector key    ${id.publicKey}\ntls fingerprint  ${id.tlsFingerprint}\n`,
        );
      } catch (err: unknown) {
        fail(err);
      }
    },
  );
}

/** `outpost-collector rotate-key`: a new collector key, endorsed by the old one for `--overlap`. */
export function addRotateKeyCommand(y: Argv): Argv {
  return y.command(
    'rotate-key',
    'replace the collector key; the old key vouches for the new one during the overlap',
    (y) =>
      y
        .option('data-dir', dataDirOption)
        .option('overlap', { type: 'string', default: '30d', describe: 'how long agents may still move over by themselves' })
        .option('json', { type: 'boolean', default: false }),
    (argv) => {
      const overlapMs = parseDurationMs(argv.overlap);
      if (overlapMs === undefined || overlapMs <= 0) fail(new OutpostError(ErrorCode.CONFIG, `--overlap ${argv.overlap}: expected a duration such as 30d`));
      try {
        const out = rotateCollectorKey(argv['data-dir'], overlapMs);
        process.stdout.write(
          argv.json
            ? `${JSON.stringify(out)}\n`
            : `collector key    ${out.newKey} (was ${out.oldKey})\nendorsed until   ${out.until}\nRestart the collector to use it; agents pinned to the old key follow by themselves until then.\n`,
        );
      } catch (err: unknown) {
        fail(err);
      }
    },
  );
}
