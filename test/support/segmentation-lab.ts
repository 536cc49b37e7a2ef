import { spawn, type ChildProcess } from 'node:child_process';
import { quietly, requireTool, run, UNREACHABLE_METRIC } from './host-commands.js';

/** The lab's subnet: the bridge in the root namespace is .1, segment namespaces .11, .12, ... */
export const SEG_SUBNET = '10.231.44';
const BRIDGE = 'op-seg-br';

/** One namespace of the lab: `op-seg-<name>` at 10.231.44.<host>. */
export interface Segment {
  name: string;
  namespace: string;
  address: string;
}

/**
 * Network namespaces as segments behind one bridge in the root namespace (where the
 * collector listens on 10.231.44.1), each with its own iptables INPUT policy, and small
 * listeners inside them. Nothing leaves the machine: a worse-metric unreachable route
 * keeps the subnet off the default route if the bridge goes.
 *
 * @example
 * const lab = SegmentationLab.create(['a', 'b', 'c']);
 * try { lab.exec('a', 'iptables', '-A', 'INPUT', '-j', 'DROP'); } finally { lab.destroy(); }
 */
export class SegmentationLab {
  readonly bridgeAddress = `${SEG_SUBNET}.1`;
  readonly segments = new Map<string, Segment>();
  readonly #children: ChildProcess[] = [];
  #destroyed = false;

  static create(names: readonly string[]): SegmentationLab {
    if (process.getuid?.() !== 0) throw new Error('segmentation tests need root (ip netns add, veth pairs, iptables)');
    requireTool('ip', 'iproute2', ['-V']);
    requireTool('iptables', 'iptables', ['--version']);
    SegmentationLab.#removeLeftovers(names);
    const lab = new SegmentationLab();
    process.once('exit', () => lab.destroy());
    try {
      run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
      run('ip', ['addr', 'add', `${lab.bridgeAddress}/24`, 'dev', BRIDGE]);
      run('ip', ['link', 'set', BRIDGE, 'up']);
      run('ip', ['route', 'replace', 'unreachable', `${SEG_SUBNET}.0/24`, 'metric', UNREACHABLE_METRIC]);
      // Bridged frames must not be filtered by the root namespace's own iptables.
      quietly('sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=0']);
      names.forEach((name, i) => {
        const segment = { name, namespace: `op-seg-${name}`, address: `${SEG_SUBNET}.${11 + i}` };
        const outer = `op-seg-${name}h`;
        run('ip', ['netns', 'add', segment.namespace]);
        run('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', `op-seg-${name}n`]);
        run('ip', ['link', 'set', `op-seg-${name}n`, 'netns', segment.namespace]);
        run('ip', ['link', 'set', outer, 'master', BRIDGE]);
        run('ip', ['link', 'set', outer, 'up']);
        lab.segments.set(name, segment);
        lab.exec(name, 'ip', 'addr', 'add', `${segment.address}/24`, 'dev', `op-seg-${name}n`);
        lab.exec(name, 'ip', 'link', 'set', `op-seg-${name}n`, 'up');
        lab.exec(name, 'ip', 'link', 'set', 'lo', 'up');
      });
    } catch (err: unknown) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  static #removeLeftovers(names: readonly string[]): void {
    for (const name of names) quietly('ip', ['netns', 'del', `op-seg-${name}`]);
    quietly('ip', ['link', 'del', BRIDGE]);
    quietly('ip', ['route', 'del', 'unreachable', `${SEG_SUBNET}.0/24`, 'metric', UNREACHABLE_METRIC]);
  }

  segment(name: string): Segment {
    const segment = this.segments.get(name);
    if (!segment) throw new Error(`no segment ${name}`);
    return segment;
  }

  exec(name: string, command: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', this.segment(name).namespace, command, ...args]);
  }

  /**
   * Listeners inside a segment: `http` ports answer HTTP, `banner` ports greet with the
   * given line (e.g. an SSH banner). Resolves once all of them listen.
   */
  async listen(name: string, ports: { http?: number[]; banner?: Record<number, string> }): Promise<void> {
    const script = `
      const net = require('node:net'); const http = require('node:http');
      const servers = [];
      for (const port of ${JSON.stringify(ports.http ?? [])}) servers.push(http.createServer((q, s) => s.end('ok')).listen(port, '0.0.0.0'));
      for (const [port, line] of Object.entries(${JSON.stringify(ports.banner ?? {})})) {
        servers.push(net.createServer((s) => { s.on('error', () => {}); s.end(line); }).listen(Number(port), '0.0.0.0'));
      }
      let up = 0; for (const s of servers) s.on('listening', () => { if (++up === servers.length) console.log('listening'); });
    `;
    const child = spawn('ip', ['netns', 'exec', this.segment(name).namespace, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.#children.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`listeners in ${name} did not start`)), 15_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`listeners in ${name} exited with ${code}`)));
    });
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const child of this.#children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const segment of this.segments.values()) quietly('ip', ['netns', 'del', segment.namespace]);
    for (const segment of this.segments.values()) quietly('ip', ['link', 'del', `op-seg-${segment.name}h`]);
    quietly('ip', ['link', 'del', BRIDGE]);
    quietly('ip', ['route', 'del', 'unreachable', `${SEG_SUBNET}.0/24`, 'metric', UNREACHABLE_METRIC]);
  }
}
