import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Real peers for the scanner and exposure tests: loopback listeners, the kernel's own list
// of listening sockets (an oracle independent of the scanner) and a network namespace.

export interface Listeners {
  ports: number[];
  close(): Promise<void>;
}

/**
 * Bind TCP servers on `host`: `count` of them on port 0, or one per given port. Each greets
 * with `greeting` when given.
 */
export async function startListeners(host: string, count: number | number[], greeting?: string | Buffer): Promise<Listeners> {
  const wanted = typeof count === 'number' ? new Array<number>(count).fill(0) : count;
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const close = () => {
    for (const socket of sockets) socket.destroy();
    return Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))).then(() => {});
  };
  try {
    for (const port of wanted) {
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
        if (greeting !== undefined) socket.write(greeting);
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    }
  } catch (error: unknown) {
    await close();
    throw error;
  }
  const ports = servers.map((server) => (server.address() as { port: number }).port).sort((a, b) => a - b);
  return { ports, close };
}

/**
 * Ports in LISTEN state in this network namespace that accept connections to `address`
 * (bound to it or to the wildcard), read from /proc/net/tcp and /proc/net/tcp6.
 */
export function kernelListeners(address: string): Set<number> {
  const wanted = address.split('.').reverse().map((octet) => Number(octet).toString(16).padStart(2, '0')).join('').toUpperCase();
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A') continue;
      const [local = '', portHex = '0'] = (fields[1] ?? '').split(':');
      const wildcard = /^0+$/.test(local);
      // tcp6 spells an IPv4-mapped address as ::ffff:a.b.c.d, little-endian per 32-bit word.
      if (wildcard || local === wanted || local === `0000000000000000FFFF0000${wanted}`) ports.add(parseInt(portHex, 16));
    }
  }
  return ports;
}

/** A random loopback address away from 127.0.0.x, so other tests' listeners stay out of range. */
export function randomLoopback(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3);
  return `127.${100 + (a % 100)}.${b}.${1 + (c % 250)}`;
}

/** Fail (not skip) when a system tool is missing, naming the Debian package that has it. */
export function requireTool(command: string, args: string[], debianPackage: string): void {
  const probe = spawnSync(command, args, { stdio: 'ignore' });
  if (probe.error !== undefined) throw new Error(`${command} is needed by this test: install the Debian package "${debianPackage}" (${probe.error.message})`);
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this test creates network namespaces and must run as root');
}

export function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.error?.message ?? result.stderr.trim()}`);
  }
  return result.stdout;
}

/** A namespace `op-exposure-<random>` joined to this one by a veth pair. */
export class TestNamespace {
  readonly name = `op-exposure-${randomBytes(4).toString('hex')}`;
  readonly hostVeth = `opx${this.name.slice(-8)}h`;
  readonly #children: ChildProcess[] = [];

  constructor(readonly hostAddress: string, readonly innerAddress: string, readonly prefix = 24) {}

  create(): void {
    run('ip', ['netns', 'add', this.name]);
    const inner = `opx${this.name.slice(-8)}n`;
    run('ip', ['link', 'add', this.hostVeth, 'type', 'veth', 'peer', 'name', inner]);
    run('ip', ['link', 'set', inner, 'netns', this.name]);
    run('ip', ['addr', 'add', `${this.hostAddress}/${this.prefix}`, 'dev', this.hostVeth]);
    run('ip', ['link', 'set', this.hostVeth, 'up']);
    this.exec('ip', ['addr', 'add', `${this.innerAddress}/${this.prefix}`, 'dev', inner]);
    this.exec('ip', ['link', 'set', inner, 'up']);
    this.exec('ip', ['link', 'set', 'lo', 'up']);
  }

  exec(command: string, args: string[]): string {
    return run('ip', ['netns', 'exec', this.name, command, ...args]);
  }

  /** Start a Node process inside the namespace listening on `ports` (all addresses). */
  async listen(ports: number[]): Promise<void> {
    const script = `
      const net = require('node:net');
      let left = ${ports.length};
      for (const port of ${JSON.stringify(ports)}) {
        net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(port, '0.0.0.0', () => { if (--left === 0) console.log('ready'); });
      }
      setTimeout(() => process.exit(0), 600000).unref();
      process.stdin.on('end', () => process.exit(0)).resume();`;
    const child = spawn('ip', ['netns', 'exec', this.name, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#children.push(child);
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`listener in ${this.name} exited with ${code}: ${stderr}`)));
      child.once('error', reject);
    });
  }

  /** Stop the listeners, then delete the namespace (the veth pair goes with it). */
  async destroy(): Promise<void> {
    await Promise.all(
      this.#children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        return new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
      }),
    );
    spawnSync('ip', ['netns', 'delete', this.name], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'delete', this.hostVeth], { stdio: 'ignore' });
  }
}

/**
 * Compile the scanner to JavaScript in a temporary directory, for what vitest cannot run
 * from .ts sources: worker threads, and scans inside a namespace via `ip netns exec`.
 */
export function compileScanner(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'op-exposure-build-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const source = fileURLToPath(new URL('./port-scanner.ts', import.meta.url));
  const tsc = fileURLToPath(new URL('../../../../node_modules/typescript/bin/tsc', import.meta.url));
  const options = ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck'];
  const compiled = spawnSync(process.execPath, [tsc, '--ignoreConfig', source, '--outDir', dir, ...options], { encoding: 'utf8', timeout: 120_000 });
  if (compiled.status !== 0) {
    remove();
    throw new Error(`compiling the scanner failed: ${compiled.error?.message ?? ''}${compiled.stdout}${compiled.stderr}`);
  }
  return { dir, remove };
}
