import type { Argv } from 'yargs';
import { EXIT, fail } from './cli-exit.js';
import { loadCollectorConfig } from './collector-config.js';
import { createLogger } from './logger.js';
import { testRule } from './notify/test-rule.js';

// The commands on the collector's config file (YAML) alone, with no data directory: checking
// it, and sending a test notification through one of its rules.

/**
 * `outpost-collector notify test <rule>`: one test notification per notifier of the rule;
 * exit 1 when any failed.
 *
 * @example
 * await addNotifyTestCommand(yargs(['notify', 'test', 'pager', '--config', '/etc/outpost/collector.yaml'])).parseAsync();
 */
export function addNotifyTestCommand(y: Argv): Argv {
  return y.command(
    'notify test <rule>',
    "send a test notification through one rule's notifiers, once each, and report what happened",
    (y) =>
      y
        .positional('rule', { type: 'string', demandOption: true })
        .option('config', { type: 'string', demandOption: true, describe: 'collector config file (YAML)' })
        .option('json', { type: 'boolean', default: false }),
    async (argv) => {
      let outcomes: Awaited<ReturnType<typeof testRule>>;
      try {
        const config = loadCollectorConfig(argv.config);
        outcomes = await testRule(config.notify, argv.rule, { logger: createLogger('outpost-collector', 2) });
      } catch (err: unknown) {
        return fail(err);
      }
      if (argv.json) process.stdout.write(`${JSON.stringify(outcomes)}\n`);
      else for (const o of outcomes) process.stdout.write(`${o.notifier.padEnd(24)} ${o.ok ? 'sent' : `FAILED: ${o.error ?? 'unknown error'}`}\n`);
      process.exit(outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.failure);
    },
  );
}

/** `outpost-collector check-config <file>`: 0 when the file is valid, 2 (and why) when not. */
export function addCheckConfigCommand(y: Argv): Argv {
  return y.command(
    'check-config <file>',
    'validate a collector config file and exit (0 valid, 2 invalid)',
    (y) => y.positional('file', { type: 'string', demandOption: true }),
    (argv) => {
      try {
        const config = loadCollectorConfig(argv.file);
        process.stdout.write(`${argv.file}: valid (${config.notify.rules.length} notification rules, ${Object.keys(config.notify.notifiers).length} notifiers)\n`);
      } catch (err: unknown) {
        fail(err);
      }
    },
  );
}
