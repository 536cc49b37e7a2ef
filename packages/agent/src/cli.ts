import { DEFAULT_LIMITS, encodeKey, ErrorCode, isOutpostError, OutpostError } from '@outpost/protocol';
import type { Agent } from './agent.js';
import type { Observation } from './checks/index.js';
import { loadAgentConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import type { MetricsServer } from './metrics-server.js';
import type { Relay } from './relay.js';
import type { RemoteConfig } from './remote-config.js';
import { VERSION } from './version.js';

// Each command imports what it uses when it runs: the long-running `run` keeps its
// resident set small (DESIGN §7, bench/footprint.ts), so yargs, the export, scan, relay and
// metrics code is not loaded into it unless asked for.

/** Exit codes of the non-check commands. */
const EXIT = { ok: 0, failure: 1, config: 2 } as const;

function fail(err: unknown, code: number = EXIT.config): never {
  process.stderr.write(`outpost-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(isOutpostError(err) ? code : EXIT.failure);
}

/** Options a user may pass to `check` that are not the type's own keys. */
const CHECK_COMMON = new Set(['_', '$0', 'type', 'target', 'timeout', 'json', 'help', 'version', 'warning', 'critical']);

/** The config key that the positional TARGET of `check TYPE TARGET` fills. */
const TARGET_KEY: Record<string, string> = { dns: 'name', icmp: 'host', http: 'url', exposure: 'targets' };

/** `--warning connect_ms=100 --warning loss_pct=20` → { connect_ms: '100', loss_pct: '20' }. */
function thresholdArgs(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).map(String);
  return Object.fromEntries(items.map((item) => [item.slice(0, Math.max(0, item.indexOf('='))), item.slice(item.indexOf('=') + 1)]));
}

async function runCheck(argv: Record<string, unknown>): Promise<never> {
  const [{ applyThresholds, CHECK_TYPES, metricThresholds }, { parseDurationMs }, { EXIT_CODES, pluginOutput }, { parse: parseYaml }] = await Promise.all([
    import('./checks/index.js'), import('./duration.js'), import('./nagios.js'), import('yaml'),
  ]);
  const typeName = String(argv['type']);
  const type = CHECK_TYPES.get(typeName);
  const unknown = (message: string): never => {
    const line = `${typeName.toUpperCase()} UNKNOWN - ${message}`;
    process.stdout.write(argv['json'] ? `${JSON.stringify({ status: 'UNKNOWN', observation: 'usage', message })}\n` : `${line}\n`);
    process.exit(EXIT_CODES.UNKNOWN);
  };
  if (!type) return unknown(`unknown check type "${typeName}", expected one of ${[...CHECK_TYPES.keys()].join(', ')}`);
  const timeoutMs = parseDurationMs(String(argv['timeout'] ?? '5s'));
  if (timeoutMs === undefined || timeoutMs <= 0) return unknown(`--timeout ${String(argv['timeout'])} is not a duration such as 2s`);

  // Every other --flag becomes the type's config key (--expect-status → expect_status);
  // values that look like YAML lists or maps are parsed as such.
  const raw: Record<string, unknown> = {};
  if (argv['target'] !== undefined) raw[TARGET_KEY[typeName] ?? 'target'] = String(argv['target']);
  for (const [key, value] of Object.entries(argv)) {
    if (CHECK_COMMON.has(key) || key.includes('-')) continue;
    const name = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    raw[name] = typeof value === 'string' && /^\s*[[{]/.test(value) ? parseYaml(value) : value;
  }
  const parsed = type.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return unknown(`${issue.path.join('.') || 'arguments'}: ${issue.message}`);
  }
  const thresholds = { warning: metricThresholds.safeParse(thresholdArgs(argv['warning']) ?? {}), critical: metricThresholds.safeParse(thresholdArgs(argv['critical']) ?? {}) };
  for (const [level, result] of Object.entries(thresholds)) {
    if (!result.success) return unknown(`--${level}: ${result.error.issues[0]!.message} (expected METRIC=RANGE, e.g. connect_ms=100)`);
  }
  const started = Date.now();
  const ranges = { warning: thresholds.warning.data ?? {}, critical: thresholds.critical.data ?? {} };
  const observation: Observation = applyThresholds(await type.run(parsed.data, { signal: AbortSignal.timeout(timeoutMs), timeoutMs }), ranges);
  if (argv['json']) {
    const { transcript, ...rest } = observation;
    const out = { check: typeName, target: type.describe(parsed.data), startedAt: new Date(started).toISOString(), ...rest,
      ...(transcript ? { transcript: Buffer.from(transcript).toString('utf8') } : {}) };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    process.stdout.write(`${pluginOutput(typeName, observation, ranges)}\n`);
    if (observation.transcript && observation.status !== 'OK') process.stdout.write(`${Buffer.from(observation.transcript).toString('utf8')}\n`);
  }
  process.exit(EXIT_CODES[observation.status]);
}

/**
 * SIGHUP: re-read the config file (with the remote config laid over it again); an invalid
 * one is logged and the running config stays.
 */
function reloadAgentConfig(agent: Agent, remote: RemoteConfig, file: string, log: Logger): void {
  try {
    let outcome: ReturnType<Agent['reload']> | undefined;
    remote.setApply((config) => {
      outcome = agent.reload(config);
    });
    remote.reloadLocal();
    remote.setApply((config) => agent.reload(config));
    const { added, removed, changed, restartNeeded } = outcome!;
    log.info({ file, added, removed, changed }, `config reloaded: ${added.length} checks added, ${removed.length} removed, ${changed.length} changed`);
    if (restartNeeded.length > 0) log.warn({ file, keys: restartNeeded }, `config reload: ${restartNeeded.join(', ')} changed; restart the agent to apply`);
  } catch (err: unknown) {
    log.error({ file, err: err instanceof Error ? err.message : String(err) }, `config reload failed, keeping the running config: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The options of `run`. */
interface RunOptions {
  config: string;
  metrics?: string | undefined;
}

/**
 * `run --config FILE [--metrics ADDR]` as the service starts it, or undefined. Recognised
 * without yargs, whose twenty-odd modules would otherwise stay resident (~3 MB) for the
 * agent's lifetime; anything else (help, a typo, a repeated option) goes to yargs as before.
 */
function plainRunArgs(args: readonly string[]): RunOptions | undefined {
  if (args[0] !== 'run') return undefined;
  const options = new Map<string, string>();
  for (let i = 1; i < args.length; i++) {
    const match = /^--(config|metrics)(?:=(.*))?$/.exec(args[i]!);
    const value = match?.[2] ?? args[++i];
    if (!match || options.has(match[1]!) || value === undefined || value === '' || (match[2] === undefined && value.startsWith('-'))) return undefined;
    options.set(match[1]!, value);
  }
  const config = options.get('config');
  return config === undefined ? undefined : { config, metrics: options.get('metrics') };
}

/** `run`: the agent until SIGTERM or SIGINT; SIGHUP re-reads the config. */
async function runAgent(argv: RunOptions): Promise<void> {
  const [{ Agent }, { RemoteConfig }] = await Promise.all([import('./agent.js'), import('./remote-config.js')]);
  const metricsModule = argv.metrics === undefined ? undefined : await import('./metrics-server.js');
  const log = createLogger('outpost-agent');
  let agent: Agent;
  let remote: RemoteConfig;
  let metricsServer: MetricsServer | undefined;
  // Relay mode when the config has a relay: section (docs/relay.md).
  let relay: Relay | undefined;
  try {
    const metricsAt = argv.metrics === undefined ? undefined : metricsModule!.parseMetricsListen(argv.metrics);
    // The local file with the collector's last accepted remote config over it.
    remote = RemoteConfig.load({ file: argv.config, logger: log });
    const relaySettings = remote.config.relay;
    if (relaySettings) {
      const [{ Relay }, { loadKeyFile }] = await Promise.all([import('./relay.js'), import('./key-file.js')]);
      relay = new Relay({ config: { ...remote.config, relay: relaySettings }, keyPair: loadKeyFile(remote.config.keyFile), logger: log });
    }
    agent = new Agent(remote.config, log, { remoteConfig: remote, ...(relay ? { relay } : {}) });
    remote.setApply((config) => agent.reload(config));
    if (metricsAt) metricsServer = new metricsModule!.MetricsServer({ ...metricsAt, render: () => agent.metrics.render(), logger: log });
  } catch (err: unknown) {
    return fail(err);
  }
  try {
    const address = await metricsServer?.start();
    if (address) log.info({ metrics: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/metrics` }, 'metrics listening');
    await relay?.start();
  } catch (err: unknown) {
    await agent.stop();
    await relay?.stop();
    return fail(err, EXIT.failure);
  }
  const reload = () => reloadAgentConfig(agent, remote, argv.config, log);
  process.on('SIGHUP', reload);
  agent.start();
  remote.armRollback();
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  // Checks stop first, so no new result (and no new outbox transaction) starts; what
  // was made is written, then the uplink closes its socket and the outbox its file.
  log.info({ signal }, 'stopping');
  process.off('SIGHUP', reload);
  remote.stop();
  await metricsServer?.stop();
  await agent.stop();
  await relay?.stop();
  process.exit(EXIT.ok);
}

export async function main(args = process.argv.slice(2)): Promise<void> {
  const plainRun = plainRunArgs(args);
  if (plainRun) return runAgent(plainRun);
  const [{ default: yargs }, { CHECK_TYPES }] = await Promise.all([import('yargs'), import('./checks/index.js')]);
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
      (argv) => runCheck(argv),
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
            ...(argv['max-rate'] ? { maxRate: argv['max-rate'] } : {}),
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
