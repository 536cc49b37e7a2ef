import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietly, run } from './support/host-commands.js';
import { BINS, freePort, runCli, type CliResult } from './support/processes.js';

/** Run a command to completion, killed after `timeoutMs` so a hang fails the test and leaves nothing behind. */
async function runWithin(timeoutMs: number, command: string, args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL' });
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('outpost-agent scan: numeric options are checked before anything starts', () => {
  // Each of these used to start a scan: -5 hung for ever, the rest ran with the value
  // ignored or crashed in the engine ("Invalid array length").
  const cases: [string[], RegExp][] = [
    [['--max-rate', '-5'], /^outpost-agent scan: --max-rate: expected connects per second, a number above 0, got -5\n$/],
    [['--max-rate', 'Infinity'], /^outpost-agent scan: --max-rate: .*got Infinity\n$/],
    [['--concurrency', '0'], /^outpost-agent scan: --concurrency: expected a whole number from 1 to 16384, got 0\n$/],
    [['--concurrency', '-1'], /^outpost-agent scan: --concurrency: .*got -1\n$/],
    [['--concurrency', '1.5'], /^outpost-agent scan: --concurrency: .*got 1\.5\n$/],
    [['--concurrency', 'abc'], /^outpost-agent scan: --concurrency: expected a whole number from 1 to 16384, got something that is not a number\n$/],
    [['--concurrency', '100000'], /^outpost-agent scan: --concurrency: .*got 100000\n$/],
    [['--port-timeout', '0'], /^outpost-agent scan: --port-timeout: expected a duration from 10ms to 1m such as 1s, got "0"\n$/],
    [['--port-timeout', '5m'], /^outpost-agent scan: --port-timeout: .*got "5m"\n$/],
    [['--max-cidr-prefix', 'abc'], /^outpost-agent scan: --max-cidr-prefix: expected a whole number from 12 to 32, got something that is not a number\n$/],
    [['--max-cidr-prefix', '4'], /^outpost-agent scan: --max-cidr-prefix: .*got 4\n$/],
  ];

  it('exits 2, as for a bad -p, naming the option and what it takes', { timeout: 150_000 }, async () => {
    const badPorts = await runCli('agent', ['scan', '127.0.0.1', '-p', '99999']);
    expect(badPorts.code).toBe(2);
    for (const [args, message] of cases) {
      // -5 used to hang for ever: 10 s is plenty for a usage error on a busy machine.
      const result = await runWithin(10_000, process.execPath, [BINS.agent, 'scan', '127.0.0.1', '-p', '80', ...args]);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: badPorts.code, stdout: '' });
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });
});

describe('outpost-agent scan --max-rate below one per second', () => {
  it('sends the first probe at once instead of waiting for a whole token', async () => {
    // At 0.01/s a bucket that started empty waited 99 s before the only probe; the 20 s
    // the command is given is the bound, nothing here is timed.
    const closed = await freePort();
    const result = await runWithin(20_000, process.execPath, [BINS.agent, 'scan', '127.0.0.1', '-p', String(closed), '--max-rate', '0.01', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { probes: { done: number; total: number }; hosts: { closed: number }[] };
    expect(report.probes).toEqual({ done: 1, total: 1 });
    expect(report.hosts[0]!.closed).toBe(1);
  });
});

describe('outpost-agent scan of a name that does not resolve (nmap as the oracle)', () => {
  // A namespace of our own whose resolver is 127.0.0.1 with nothing listening: the lookup
  // fails at once and no query leaves the machine (`ip netns exec` mounts
  // /etc/netns/NAME/resolv.conf over /etc/resolv.conf).
  const ns = `op-scn-${process.pid}`;
  const etc = `/etc/netns/${ns}`;

  beforeAll(() => {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    mkdirSync(etc, { recursive: true });
    writeFileSync(`${etc}/resolv.conf`, 'nameserver 127.0.0.1\n');
  });

  afterAll(() => {
    quietly('ip', ['netns', 'del', ns]);
    rmSync(etc, { recursive: true, force: true });
  });

  const inNamespace = (command: string, args: string[]) => runWithin(20_000, 'ip', ['netns', 'exec', ns, command, ...args]);

  it('counts no address scanned, warns, and exits as nmap does', async () => {
    const nmap = await inNamespace('nmap', ['-p', '80', 'nonexistent.invalid']);
    expect(nmap.stdout).toContain('Nmap done: 0 IP addresses');
    const ours = await inNamespace(process.execPath, [BINS.agent, 'scan', 'nonexistent.invalid', '-p', '80']);
    expect(ours.stdout).toContain('Failed to resolve "nonexistent.invalid"');
    expect(ours.stdout).toMatch(/^Outpost done: 0 IP addresses scanned in [\d.]+ seconds$/m);
    expect(ours.stderr).toContain('WARNING: no target resolved, so 0 hosts scanned.');
    expect(ours.code).toBe(nmap.code);
  });

  it('counts only the addresses that resolved in a mixed list', async () => {
    const nmap = await inNamespace('nmap', ['-p', '80', 'nonexistent.invalid', '127.0.0.1']);
    expect(nmap.stdout).toContain('Nmap done: 1 IP address');
    const ours = await inNamespace(process.execPath, [BINS.agent, 'scan', 'nonexistent.invalid,127.0.0.1', '-p', '80']);
    expect(ours.code).toBe(0);
    expect(ours.stdout).toContain('Outpost scan report for 127.0.0.1');
    expect(ours.stdout).toMatch(/^Outpost done: 1 IP address scanned in [\d.]+ seconds$/m);
    expect(ours.stderr).not.toContain('WARNING');
  });
});
