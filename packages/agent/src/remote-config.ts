import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { formatDuration, isOutpostError, type SignedConfig } from '@outpost/protocol';
import { parse, stringify } from 'yaml';
import { parseAgentConfig, readAgentConfigText, type AgentConfig } from './config.js';
import type { Logger } from './logger.js';

/** One remote config version as kept in the data directory. */
interface StoredVersion {
  version: number;
  config: string;
  signature: string;
  switchedAt: number;
  /** The collector was heard from after the switch: it no longer rolls back. */
  confirmed: boolean;
}

interface StoredState {
  current?: StoredVersion;
  /** The last confirmed version: what runs again if `current` has to be rolled back; absent: the local file alone. */
  previous?: StoredVersion;
  refused?: { version: number; reason: string };
}

/** What the agent reports in Hello and heartbeats. */
export interface RemoteConfigStatus {
  hash: string;
  version: number;
  error: string;
}

/** The uplink's side: report status, hand over verified pushes, tell when the collector answered. */
export interface RemoteConfigChannel {
  status(): RemoteConfigStatus;
  onPush(push: SignedConfig): void;
  onContact(): void;
}

export interface RemoteConfigOptions {
  /** The agent's local config file. */
  file: string;
  logger: Logger;
  /** Switch the running agent to a config (Agent.reload). Throwing refuses it. */
  apply: (config: AgentConfig) => void;
  now?: () => number;
}

/** Contact this soon after a switch proves nothing: the connection predates the new config. */
const CONFIRM_AFTER_MS = 5_000;
const STATE_FILE = 'remote-config.json';

/**
 * The local file with the remote sections laid over it: checks and defaults, and what
 * `allow` lists. The remote `checks:` replace the local ones, unless the remote config
 * says `local_checks: keep`: then the local checks run too, except those whose id a remote
 * check takes over (the segmentation policy's generated checks are pushed that way).
 */
export function mergeConfig(localText: string, remoteText: string, allow: readonly string[]): string {
  const local = (parse(localText) ?? {}) as Record<string, unknown>;
  const remote = (parse(remoteText) ?? {}) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...local };
  const { local_checks: localChecks = 'replace', ...sections } = remote;
  if (localChecks !== 'keep' && localChecks !== 'replace') throw new Error(`local_checks: expected keep or replace, got ${JSON.stringify(localChecks)}`);
  for (const [key, value] of Object.entries(sections)) {
    if (key === 'checks' || key === 'defaults' || allow.includes(key)) merged[key] = value;
    else throw new Error(`the remote config sets "${key}", which the local file does not allow (remote_config.allow)`);
  }
  if (localChecks === 'keep' && Array.isArray(local['checks'])) {
    const remoteChecks = Array.isArray(sections['checks']) ? (sections['checks'] as Record<string, unknown>[]) : [];
    const taken = new Set(remoteChecks.map((c) => c?.['id']).filter((id) => id !== undefined));
    const kept = (local['checks'] as Record<string, unknown>[]).filter((c) => c?.['id'] === undefined || !taken.has(c['id']));
    merged['checks'] = [...kept, ...remoteChecks];
  }
  return stringify(merged);
}

/**
 * The agent's remote config: validates a pushed version fully before switching to it,
 * keeps the one before, rolls back when the collector is not heard from for
 * `remote_config.rollback_after` after a switch, and says why it refused or rolled back.
 * Versions live in `remote-config.json` in the data directory (mode 0600), so a restart
 * runs the last accepted one. The signature was checked by the uplink against the pinned
 * collector key before anything here sees a push.
 *
 * @example
 * const remote = RemoteConfig.load({ file, logger, apply: (c) => agent.reload(c) });
 * const agent = new Agent(remote.config, logger, { remoteConfig: remote });
 */
export class RemoteConfig implements RemoteConfigChannel {
  readonly #o: RemoteConfigOptions;
  readonly #now: () => number;
  #local: AgentConfig;
  #localText: string;
  #config: AgentConfig;
  #state: StoredState;
  #error = '';
  #rollbackTimer: NodeJS.Timeout | undefined;

