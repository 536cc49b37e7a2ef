import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { addAgentsCommand, addApiTokenCommand, addConfigCommand, addTokenCommand } from './agent-commands.js';
import { addChecksCommand } from './check-commands.js';
import { EXIT, fail } from './cli-exit.js';
import { addCheckConfigCommand, addNotifyTestCommand } from './config-file-commands.js';
import { addInitCommand, addRotateKeyCommand } from './identity-commands.js';
import { addImportCommand } from './import-command.js';
import { addBackupCommand, addVacuumCommand } from './maintenance-commands.js';
import { addRunCommand } from './run-command.js';
import { VERSION } from './version.js';

// The outpost-collector command line: every command, in the order --help lists them, and
// what a usage error prints. The commands themselves live in the *-command(s).ts files.

export { parseListen } from './run-command.js';

/** The commands in the order `--help` lists them. */
const COMMANDS: readonly ((y: Argv) => Argv)[] = [
  addInitCommand,
  addTokenCommand,
  addAgentsCommand,
  addChecksCommand,
  addImportCommand,
  addRotateKeyCommand,
  addConfigCommand,
  addApiTokenCommand,
  addNotifyTestCommand,
  addCheckConfigCommand,
  addBackupCommand,
  addVacuumCommand,
  addRunCommand,
];

/**
 * Parse `args` and run the command they name; a usage error exits 2 with a hint.
 *
 * @example
 * await main(['agents', 'list', '--data-dir', '/var/lib/outpost-collector']);
 */
export async function main(args = hideBin(process.argv)): Promise<void> {
  await COMMANDS.reduce((y, add) => add(y), yargs(args).scriptName('outpost-collector').version(VERSION))
    .demandCommand(1)
    .strict()
    .help()
    .fail((message, err) => {
      if (err) fail(err);
      process.stderr.write(`outpost-collector: ${message}\n(run outpost-collector --help)\n`);
      process.exit(EXIT.usage);
    })
    .parseAsync();
}
