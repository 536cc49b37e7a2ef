import { DEFAULT_LIMITS, encodeKey, ErrorCode, isOutpostError, OutpostError } from '@outpost/protocol';
import { EXIT, fail } from './cli-exit.js';
import { loadAgentConfig } from './config.js';
import { plainRunArgs, runAgent } from './run-command.js';
import { VERSION } from './version.js';

// Each command imports what it uses when it runs: the long-running `run` keeps its
// resident set small (DESIGN §7, bench/footprint.ts), so yargs, the export, scan, relay and
// metrics code is not loaded into it unless asked for.

export async function main(args = process.argv.slice(2)): Promise<void> {
  const plainRun = plainRunArgs(args);
  if (plainRun) return runAgent(plainRun);
  const [{ default: yargs }, { CHECK_TYPES }, { EXIT_CODES, unknownOutput }] = await Promise.all([import('yargs'), import('./checks/index.js'), import('./nagios.js')]);
  await yargs(args)
    .scriptName('outpost-agent')
    .version(VERSION)
    .strictCommands()
    .command(
      'init',
      'write a config file and create the agent key',
      (y) =>
        y
          .option('config', { type: 'string', demandOption: true, describe: 'config file to write' })
          .option('name', { type: 'string', demandOption: true, describe: 'agent name, unique per collector' })
          .option('collector', { type: 'string', array: true, demandOption: true, describe: 'collector URL(s), wss://HOST:41121' })
          .option('collector-key', { type: 'string', demandOption: true, describe: 'collector public key (outpost-collector init prints it)' })
          .option('tls-fingerprint', { type: 'string', describe: 'collector certificate SPKI SHA-256 (outpost-collector init prints it)' })
          .option('token', { type: 'string', describe: 'one-time enrollment token (outpost-collector token)' })
          .option('data-dir', { type: 'string', describe: 'data directory, relative to the config file', default: 'data' })
          .option('insecure', { type: 'boolean', default: false, describe: 'allow plain ws:// (results travel unencrypted)' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing config file' })
          .option('json', { type: 'boolean', default: false }),
      async (argv) => {
        const { initAgent } = await import('./init.js');
        try {
          const out = initAgent({
            configFile: argv.config,
            name: argv.name,
            collectorUrls: argv.collector,
            collectorKey: argv['collector-key'],
            ...(argv['tls-fingerprint'] ? { tlsFingerprint: argv['tls-fingerprint'] } : {}),
            ...(argv.token ? { token: argv.token } : {}),
            dataDir: argv['data-dir'],
            insecure: argv.insecure,
            force: argv.force,
          });
          process.stdout.write(argv.json ? `${JSON.stringify(out)}\n` : `config     ${out.configFile}\nkey file   ${out.keyFile}\nagent key  ${out.publicKey}\n`);
        } catch (err: unknown) {
          fail(err);
        }
      },
    )
    .command(
      'run',
      'run checks and upload results until stopped',
      (y) =>
        y
          .option('config', { type: 'string', demandOption: true })
          .option('metrics', { type: 'string', describe: 'serve Prometheus metrics at GET /metrics on HOST:PORT (:PORT means 127.0.0.1)' }),
      (argv) => runAgent(argv),
    )
    .command(
      'relay [action]',
      'relay mode: run the agent and forward downstream agents (run), or print what they pin (identity); see docs/relay.md',
      (y) =>
        y
          .positional('action', { choices: ['run', 'identity'] as const, default: 'run' as const })
          .option('config', { type: 'string', demandOption: true })
          .option('metrics', { type: 'string', describe: 'as for run' })
          .option('json', { type: 'boolean', default: false }),
      async (argv) => {
        try {
          const config = loadAgentConfig(argv.config);
          if (!config.relay) throw new OutpostError(ErrorCode.CONFIG, `${argv.config}: relay: expected a relay section (listen, agents) for relay mode`);
          if (argv.action === 'run') return main(['run', '--config', argv.config, ...(argv.metrics ? ['--metrics', argv.metrics] : [])]);
          const { ensureRelayIdentity } = await import('./relay-identity.js');
          const identity = await ensureRelayIdentity(config);
          const out = { relayKey: identity.relayKey, tlsFingerprint: identity.tlsFingerprint, listen: `${config.relay.host}:${config.relay.port}` };
          process.stdout.write(argv.json ? `${JSON.stringify(out)}\n` : `relay key        ${out.relayKey}\ntls fingerprint  ${out.tlsFingerprint}\nlisten           ${out.listen}\nDownstream agents use these as collector.key and collector.tls_fingerprint, with collector.central_key set to the collector's key.\n`);
        } catch (err: unknown) {
          fail(err);
        }
      },
    )
    .command(
      'rotate-key',
      'make a new agent key; the running agent moves to it at its next heartbeat, signed by the old key',
      (y) => y.option('config', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }),
      async (argv) => {
        const { createNextKeyFile, nextKeyPath } = await import('./key-file.js');
        try {
          const config = loadAgentConfig(argv.config);
          const next = createNextKeyFile(config.keyFile);
          const out = { nextKeyFile: nextKeyPath(config.keyFile), nextKey: encodeKey(next.publicKey) };
          process.stdout.write(argv.json ? `${JSON.stringify(out)}\n` : `next key   ${out.nextKey}\nkey file   ${out.nextKeyFile}\nThe agent presents it, signed by the current key, at its next connection or heartbeat.\n`);
        } catch (err: unknown) {
          fail(err);
        }
      },
    )
    .command(
      'status',
      'show backlog, last ack and connection state',
      (y) => y.option('config', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }),
      async (argv) => {
        const { formatStatus, readStatus } = await import('./status-report.js');
        try {
          const report = readStatus(loadAgentConfig(argv.config));
          process.stdout.write(argv.json ? `${JSON.stringify(report)}\n` : `${formatStatus(report)}\n`);
        } catch (err: unknown) {
          fail(err);
        }
      },
    )
    .command(
      'export',
      'write unsent results as signed batch files with a manifest, for an air gap (see docs/air-gap.md)',
      (y) =>
        y
          .option('config', { type: 'string', demandOption: true })
          .option('out', { type: 'string', demandOption: true, describe: 'directory to write (new or empty)' })
          .option('again', { type: 'boolean', default: false, describe: 'include results an earlier export wrote already' })
          .option('max-batch-results', { type: 'number', default: DEFAULT_LIMITS.maxBatchResults, describe: `results per file at most (1..${DEFAULT_LIMITS.maxBatchResults}); files also stay under the protocol's 4 MiB` })
          .option('json', { type: 'boolean', default: false }),
      async (argv) => {
        const { exportOutbox } = await import('./export.js');
        let lastShownAt = Date.now();
        const perFile = argv['max-batch-results'];
        if (!Number.isInteger(perFile) || perFile < 1 || perFile > DEFAULT_LIMITS.maxBatchResults) {
          fail(new OutpostError(ErrorCode.CONFIG, `--max-batch-results ${perFile}: expected 1..${DEFAULT_LIMITS.maxBatchResults}`));
        }
        try {
          const summary = exportOutbox({
            config: loadAgentConfig(argv.config),
            outDir: argv.out,
            again: argv.again,
            maxBatchResults: argv['max-batch-results'],
            // Big outboxes take a while: a line a second on stderr, nothing for small ones.
            onProgress: ({ files, results, total }) => {
              if (Date.now() - lastShownAt < 1_000) return;
              lastShownAt = Date.now();
              process.stderr.write(`outpost-agent: exported ${results}/${total} results (${Math.floor((results / Math.max(total, 1)) * 100)}%) in ${files} files\n`);
            },
          });
          if (argv.json) process.stdout.write(`${JSON.stringify(summary ?? { files: [], results: 0, gaps: 0 })}\n`);
          else if (!summary) process.stdout.write('nothing to export\n');
          else process.stdout.write(`exported ${summary.results} results and ${summary.gaps} gap records in ${summary.files.length} files to ${summary.dir} (export ${summary.exportId})\n`);
        } catch (err: unknown) {
          fail(err);
        }
      },
    )
    .command(
      'apply-receipt <receipt>',
      "delete the results an air-gap import's receipt says the collector holds",
      (y) =>
        y
          .positional('receipt', { type: 'string', demandOption: true, describe: 'receipt.json written by outpost-collector import' })
          .option('config', { type: 'string', demandOption: true })
          .option('json', { type: 'boolean', default: false }),
      async (argv) => {
        const { applyReceipt } = await import('./receipt.js');
        try {
          const out = applyReceipt({ config: loadAgentConfig(argv.config), receiptFile: argv.receipt });
          process.stdout.write(
            argv.json
              ? `${JSON.stringify(out)}\n`
              : `removed ${out.resultsRemoved} results and ${out.gapsRemoved} gap records (export ${out.exportId}: ${out.filesImported} files imported, ${out.filesRejected} rejected)\n`,
          );
        } catch (err: unknown) {
          // A receipt that does not verify is a failure (1), not a usage error (2).
          fail(err, isOutpostError(err, ErrorCode.CONFIG) ? EXIT.config : EXIT.failure);
        }
      },
    )
    .command(
      'check <type> [target]',
      'run one check once; Nagios exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and perfdata',
      (y) =>
        y
          // `check` is a Nagios plugin with free-form flags: --version is snmp's `version`
          // here, not the program's; values stay text until the check's schema says what
          // each key takes (check-flags.ts); and a usage error is UNKNOWN (3) on stdout,
          // where a monitoring server reads it, not exit 2, which it would show as CRITICAL.
          .version(false)
          .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
          .fail((message, err) => {
            const type = args[args.indexOf('check') + 1];
            const usage = err ? err.message : `${message} (usage: outpost-agent check TYPE [TARGET] [--key value ...], see --help)`;
            process.stdout.write(`${unknownOutput(type?.startsWith('-') ? undefined : type, usage, args.includes('--json'))}\n`);
            process.exit(EXIT_CODES.UNKNOWN);
          })
          .positional('type', { type: 'string', describe: `check type: ${[...CHECK_TYPES.keys()].join(', ')}` })
          .positional('target', { type: 'string', describe: 'what to check, e.g. 127.0.0.1:22' })
          .option('timeout', { type: 'string', default: '5s' })
          .option('json', { type: 'boolean', default: false })
          .option('warning', { type: 'string', array: true, describe: 'METRIC=RANGE (Nagios range), raises to WARNING' })
          .option('critical', { type: 'string', array: true, describe: 'METRIC=RANGE (Nagios range), raises to CRITICAL' })
          .strict(false)
          .example('$0 check tcp 127.0.0.1:22 --expect open --critical connect_ms=500', 'is SSH listening, and fast?')
          .example('$0 check http http://127.0.0.1:8080/health --expect-body ok', 'does the service answer?')
          .example('$0 check icmp 127.0.0.1 --count 5', 'reachability, RTT and loss through fping'),
      async (argv) => (await import('./check-command.js')).runCheck(argv),
    )
    .command(
      'scan <target>',
      'TCP connect scan, nmap-style output (PORT STATE SERVICE)',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true, describe: 'host, list (a,b) or CIDR' })
          .option('p', { alias: 'ports', type: 'string', default: '1-1000', describe: 'ports: 22,80,8000-8100 or 1-65535 or -' })
          .option('concurrency', { type: 'number', default: 512 })
          .option('max-rate', { type: 'number', describe: 'connects per second at most' })
          .option('port-timeout', { type: 'string', default: '1s', describe: 'no answer within this is "filtered"' })
          .option('max-cidr-prefix', { type: 'number', default: 16, describe: 'widest IPv4 range accepted' })
          .option('json', { type: 'boolean', default: false })
          .option('service', { type: 'boolean', default: false, describe: 'name what answers on open ports (banner, or harmless HTTP/TLS/Redis/PostgreSQL/RDP/Modbus probes)' })
          .example('$0 scan 127.0.0.1 -p 1-65535', 'every TCP port of this host')
          .example('$0 scan 127.0.0.1 -p 28081 --service', 'what runs on an odd port'),
      async (argv) => {
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        const { scanCommand } = await import('./scan-command.js');
        const code = await scanCommand(
          {
            target: argv.target,
            ports: argv.p,
            concurrency: argv.concurrency,
            ...(argv['max-rate'] !== undefined ? { maxRate: argv['max-rate'] } : {}),
            portTimeout: argv['port-timeout'],
            json: argv.json,
            maxCidrPrefix: argv['max-cidr-prefix'],
            service: argv.service,
          },
          controller.signal,
        );
        process.exit(code);
      },
    )
    .demandCommand(1)
    .strict()
    .help()
    .fail((message, err) => {
      if (err) fail(err);
      process.stderr.write(`outpost-agent: ${message}\n(run outpost-agent --help)\n`);
      process.exit(EXIT.config);
    })
    .parseAsync();
}
