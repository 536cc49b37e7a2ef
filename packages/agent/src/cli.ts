import { encodeKey, isOutpostError } from '@outpost/protocol';
import { parse as parseYaml } from 'yaml';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Agent } from './agent.js';
import { applyThresholds, CHECK_TYPES, metricThresholds, type Observation } from './checks/index.js';
import { loadAgentConfig } from './config.js';
import { parseDurationMs } from './duration.js';
import { initAgent } from './init.js';
import { createNextKeyFile, nextKeyPath } from './key-file.js';
import { scanCommand } from './scan-command.js';
import { createLogger } from './logger.js';
import { MetricsServer, parseMetricsListen } from './metrics-server.js';
import { EXIT_CODES, pluginOutput } from './nagios.js';
import { formatStatus, readStatus } from './status-report.js';
import { VERSION } from './version.js';

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

export async function main(args = hideBin(process.argv)): Promise<void> {
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
      (argv) => {
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
      async (argv) => {
        const log = createLogger('outpost-agent');
        let agent: Agent;
        let metricsServer: MetricsServer | undefined;
        try {
          const metricsAt = argv.metrics === undefined ? undefined : parseMetricsListen(argv.metrics);
          agent = new Agent(loadAgentConfig(argv.config), log);
          if (metricsAt) metricsServer = new MetricsServer({ ...metricsAt, render: () => agent.metrics.render(), logger: log });
        } catch (err: unknown) {
          return fail(err);
        }
        try {
          const address = await metricsServer?.start();
          if (address) log.info({ metrics: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/metrics` }, 'metrics listening');
        } catch (err: unknown) {
          await agent.stop();
          return fail(err, EXIT.failure);
        }
        agent.start();
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
        await metricsServer?.stop();
        await agent.stop();
        process.exit(EXIT.ok);
      },
    )
    .command(
      'rotate-key',
      'make a new agent key; the running agent moves to it at its next heartbeat, signed by the old key',
      (y) => y.option('config', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }),
      (argv) => {
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
      (argv) => {
        try {
          const report = readStatus(loadAgentConfig(argv.config));
          process.stdout.write(argv.json ? `${JSON.stringify(report)}\n` : `${formatStatus(report)}\n`);
        } catch (err: unknown) {
          fail(err);
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
          .example('$0 scan 127.0.0.1 -p 1-65535', 'every TCP port of this host'),
      async (argv) => {
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        const code = await scanCommand(
          {
            target: argv.target,
            ports: argv.p,
            concurrency: argv.concurrency,
            ...(argv['max-rate'] ? { maxRate: argv['max-rate'] } : {}),
            portTimeout: argv['port-timeout'],
            json: argv.json,
            maxCidrPrefix: argv['max-cidr-prefix'],
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
