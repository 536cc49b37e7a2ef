import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { requireTool, run } from './tools.js';

/**
 * A benchmark target host: a network namespace joined to this one by a veth pair. Host side
 * 10.231.99.1/24, inside 10.231.99.2/24, `lo` up inside. Scans of it cross a real (virtual)
 * link and a real firewall, and nothing leaves the machine.
 */
export interface NamespaceHost {
  namespace: string;
  hostAddress: string;
  peerAddress: string;
  /** Run a command inside the namespace; throws with its stderr on failure. */
  exec(command: string, ...args: string[]): string;
  /** Start TCP listeners inside the namespace on these ports; resolves once all listen. */
  listen(ports: readonly number[]): Promise<void>;
  /** Kill the listeners, delete the namespace and the veth pair; safe to call twice. */
  destroy(): void;
}

const SUBNET = '10.231.99';
const cleanups = new Set<() => void>();
let hooked = false;

/** Run every registered cleanup; used on normal exit and on SIGINT/SIGTERM. */
function runCleanups(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // best effort: the next one may still succeed
    }
  }
}

/** A cleanup that also runs if the benchmark is interrupted (Ctrl-C) or exits early. */
export function onInterrupt(cleanup: () => void): () => void {
  if (!hooked) {
    hooked = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        runCleanups();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    }
    process.once('exit', runCleanups);
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

// Accepts and drops every connection: a scanner only needs the SYN-ACK.
const LISTENER = `
const net = require('node:net');
const ports = process.argv.slice(1).map(Number);
let ready = 0;
for (const port of ports) {
  const server = net.createServer((socket) => { socket.on('error', () => {}); socket.destroy(); });
  server.listen({ port, host: '0.0.0.0', backlog: 1024 }, () => { if (++ready === ports.length) process.stdout.write('ready\\n'); });
  server.on('error', (err) => { process.stderr.write(String(err) + '\\n'); process.exit(1); });
}`;

/**
 * Create the namespace host. Fails with the package to install when `ip` is missing, and
 * with a clear reason when another run (or a leftover) already holds the subnet.
 *
 * @example
 * const host = createNamespaceHost();
 * try { await host.listen([22, 80]); ... } finally { host.destroy(); }
 */
export function createNamespaceHost(): NamespaceHost {
  if (process.getuid?.() !== 0) throw new Error('the namespace host needs root (ip netns add, veth pairs, iptables)');
  requireTool('ip', 'iproute2', ['-V']);
  if (run('ip', ['-o', '-4', 'addr', 'show']).includes(` ${SUBNET}.1/`)) {
    throw new Error(`${SUBNET}.1 is already configured: another bench run is active, or a leftover remains (ip netns list | grep op-bench-)`);
  }
  // Interface names are limited to 15 bytes: "op-bench-" + 5 hex + "h".
  const tag = randomBytes(3).toString('hex').slice(0, 5);
  const namespace = `op-bench-${tag}`;
  const hostLink = `op-bench-${tag}h`;
  const innerLink = `op-bench-${tag}n`;
  const children: ChildProcess[] = [];
  const exec = (command: string, ...args: string[]) => run('ip', ['netns', 'exec', namespace, command, ...args]);
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    forget();
    // Listeners must go first: a process inside keeps the namespace's network alive.
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const args of [['netns', 'del', namespace], ['link', 'del', hostLink]]) {
      try {
        run('ip', args);
      } catch {
        // already gone (deleting the namespace takes the veth pair with it)
      }
    }
  };
  const forget = onInterrupt(destroy);
  const listen = async (ports: readonly number[]) => {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', LISTENER, ...ports.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`listener in ${namespace} exited with ${code}: ${stderr.trim()}`)));
        timer = setTimeout(() => reject(new Error(`listeners in ${namespace} not ready within 10 s`)), 10_000);
      });
    } finally {
      clearTimeout(timer);
    }
  };
  const host: NamespaceHost = { namespace, hostAddress: `${SUBNET}.1`, peerAddress: `${SUBNET}.2`, exec, listen, destroy };
  try {
    run('ip', ['netns', 'add', namespace]);
    run('ip', ['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', innerLink]);
    run('ip', ['link', 'set', innerLink, 'netns', namespace]);
    run('ip', ['addr', 'add', `${host.hostAddress}/24`, 'dev', hostLink]);
    run('ip', ['link', 'set', hostLink, 'up']);
    exec('ip', 'addr', 'add', `${host.peerAddress}/24`, 'dev', innerLink);
    exec('ip', 'link', 'set', innerLink, 'up');
    exec('ip', 'link', 'set', 'lo', 'up');
  } catch (err: unknown) {
    destroy();
    throw err;
  }
  return host;
}
