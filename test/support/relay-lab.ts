import { randomBytes } from 'node:crypto';
import { quietly, requireTool, run, UNREACHABLE_METRIC } from './host-commands.js';
import { NamespacedProcess } from './netns-deployment.js';
import type { BINS } from './processes.js';

/** Nesting levels below the root namespace (which runs the collector), outermost first. */
export const LEVELS = ['site', 'plant', 'deep'] as const;
export type Level = (typeof LEVELS)[number];

/** Link i joins level i-1 (the root namespace for i = 0) at .1 and level i at .2 of 10.231.(55+i).0/24. */
const subnet = (i: number) => `10.231.${55 + i}`;

const live = new Set<RelayLab>();
let hooked = false;

/**
 * Three nested segments in network namespaces, each reachable only from the next level
 * up: root (collector) ─ op-relay-…-site ─ op-relay-…-plant ─ op-relay-…-deep. Every link is a
 * veth pair of its own /24; no namespace forwards packets or has a default route, so a
 * process can reach its neighbours' addresses and nothing else. The root namespace holds
 * only the first link, with an "unreachable" safety route for all three subnets so none of
 * them ever falls to the default route.
 *
 * @example
 * const lab = RelayLab.create();
 * try { lab.start('deep', 'agent', ['run', '--config', file]); lab.linkDown(1); } finally { await lab.destroy(); }
 */
export class RelayLab {
  readonly tag: string;
  readonly #processes: NamespacedProcess[] = [];
  #destroyed = false;

  private constructor(tag: string) {
    this.tag = tag;
  }

  static create(): RelayLab {
    if (process.getuid?.() !== 0) throw new Error('relay tests need root (ip netns add, veth pairs)');
    requireTool('ip', 'iproute2', ['-V']);
    RelayLab.#removeLeftovers();
    const lab = new RelayLab(randomBytes(2).toString('hex').slice(0, 3));
    if (!hooked) {
      hooked = true;
      process.once('exit', () => {
        for (const l of live) l.#teardown();
      });
    }
    live.add(lab);
    try {
      for (const level of LEVELS) {
        run('ip', ['netns', 'add', lab.namespace(level)]);
        lab.exec(level, 'ip', 'link', 'set', 'lo', 'up');
      }
      for (let i = 0; i < LEVELS.length; i++) {
        const [outer, inner] = lab.#linkNames(i);
        run('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
        if (i > 0) run('ip', ['link', 'set', outer, 'netns', lab.namespace(LEVELS[i - 1]!)]);
        run('ip', ['link', 'set', inner, 'netns', lab.namespace(LEVELS[i]!)]);
        const onOuter = (...args: string[]) => (i === 0 ? run('ip', args) : lab.exec(LEVELS[i - 1]!, 'ip', ...args));
        onOuter('addr', 'add', `${subnet(i)}.1/24`, 'dev', outer);
        onOuter('link', 'set', outer, 'up');
        lab.exec(LEVELS[i]!, 'ip', 'addr', 'add', `${subnet(i)}.2/24`, 'dev', inner);
        lab.exec(LEVELS[i]!, 'ip', 'link', 'set', inner, 'up');
        run('ip', ['route', 'replace', 'unreachable', `${subnet(i)}.0/24`, 'metric', UNREACHABLE_METRIC]);
      }
    } catch (err: unknown) {
      lab.#teardown();
      throw err;
    }
    return lab;
  }

  /** Namespaces and links of an earlier, killed run. */
  static #removeLeftovers(): void {
    for (const line of run('ip', ['netns', 'list']).split('\n')) {
      const name = line.split(' ')[0];
      if (name?.startsWith('op-relay-')) quietly('ip', ['netns', 'del', name]);
    }
    for (const line of run('ip', ['-o', 'link', 'show']).split('\n')) {
      const dev = /^\d+:\s+([^\s@:]+)/.exec(line)?.[1];
      if (dev?.startsWith('op-relay-')) quietly('ip', ['link', 'del', dev]);
    }
  }

  namespace(level: Level): string {
    return `op-relay-${this.tag}-${level}`;
  }

  /** The address of `level` on its link to the level above (where it connects from). */
  addressOf(level: Level): string {
    return `${subnet(LEVELS.indexOf(level))}.2`;
  }

  /** The address on which the level above `level` listens for it (the root's for 'site'). */
  upstreamOf(level: Level): string {
    return `${subnet(LEVELS.indexOf(level))}.1`;
  }

  #linkNames(i: number): [string, string] {
    return [`op-relay-${this.tag}${i}o`, `op-relay-${this.tag}${i}i`];
  }

  exec(level: Level, command: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', this.namespace(level), command, ...args]);
  }

  start(level: Level, bin: keyof typeof BINS, args: string[]): NamespacedProcess {
    const proc = new NamespacedProcess(this.namespace(level), bin, args);
    this.#processes.push(proc);
    return proc;
  }

  /** Cut the link between `level` and the level above it (its side goes down). */
  linkDown(level: Level): void {
    this.exec(level, 'ip', 'link', 'set', this.#linkNames(LEVELS.indexOf(level))[1], 'down');
  }

  linkUp(level: Level): void {
    this.exec(level, 'ip', 'link', 'set', this.#linkNames(LEVELS.indexOf(level))[1], 'up');
  }

  async destroy(): Promise<void> {
    for (const proc of this.#processes) await proc.stop('SIGKILL');
    this.#teardown();
  }

  #teardown(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    live.delete(this);
    for (const proc of this.#processes) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    for (const level of LEVELS) quietly('ip', ['netns', 'del', this.namespace(level)]);
    quietly('ip', ['link', 'del', this.#linkNames(0)[0]]);
    for (let i = 0; i < LEVELS.length; i++) quietly('ip', ['route', 'del', 'unreachable', `${subnet(i)}.0/24`, 'metric', UNREACHABLE_METRIC]);
  }
}
