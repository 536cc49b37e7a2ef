import { setFlagsFromString } from 'node:v8';
import type { AgentConfig } from './config.js';
import { HeapTrimmer } from './heap-trim.js';
import type { Logger } from './logger.js';

// bin/outpost-agent.js starts `run` under the `auto` preset without V8's optimising and
// baseline compilers: they cost ~10 MB of RSS (their code pages in node's binary, their
// memory while compiling, the code they make), and without them the interpreter still does
// 5,000-6,000 connect checks/s on one core (bench/README.md). This turns them on for the agents
// that need more than a few checks a second, and keeps the heap trimmed on the others.

/** Above this configured rate the compilers are worth their memory. */
export const LEAN_MAX_CHECKS_PER_SEC = 50;
/** A backlog this large is uploaded with the compilers on (a day at 1000 checks/min is 1.44 M). */
export const LEAN_MAX_BACKLOG = 10_000;
/**
 * What the launcher's auto preset turned off, on again: V8 reads each when it next decides
 * to compile or to drop code. (Not --regexp-interpret-all: turning that off in a running
 * process crashed it, so `auto` never sets it.)
 */
export const COMPILER_FLAGS = ['--opt', '--sparkplug', '--bytecode-old-age=5'];
const BACKLOG_EVERY_MS = 2_000;

/** Checks per second the config asks for, from each check's interval. */
export function checksPerSecond(config: Pick<AgentConfig, 'checks'>): number {
  return config.checks.reduce((sum, check) => sum + 1_000 / check.intervalMs, 0);
}

/** Why `config` needs V8's compilers, or undefined when the interpreter does. */
export function compilersNeededFor(config: Pick<AgentConfig, 'checks' | 'relay'>): string | undefined {
  // A relay forwards other agents' batches, a port scan probes thousands of ports at once:
  // their peaks are what the compilers are for.
  if (config.relay) return 'relay mode';
  const scan = config.checks.find((check) => check.type.type === 'exposure');
  if (scan) return `check ${scan.id} is a port scan`;
  const rate = checksPerSecond(config);
  if (rate > LEAN_MAX_CHECKS_PER_SEC) return `${rate.toFixed(0)} checks/s configured (more than ${LEAN_MAX_CHECKS_PER_SEC})`;
  return undefined;
}

/** The options of V8Profile.start. */
export interface V8ProfileOptions {
  /** The preset bin/outpost-agent.js started under (it sets OUTPOST_AGENT_V8_FLAGS). */
  preset: string | undefined;
  logger: Logger;
  /** Results waiting in the outbox. */
  backlog: () => number;
  /** node:v8 setFlagsFromString unless a test watches. */
  setFlags?: (flag: string) => void;
}

/**
 * The agent's side of the launcher's V8 presets. `auto`: lean while the config asks for
 * few checks a second and the outbox holds no large backlog, the compilers on for good as
 * soon as either changes (V8 cannot give their memory back); while lean, the heap is
 * trimmed after each burst of work. `lean`: trimmed, never compiled. Any other preset (or
 * none: not started by the launcher) is left as it is.
 *
 * @example
 * const profile = await V8Profile.create({ preset: process.env['OUTPOST_AGENT_V8_FLAGS'], logger, backlog: () => agent.backlog });
 * const agent = new Agent(loadAgentConfig(file), logger);
 * await profile.start(config);
 * profile.fit(reloadedConfig);
 */
export class V8Profile {
  readonly #o: V8ProfileOptions;
  readonly #adaptive: boolean;
  #compilers: boolean;
  #trimmer: HeapTrimmer | undefined;
  #backlogTimer: NodeJS.Timeout | undefined;

  private constructor(options: V8ProfileOptions, lean: boolean, adaptive: boolean) {
    this.#o = options;
    this.#compilers = !lean;
    this.#adaptive = adaptive;
  }

  /**
   * The profile of a starting agent, before its config file is read: a lean one trims the
   * heap of what loading the modules left, so the config's parse starts from a small heap.
   */
  static async create(options: V8ProfileOptions): Promise<V8Profile> {
    const lean = options.preset === 'auto' || options.preset === 'lean';
    const profile = new V8Profile(options, lean, options.preset === 'auto');
    if (lean) {
      profile.#trimmer = await HeapTrimmer.create();
      await profile.#trimmer?.trim();
    }
    return profile;
  }

  /** Apply the preset to the agent's config: compilers on, or a trim (the parse left garbage) and trims from now on. */
  async start(config: AgentConfig): Promise<void> {
    if (this.#compilers) return;
    const preset = this.#o.preset;
    if (this.#adaptive) {
      const reason = compilersNeededFor(config) ?? this.#backlogReason();
      if (reason !== undefined) return this.#raise(reason);
      this.#backlogTimer = setInterval(() => this.#checkBacklog(), BACKLOG_EVERY_MS).unref();
    }
    await this.#trimmer?.trim();
    this.#trimmer?.start();
    const rate = checksPerSecond(config);
    this.#o.logger.info({ preset, checksPerSec: Number(rate.toFixed(2)), heapTrim: this.#trimmer !== undefined }, `V8 compilers off (${preset} preset, ${rate.toFixed(1)} checks/s configured)`);
  }

  /** True once the optimising and baseline compilers run. */
  get compilers(): boolean {
    return this.#compilers;
  }

  /** A reloaded config: the compilers come on if it needs them. */
  fit(config: AgentConfig): void {
    if (!this.#adaptive || this.#compilers) return;
    const reason = compilersNeededFor(config);
    if (reason !== undefined) this.#raise(reason);
  }

  stop(): void {
    clearInterval(this.#backlogTimer);
    this.#trimmer?.stop();
    this.#trimmer = undefined;
  }

  #backlogReason(): string | undefined {
    const backlog = this.#o.backlog();
    return backlog > LEAN_MAX_BACKLOG ? `${backlog} results to upload (more than ${LEAN_MAX_BACKLOG})` : undefined;
  }

  #checkBacklog(): void {
    const reason = this.#backlogReason();
    if (reason !== undefined) this.#raise(reason);
  }

  #raise(reason: string): void {
    const setFlags = this.#o.setFlags ?? setFlagsFromString;
    for (const flag of COMPILER_FLAGS) setFlags(flag);
    this.#compilers = true;
    this.stop();
    this.#o.logger.info({ preset: this.#o.preset, reason }, `V8 compilers on: ${reason}`);
  }
}