  private constructor(options: RemoteConfigOptions, localText: string, local: AgentConfig, state: StoredState) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#localText = localText;
    this.#local = local;
    this.#state = state;
    this.#config = local;
    this.#error = state.refused ? `v${state.refused.version}: ${state.refused.reason}` : '';
  }

  /** Read the local file and the stored remote versions; the effective config is `config`. */
  static load(options: Omit<RemoteConfigOptions, 'apply'> & { apply?: (config: AgentConfig) => void }): RemoteConfig {
    // A missing or unreadable file is a ConfigError that names it. One read: the strings of
    // the parsed config are slices of this text, which the merges below keep anyway.
    const text = readAgentConfigText(options.file);
    const local = parseAgentConfig(text, options.file);
    const statePath = join(local.dataDir, STATE_FILE);
    let state: StoredState = {};
    try {
      if (existsSync(statePath)) state = JSON.parse(readFileSync(statePath, 'utf8')) as StoredState;
    } catch (err: unknown) {
      // A damaged state file must not keep the agent from starting: it runs its local file.
      options.logger.warn({ file: statePath, err: err instanceof Error ? err.message : String(err) }, 'remote config state unreadable; running the local config file');
    }
    const remote = new RemoteConfig({ apply: () => {}, ...options }, text, local, state);
    remote.#config = remote.#startingConfig();
    return remote;
  }

  /** The config the agent runs now. */
  get config(): AgentConfig {
    return this.#config;
  }

  /** Where `apply` goes once the agent exists. */
  setApply(apply: (config: AgentConfig) => void): void {
    this.#o.apply = apply;
  }

  status(): RemoteConfigStatus {
    return { hash: this.#config.hash, version: this.#state.current?.version ?? 0, error: this.#error };
  }

  /** SIGHUP: the local file changed; the remote sections stay laid over it. Throws on an invalid file. */
  reloadLocal(): AgentConfig {
    const text = readFileSync(this.#o.file, 'utf8');
    const local = parseAgentConfig(text, this.#o.file);
    const next = this.#state.current && local.remoteConfig.accept ? this.#build(this.#state.current, text, local) : local;
    this.#o.apply(next);
    // The local file now refuses remote config: nothing remote is left to roll back.
    if (!local.remoteConfig.accept) clearTimeout(this.#rollbackTimer);
    this.#localText = text;
    this.#local = local;
    this.#config = next;
    return next;
  }

  onPush(push: SignedConfig): void {
    const version = push.version;
    const log = this.#o.logger;
    if (version <= (this.#state.current?.version ?? 0) || this.#state.refused?.version === version) return;
    const entry: StoredVersion = {
      version,
      config: Buffer.from(push.config).toString('utf8'),
      signature: Buffer.from(push.signature).toString('base64'),
      switchedAt: this.#now(),
      confirmed: false,
    };
    let next: AgentConfig;
    try {
      if (!this.#local.remoteConfig.accept) throw new Error(`remote_config.accept is false in ${this.#o.file}`);
      next = this.#build(entry, this.#localText, this.#local);
      this.#o.apply(next);
    } catch (err: unknown) {
      const reason = err instanceof Error ? err.message : String(err);
      this.#refuse(version, reason);
      log.warn({ version, reason }, 'remote config refused; the running config stays');
      return;
    }
    // What a rollback returns to is the last version the collector confirmed: a version
    // replaced before it was confirmed was never shown to keep the agent in contact.
    const { current, previous } = this.#state;
    const fallback = current?.confirmed ? current : previous;
    this.#state = { current: entry, ...(fallback ? { previous: fallback } : {}) };
    this.#config = next;
    this.#error = '';
    this.#save();
    this.#armRollback();
    log.info({ version, checks: next.checks.length, hash: next.hash }, 'remote config applied');
  }

  onContact(): void {
    const current = this.#state.current;
    if (!current || current.confirmed || this.#now() - current.switchedAt < CONFIRM_AFTER_MS) return;
    current.confirmed = true;
    clearTimeout(this.#rollbackTimer);
    this.#save();
  }

  /**
   * At start: an unconfirmed version keeps only what is left of its window (a crash-looping
   * version must not win a fresh window at every restart), and one whose window has passed
   * is rolled back at once.
   */
  armRollback(): void {
    const current = this.#state.current;
    if (!current || current.confirmed || !this.#local.remoteConfig.accept) return;
    this.#armRollback(current.switchedAt + this.#local.remoteConfig.rollbackAfterMs - this.#now());
  }

  stop(): void {
    clearTimeout(this.#rollbackTimer);
  }

  #armRollback(remainingMs = this.#local.remoteConfig.rollbackAfterMs): void {
    clearTimeout(this.#rollbackTimer);
    const afterMs = this.#local.remoteConfig.rollbackAfterMs;
    const rollBack = () => {
      try {
        this.#rollBack(`no contact with the collector for ${formatDuration(afterMs)} after switching`);
      } catch (err: unknown) {
        // A full disk or an apply that throws must not take the agent down with it.
        this.#o.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'remote config rollback failed');
      }
    };
    this.#rollbackTimer = setTimeout(rollBack, Math.max(0, remainingMs));
    this.#rollbackTimer.unref();
  }

  #rollBack(reason: string): void {
    const failed = this.#state.current;
    if (!failed) return;
    const previous = this.#state.previous;
    let next = this.#local;
    if (previous) {
      try {
        next = this.#build(previous, this.#localText, this.#local);
      } catch {
        next = this.#local;
      }
    }
    this.#o.apply(next);
    this.#config = next;
    this.#state = { ...(previous ? { current: { ...previous, confirmed: true } } : {}) };
    this.#refuse(failed.version, `rolled back: ${reason}`);
    this.#o.logger.warn({ version: failed.version, back_to: previous?.version ?? 0, reason }, 'remote config rolled back');
  }

  /** At start: the newest stored version that still loads, else the previous, else the local file. */
  #startingConfig(): AgentConfig {
    if (!this.#local.remoteConfig.accept) return this.#local;
    const current = this.#state.current;
    if (!current) return this.#local;
    let why: string;
    try {
      return this.#build(current, this.#localText, this.#local);
    } catch (err: unknown) {
      // E.g. a version stored by an older agent that this one validates more strictly.
      why = err instanceof Error ? err.message : String(err);
      this.#o.logger.warn({ version: current.version, reason: why }, 'stored remote config does not load');
    }
    // What runs from here on is what the agent reports, with why the stored version does not:
    // the collector must not believe it runs a version it does not.
    const previous = this.#state.previous;
    if (previous) {
      try {
        const config = this.#build(previous, this.#localText, this.#local);
        this.#state = { current: previous };
        this.#refuse(current.version, `does not load with this agent (${why}); running v${previous.version}`);
        return config;
      } catch (err: unknown) {
        this.#o.logger.warn({ version: previous.version, reason: err instanceof Error ? err.message : String(err) }, 'stored remote config does not load');
      }
    }
    this.#state = {};
    this.#refuse(current.version, `does not load with this agent (${why}); running the local file`);
    return this.#local;
  }

  #build(entry: StoredVersion, localText: string, local: AgentConfig): AgentConfig {
    const merged = mergeConfig(localText, entry.config, local.remoteConfig.allow);
    try {
      return parseAgentConfig(merged, this.#o.file);
    } catch (err: unknown) {
      // Errors name the local file's path; say that the keys came from the pushed version.
      if (isOutpostError(err)) throw new Error(`remote config v${entry.version}: ${err.message.replace(`${this.#o.file}: `, '')}`);
      throw err;
    }
  }

  #refuse(version: number, reason: string): void {
    this.#state.refused = { version, reason };
    this.#error = `v${version}: ${reason}`.slice(0, 1_000);
    this.#save();
  }

  #save(): void {
    mkdirSync(this.#local.dataDir, { recursive: true, mode: 0o700 });
    const path = join(this.#local.dataDir, STATE_FILE);
    // Written whole, synced, then renamed: a crash leaves the old file or the new one.
    const fd = openSync(`${path}.tmp`, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(this.#state, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(`${path}.tmp`, path);
  }
}
