import { ErrorCode, OutpostError } from '@outpost/protocol';
import type { Argv } from 'yargs';
import { Collector } from './collector.js';
import { loadCollectorConfig, type CollectorConfig } from './collector-config.js';
import { EXIT, fail } from './cli-exit.js';
import { dataDirOption, storeOption } from './cli-store.js';
import { createLogger } from './logger.js';
import { reloadCollectorConfig } from './maintenance-commands.js';

// `outpost-collector run`: the long-lived collector process, its listeners from the command
// line, SIGHUP to reload the config, SIGTERM/SIGINT to stop cleanly.

/** `host:port`, `[v6]:port` or `:port`; port 0 picks a free one. */
export function parseListen(text: string, option: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) throw new OutpostError(ErrorCode.CONFIG, `--${option} ${text}: expected HOST:PORT such as 127.0.0.1:8080`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/**
 * Register `run`: start a Collector and keep it until a signal stops it.
 *
 * @example
 * await addRunCommand(yargs(['run', '--data-dir', dir, '--http', '127.0.0.1:0'])).parseAsync();
 */
export function addRunCommand(y: Argv): Argv {
  return y.command(
    'run',
    'accept agents and serve the API until stopped',
    (y) =>
      y
        .option('data-dir', dataDirOption)
        .option('config', { type: 'string', describe: 'collector config file (YAML): state, agent labels, notifications, API access' })
        .option('listen', { type: 'string', default: '0.0.0.0:41121', describe: 'agent listener (TLS)' })
        .option('http', { type: 'string', default: '127.0.0.1:8080', describe: 'HTTP API listener' })
        .option('insecure', { type: 'boolean', default: false, describe: 'plain ws:// without TLS (results readable on the wire)' })
        .option('max-unauthenticated', { type: 'number', default: 256, describe: 'connections not yet admitted, in total' })
        .option('max-unauthenticated-per-address', { type: 'number', default: 32, describe: 'connections not yet admitted, per source address' })
        .option('connect-rate', { type: 'number', default: 50, describe: 'new connections per second per source address (burst 4x)' })
        .option('max-waiting-results', {
          type: 'number',
          default: 200_000,
          describe: 'verified results waiting for the store, over all agents, past which agents are not read until it catches up',
        })
        .check((argv) => {
          const value = argv['max-waiting-results'];
          if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--max-waiting-results: expected a whole number of results, at least 1, got ${String(value)}`);
          return true;
        })
        .option('store', storeOption),
    async (argv) => {
      const logger = createLogger('outpost-collector');
      let collector: Collector;
      try {
        // A bad config stops the collector before it listens: nothing half-starts.
        const config: CollectorConfig | undefined = argv.config ? loadCollectorConfig(argv.config) : undefined;
        collector = new Collector({
          ...(config ? { config } : {}),
          dataDir: argv['data-dir'],
          store: argv.store,
          listen: parseListen(argv.listen, 'listen'),
          http: parseListen(argv.http, 'http'),
          insecure: argv.insecure,
          maxUnauthenticated: argv['max-unauthenticated'],
          maxUnauthenticatedPerAddress: argv['max-unauthenticated-per-address'],
          connectRatePerAddress: argv['connect-rate'],
          maxWaitingResults: argv['max-waiting-results'],
          logger,
        });
        await collector.start();
      } catch (err: unknown) {
        return fail(err);
      }
      const reload = () => reloadCollectorConfig(collector, argv.config, logger);
      process.on('SIGHUP', reload);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      // Ingest is synchronous: the batch being stored when the signal came is committed
      // before this runs. stop() closes the agent sockets (agents resend what was not
      // acknowledged), waits for a prune chunk in progress, then closes the database.
      logger.info({ signal }, 'stopping');
      process.off('SIGHUP', reload);
      await collector.stop();
      process.exit(EXIT.ok);
    },
  );
}
