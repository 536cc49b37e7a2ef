import type { Agent, AgentReload } from './agent.js';
import { EXIT, fail } from './cli-exit.js';
import type { AgentConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import type { MetricsServer } from './metrics-server.js';
import type { Relay } from './relay.js';
import type { RemoteConfig } from './remote-config.js';

// `outpost-agent run`: the long-running agent (and relay). It imports what it uses when it
// starts, so the resident set holds only that (DESIGN §7, bench/footprint.ts).

/**
 * SIGHUP: re-read the config file (with the remote config laid over it again); an invalid
 * one is logged and the running config stays.
 */
function reloadAgentConfig(apply: (config: AgentConfig) => AgentReload, remote: RemoteConfig, file: string, log: Logger): void {
  try {
    let outcome: AgentReload | undefined;
    remote.setApply((config) => {
      outcome = apply(config);
    });
    remote.reloadLocal();
    remote.setApply(apply);
    const { added, removed, changed, restartNeeded } = outcome!;
    log.info({ file, added, removed, changed }, `config reloaded: ${added.length} checks added, ${removed.length} removed, ${changed.length} changed`);
    if (restartNeeded.length > 0) log.warn({ file, keys: restartNeeded }, `config reload: ${restartNeeded.join(', ')} changed; restart the agent to apply`);
  } catch (err: unknown) {
    log.error({ file, err: err instanceof Error ? err.message : String(err) }, `config reload failed, keeping the running config: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The options of `run`. */
export interface RunOptions {
  config: string;
  metrics?: string | undefined;
}

/**
 * `run --config FILE [--metrics ADDR]` as the service starts it, or undefined. Recognised
 * without yargs, whose twenty-odd modules would otherwise stay resident (~3 MB) for the
 * agent's lifetime; anything else (help, a typo, a repeated option) goes to yargs as before.
 */
export function plainRunArgs(args: readonly string[]): RunOptions | undefined {
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
export async function runAgent(argv: RunOptions): Promise<void> {
  const [{ Agent }, { RemoteConfig }, { V8Profile }] = await Promise.all([import('./agent.js'), import('./remote-config.js'), import('./v8-profile.js')]);
  const metricsModule = argv.metrics === undefined ? undefined : await import('./metrics-server.js');
  const log = createLogger('outpost-agent');
  let agent: Agent;
  let remote: RemoteConfig;
  let metricsServer: MetricsServer | undefined;
  // Relay mode when the config has a relay: section (docs/relay.md).
  let relay: Relay | undefined;
  // Before the config file's parse: the lean presets first trim what loading the modules left.
  const profile = await V8Profile.create({ preset: process.env['OUTPOST_AGENT_V8_FLAGS'], logger: log, backlog: () => agent.backlog });
  // A reloaded or pushed config may ask for more checks a second than the lean V8 preset is for.
  const apply = (config: AgentConfig): AgentReload => {
    const outcome = agent.reload(config);
    profile.fit(config);
    return outcome;
  };
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
    remote.setApply(apply);
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
  const reload = () => reloadAgentConfig(apply, remote, argv.config, log);
  process.on('SIGHUP', reload);
  await profile.start(remote.config);
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
  profile.stop();
  remote.stop();
  await metricsServer?.stop();
  await agent.stop();
  await relay?.stop();
  process.exit(EXIT.ok);
}
