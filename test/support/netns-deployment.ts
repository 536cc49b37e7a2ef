import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { requireTool, run, UNREACHABLE_METRIC } from './host-commands.js';
import { BINS } from './processes.js';

/** Subnet of the link between the root namespace (.1) and the collector's namespace (.2). */
const SUBNET = '10.231.66';

/**
 * A process started inside a namespace with `ip netns exec` (which execs it, so signals reach
 * it directly), with its JSON log lines awaitable as RunningProcess does.
 */
export class NamespacedProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(namespace: string, bin: keyof typeof BINS, args: string[]) {
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, BINS[bin], ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      this.lines.push(...parts);
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async waitForLine(match: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = this.lines.find(match);
      if (line !== undefined) return line;
      if (this.child.exitCode !== null || this.child.signalCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no matching line within ${timeoutMs} ms (exit ${this.child.exitCode}); output:\n${this.lines.slice(-30).join('\n')}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

const live = new Set<LinkLab>();
let hooked = false;

/**
 * A namespace for the collector joined to the root namespace by a veth pair: root side
 * 10.231.66.1/24 (`op-link-<tag>h`), namespace side 10.231.66.2/24 (`op-link-<tag>n`). The
 * test breaks the link (interface down) or blackholes it (iptables DROP inside the
 * namespace) while the real processes run. Nothing leaves the machine.
 *
 * @example
 * const lab = LinkLab.create();
 * try { const collector = await lab.startCollector(dataDir, port, httpPort); lab.linkDown(); ... } finally { await lab.destroy(); }
 */
export class LinkLab {
  readonly namespace: string;
  readonly hostLink: string;
  readonly innerLink: string;
  readonly hostAddress = `${SUBNET}.1`;
  readonly collectorAddress = `${SUBNET}.2`;
  readonly #processes: NamespacedProcess[] = [];
  #destroyed = false;

  private constructor(tag: string) {
    this.namespace = `op-link-${tag}`;
    this.hostLink = `op-link-${tag}h`;
    this.innerLink = `op-link-${tag}n`;
  }

  static create(): LinkLab {
    if (process.getuid?.() !== 0) throw new Error('link fault tests need root (ip netns add, veth pairs, iptables)');
    requireTool('ip', 'iproute2', ['-V']);
    requireTool('iptables', 'iptables', ['--version']);
    LinkLab.#removeLeftovers();
    const lab = new LinkLab(randomBytes(3).toString('hex').slice(0, 5));
    if (!hooked) {
      hooked = true;
      // A worker that dies mid-test still takes its namespaces with it.
      process.once('exit', () => {
        for (const l of live) l.#teardown();
      });
    }
    live.add(lab);
    try {
      run('ip', ['netns', 'add', lab.namespace]);
      run('ip', ['link', 'add', lab.hostLink, 'type', 'veth', 'peer', 'name', lab.innerLink]);
      run('ip', ['link', 'set', lab.innerLink, 'netns', lab.namespace]);
      run('ip', ['addr', 'add', `${lab.hostAddress}/24`, 'dev', lab.hostLink]);
      run('ip', ['link', 'set', lab.hostLink, 'up']);
      // While the link is down its route is gone, and 10.231.66.2 would fall to the default
      // route and leave the machine. This one (worse metric) answers "unreachable" instead.
      run('ip', ['route', 'replace', 'unreachable', `${SUBNET}.0/24`, 'metric', UNREACHABLE_METRIC]);
      lab.exec('ip', 'addr', 'add', `${lab.collectorAddress}/24`, 'dev', lab.innerLink);
      lab.exec('ip', 'link', 'set', lab.innerLink, 'up');
      lab.exec('ip', 'link', 'set', 'lo', 'up');
    } catch (err: unknown) {
      lab.#teardown();
      throw err;
    }
    return lab;
  }

  /** An earlier run of these tests that was killed may have left its link holding the subnet. */
  static #removeLeftovers(): void {
    const holders = run('ip', ['-o', '-4', 'addr', 'show']).split('\n').filter((line) => line.includes(` ${SUBNET}.1/`));
    for (const line of holders) {
      const dev = /^\d+:\s+([^\s@]+)/.exec(line)?.[1];
      if (!dev?.startsWith('op-link-')) throw new Error(`${SUBNET}.1 is configured on ${dev ?? line}, which these tests did not create`);
      for (const args of [['netns', 'del', dev.slice(0, -1)], ['link', 'del', dev], ['route', 'del', 'unreachable', `${SUBNET}.0/24`, 'metric', UNREACHABLE_METRIC]]) {
        try {
          run('ip', args);
        } catch {
          // already gone
        }
      }
    }
  }

  exec(command: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', this.namespace, command, ...args]);
  }

  /** The collector inside the namespace, agent listener and API on the namespace address. */
  async startCollector(dataDir: string, port: number, httpPort: number): Promise<NamespacedProcess> {
    const proc = new NamespacedProcess(this.namespace, 'collector', [
      'run', '--data-dir', dataDir, '--listen', `${this.collectorAddress}:${port}`, '--http', `${this.collectorAddress}:${httpPort}`,
    ]);
    this.#processes.push(proc);
    await proc.waitForLine((line) => line.includes('collector listening'));
    return proc;
  }

  /** Take the root side of the link down: the route goes, nothing crosses. */
  linkDown(): void {
    run('ip', ['link', 'set', this.hostLink, 'down']);
  }

  linkUp(): void {
    run('ip', ['link', 'set', this.hostLink, 'up']);
  }

  /** Drop every packet in and out of the collector's namespace; connections look alive. */
  blackhole(): void {
    this.exec('iptables', '-A', 'INPUT', '-j', 'DROP');
    this.exec('iptables', '-A', 'OUTPUT', '-j', 'DROP');
  }

  clearBlackhole(): void {
    this.exec('iptables', '-D', 'INPUT', '-j', 'DROP');
    this.exec('iptables', '-D', 'OUTPUT', '-j', 'DROP');
  }

  async destroy(): Promise<void> {
    for (const proc of this.#processes) await proc.stop('SIGKILL');
    this.#teardown();
  }

  /** Processes first (they keep the namespace's network alive), then namespace and veth. */
  #teardown(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    live.delete(this);
    for (const proc of this.#processes) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    for (const args of [['netns', 'del', this.namespace], ['link', 'del', this.hostLink], ['route', 'del', 'unreachable', `${SUBNET}.0/24`, 'metric', UNREACHABLE_METRIC]]) {
      try {
        run('ip', args);
      } catch {
        // already gone (deleting the namespace takes the veth pair with it)
      }
    }
  }
}
