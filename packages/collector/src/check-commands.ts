import { ErrorCode, OutpostError } from '@outpost/protocol';
import type { Argv } from 'yargs';
import { fail } from './cli-exit.js';
import { dataDirOption, storeOption, withStore } from './cli-store.js';
import { forgetCheck, listCheckViews } from './state-views.js';

// The operator's commands about checks as the collector holds them: list them with their
// effective status (silent satellites and stale checks shown UNKNOWN), and forget the state
// of a check its agent no longer runs.

type CheckListView = Awaited<ReturnType<typeof listCheckViews>>[number];

/** Why a check's status is not its last result's: silent satellite, stale, flapping. */
function note(view: CheckListView): string {
  if (view.satelliteSilent) return `satellite silent (last ${view.reportedStatus})`;
  if (view.stale) return `stale (last ${view.reportedStatus})`;
  return view.flapping ? 'flapping' : '';
}

/** One line per check, columns aligned: STATUS AGENT CHECK LAST-CHECK NOTE MESSAGE. */
function table(views: readonly CheckListView[]): string {
  const rows = [['STATUS', 'AGENT', 'CHECK', 'LAST CHECK', 'NOTE', 'MESSAGE'], ...views.map((v) => [v.status, v.agent, v.check, v.lastCheck ?? '-', note(v), v.message])];
  const widths = rows[0]!.slice(0, -1).map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd()).join('\n');
}

/**
 * `outpost-collector checks list [AGENT] [--problems]` and `checks forget AGENT CHECK [--force]`
 * (a check that is not stale only with --force).
 *
 * @example
 * await addChecksCommand(yargs(['checks', 'forget', 'lab-1', 'tcp:old', '--data-dir', dir])).parseAsync();
 */
export function addChecksCommand(y: Argv): Argv {
  return y.command(
    'checks <action> [agent] [check]',
    "list checks with their effective status, or forget a check its agent no longer runs",
    (y) =>
      y
        .positional('action', { choices: ['list', 'forget'] as const, demandOption: true })
        .positional('agent', { type: 'string', describe: 'list: only this agent; forget: the agent' })
        .positional('check', { type: 'string', describe: 'forget: the check id' })
        .option('problems', { type: 'boolean', default: false, describe: 'list: only checks not OK' })
        .option('force', { type: 'boolean', default: false, describe: 'forget: even a check that is not stale' })
        .option('data-dir', dataDirOption)
        .option('store', storeOption)
        .option('json', { type: 'boolean', default: false }),
    async (argv) => {
      if (argv.action === 'list') {
        const views = await withStore(argv['data-dir'], argv.store, (store) => listCheckViews(store, argv.agent));
        const shown = argv.problems ? views.filter((v) => v.status !== 'OK') : views;
        process.stdout.write(argv.json ? `${JSON.stringify(shown)}\n` : `${table(shown)}\n`);
        return;
      }
      const { agent, check } = argv;
      if (agent === undefined || check === undefined) fail(new OutpostError(ErrorCode.CONFIG, 'checks forget needs the agent and the check id: outpost-collector checks forget lab-1 tcp:old'));
      const outcome = await withStore(argv['data-dir'], argv.store, (store) => forgetCheck(store, agent, check, argv.force, '--force'));
      if (!outcome.forgotten) {
        const hint = outcome.reason === 'no_agent' ? ' (outpost-collector agents list)' : outcome.reason === 'no_check' ? ` (outpost-collector checks list ${agent})` : '';
        fail(new OutpostError(ErrorCode.CONFIG, `${outcome.message}${hint}`));
      }
      const stale = outcome.wasStale;
      const warning = stale ? '' : ' (it was not stale: its next result brings it back)';
      process.stdout.write(argv.json ? `${JSON.stringify({ agent, check, forgotten: true, wasStale: stale })}\n` : `${agent}/${check}: forgotten${warning}\n`);
    },
  );
}
