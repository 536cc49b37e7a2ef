import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, requireTool, run } from './exposure-test-peers.js';
import { scanPorts } from './port-scanner.js';

// A lossy link, made exact: a namespace host whose firewall drops the first SYN to some
// ports (and every SYN to others). The scanner must send a silent probe again before it
// calls the port filtered, as nmap retransmits its SYN, and must stop after `retries`.

const tag = randomBytes(3).toString('hex');
const NAMESPACE = `op-scan-${tag}`;
const HOST_VETH = `op-scan-${tag}h`;
const INNER_VETH = `op-scan-${tag}n`;
const HOST_SIDE = '10.231.33.1';
const INSIDE = '10.231.33.2';
const LISTENING = [7001, 7011];
const ALWAYS_DROPPED = [7100, 7101, 7102];
// Well under the kernel's own first SYN retransmission (1 s), so only the scanner's retry
// can get a second SYN out.
const PORT_TIMEOUT_MS = 300;
let listener: ChildProcess | undefined;

const inside = (command: string, ...args: string[]) => run('ip', ['netns', 'exec', NAMESPACE, command, ...args]);

/** Drop the first SYN to `port` and let every later one through (nth counts per rule). */
function dropFirstSyn(port: number): void {
  inside('iptables', '-A', 'INPUT', '-p', 'tcp', '--syn', '--dport', String(port), '-m', 'statistic', '--mode', 'nth', '--every', '1000000', '--packet', '0', '-j', 'DROP');
}

/** SYNs to `port` dropped so far by the first-SYN rule (iptables' own packet counter). */
function droppedSyns(port: number): number {
  const rules = inside('iptables', '-L', 'INPUT', '-v', '-n', '-x');
  const line = rules.split('\n').find((row) => row.includes(`dpt:${port} `) || row.trimEnd().endsWith(`dpt:${port}`));
  return Number(line?.trim().split(/\s+/)[0] ?? NaN);
}

beforeAll(async () => {
  requireRoot();
  requireTool('ip', ['-V'], 'iproute2');
  requireTool('iptables', ['-V'], 'iptables');
  run('ip', ['netns', 'add', NAMESPACE]);
  run('ip', ['link', 'add', HOST_VETH, 'type', 'veth', 'peer', 'name', INNER_VETH]);
  run('ip', ['link', 'set', INNER_VETH, 'netns', NAMESPACE]);
  run('ip', ['addr', 'add', `${HOST_SIDE}/24`, 'dev', HOST_VETH]);
  run('ip', ['link', 'set', HOST_VETH, 'up']);
  inside('ip', 'addr', 'add', `${INSIDE}/24`, 'dev', INNER_VETH);
  inside('ip', 'link', 'set', INNER_VETH, 'up');
  inside('ip', 'link', 'set', 'lo', 'up');
  const script = `const net = require('node:net'); let left = ${LISTENING.length};
    for (const p of ${JSON.stringify(LISTENING)}) net.createServer((s) => s.destroy()).listen(p, '0.0.0.0', () => --left === 0 && console.log('ready'));
    process.stdin.on('end', () => process.exit(0)).resume();`;
  const child = spawn('ip', ['netns', 'exec', NAMESPACE, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  listener = child;
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`listener in ${NAMESPACE} exited with ${code}: ${stderr}`)));
    child.once('error', reject);
  });
  // The first connects wait for ARP; get that done before any SYN is counted.
  const warm = await scanPorts([INSIDE], LISTENING, {}, AbortSignal.timeout(10_000));
  expect(warm.hosts[0]!.open).toEqual(LISTENING);
});

afterAll(async () => {
  if (listener !== undefined && listener.exitCode === null && listener.signalCode === null) {
    const exited = new Promise((resolve) => listener!.once('exit', resolve));
    listener.kill('SIGKILL');
    await exited;
  }
  spawnSync('ip', ['netns', 'delete', NAMESPACE], { stdio: 'ignore' });
  spawnSync('ip', ['link', 'delete', HOST_VETH], { stdio: 'ignore' });
});

describe('retrying a probe that got no answer', () => {
  it('reads a port open or closed although its first SYN was dropped', async () => {
    // One open and one closed port per case, each behind its own first-SYN-dropping rule.
    const withoutRetry = [7001, 7002];
    const withRetry = [7011, 7012];
    for (const port of [...withoutRetry, ...withRetry]) dropFirstSyn(port);

    // The rule works: without a retry both ports read filtered...
    const plain = (await scanPorts([INSIDE], withoutRetry, { retries: 0, portTimeoutMs: PORT_TIMEOUT_MS }, AbortSignal.timeout(20_000))).hosts[0]!;
    expect(plain.filtered).toBe(2);
    expect(plain.open).toEqual([]);
    expect(plain.retried).toBe(0);

    // ...and with the default single retry the second SYN gets through.
    const retried = (await scanPorts([INSIDE], withRetry, { portTimeoutMs: PORT_TIMEOUT_MS }, AbortSignal.timeout(20_000))).hosts[0]!;
    expect(retried.open).toEqual([7011]);
    expect(retried.closedPorts).toEqual([7012]);
    expect(retried.filtered).toBe(0);
    expect(retried.retried).toBe(2);
    for (const port of [...withoutRetry, ...withRetry]) expect(droppedSyns(port), `SYNs dropped for port ${port}`).toBe(1);
  });

  it('gives up after `retries` more probes and calls a silent port filtered', async () => {
    for (const port of ALWAYS_DROPPED) inside('iptables', '-A', 'INPUT', '-p', 'tcp', '--syn', '--dport', String(port), '-j', 'DROP');
    const once = (await scanPorts([INSIDE], ALWAYS_DROPPED, { portTimeoutMs: PORT_TIMEOUT_MS }, AbortSignal.timeout(20_000))).hosts[0]!;
    expect(once.filteredPorts).toEqual(ALWAYS_DROPPED);
    expect(once.retried).toBe(ALWAYS_DROPPED.length);
    const thrice = (await scanPorts([INSIDE], ALWAYS_DROPPED, { retries: 3, portTimeoutMs: PORT_TIMEOUT_MS }, AbortSignal.timeout(20_000))).hosts[0]!;
    expect(thrice.filteredPorts).toEqual(ALWAYS_DROPPED);
    expect(thrice.retried).toBe(3 * ALWAYS_DROPPED.length);
  });
});
