import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileScanner, kernelListeners, randomLoopback, startListeners, type Listeners } from './exposure-test-peers.js';
import { parsePortList } from './port-list.js';
import { scanOptionProblem, scanPorts, type ScanOptions, type ScanProgress, type ScanResult } from './port-scanner.js';

const ALL_PORTS = (parsePortList('1-65535') as { value: number[] }).value;
const opened: Listeners[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((listeners) => listeners.close()));
});

async function listen(host: string, count: number): Promise<Listeners> {
  const listeners = await startListeners(host, count);
  opened.push(listeners);
  return listeners;
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

describe('scanPorts on loopback', () => {
  for (const portableSockets of [false, true]) {
    it(`finds exactly the listening ports in 1-65535 (${portableSockets ? 'net.Socket' : 'raw handles'})`, async () => {
      // A private loopback address: only our listeners and wildcard ones answer there.
      const address = randomLoopback();
      const listeners = await listen(address, 4);
      const before = kernelListeners(address);
      const result = await scanPorts([address], ALL_PORTS, { portableSockets }, AbortSignal.timeout(50_000));
      const after = kernelListeners(address);
      const host = result.hosts[0]!;
      expect(result.aborted).toBe(false);
      expect(result.done).toBe(65_535);
      for (const port of listeners.ports) expect(host.open).toContain(port);
      // Anything else open must be a wildcard listener the kernel lists both before and after.
      for (const port of host.open) expect(before.has(port) && after.has(port), `port ${port} reported open`).toBe(true);
      expect(host.open.length + host.closed + host.filtered + host.errors).toBe(65_535);
      expect(host.filtered).toBe(0);
      expect(host.errors).toBe(0);
    });
  }

  it('reports listeners open and their neighbours closed, with closed ports listed', async () => {
    const address = randomLoopback();
    const listeners = await listen(address, 3);
    const ports = [...new Set(listeners.ports.flatMap((port) => range(Math.max(1, port - 3), Math.min(65_535, port + 3))))].sort((a, b) => a - b);
    const wildcard = kernelListeners('0.0.0.0');
    const result = await scanPorts([address], ports, { concurrency: 4 }, AbortSignal.timeout(20_000));
    const host = result.hosts[0]!;
    expect(host.open.sort((a, b) => a - b)).toEqual(ports.filter((port) => listeners.ports.includes(port) || wildcard.has(port)));
    expect(host.closedPorts.sort((a, b) => a - b)).toEqual(ports.filter((port) => !host.open.includes(port)));
    expect(host.closed).toBe(ports.length - host.open.length);
  });

  it('honours abort promptly and reports the work done so far', async () => {
    const controller = new AbortController();
    const progress: ScanProgress[] = [];
    // 127.0.0.0/8 answers everything at once, so slow it down with a rate cap to abort mid-way.
    const scan = scanPorts([randomLoopback()], ALL_PORTS, { maxRate: 2_000 }, controller.signal, (p) => progress.push(p));
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const abortedAt = performance.now();
    controller.abort();
    const result = await scan;
    // Generous for a loaded machine: the full range at this rate would take over 30 s.
    expect(performance.now() - abortedAt).toBeLessThan(5_000);
    expect(result.aborted).toBe(true);
    expect(result.done).toBeGreaterThan(0);
    expect(result.done).toBeLessThan(65_535);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]!.total).toBe(65_535);
    expect(progress[0]!.done).toBeGreaterThan(0);
  });

  it('keeps to max_rate', async () => {
    const started = performance.now();
    const result = await scanPorts([randomLoopback()], range(20_000, 20_599), { maxRate: 1_000 }, AbortSignal.timeout(20_000));
    const seconds = (performance.now() - started) / 1000;
    expect(result.done).toBe(600);
    // 600 connects at 1000/s with a burst of 100 cannot finish in under 0.5 s.
    expect(seconds).toBeGreaterThan(0.45);
  });

  it('sends the first probe at once under a rate below one per second', async () => {
    // The bucket used to start with maxRate tokens: at 0.01/s the only probe waited 99 s.
    // The bound is the signal; nothing is timed.
    const result = await scanPorts([randomLoopback()], [20_000], { maxRate: 0.01 }, AbortSignal.timeout(20_000));
    expect(result.aborted).toBe(false);
    expect(result.done).toBe(1);
  });

  it('refuses options the engine cannot work with before probing anything', async () => {
    const bad: [ScanOptions, RegExp][] = [
      [{ maxRate: -5 }, /^scan option maxRate: expected a number above 0, got -5$/],
      [{ maxRate: Number.NaN }, /maxRate: .*got NaN$/],
      [{ concurrency: 0 }, /^scan option concurrency: expected a whole number from 1 to 16384, got 0$/],
      [{ concurrency: 1.5 }, /concurrency: .*got 1\.5$/],
      [{ portTimeoutMs: 5 }, /^scan option portTimeoutMs: expected a number from 10 to 60000, got 5$/],
      [{ retries: 16 }, /^scan option retries: expected a whole number from 0 to 15, got 16$/],
      [{ threads: 0 }, /threads: .*got 0$/],
      [{ maxListedPorts: -1 }, /^scan option maxListedPorts: expected a whole number 0 or more, got -1$/],
    ];
    for (const [options, message] of bad) {
      expect(scanOptionProblem(options), JSON.stringify(options)).toBeDefined();
      await expect(scanPorts(['127.0.0.1'], [1], options, AbortSignal.timeout(20_000))).rejects.toThrow(message);
    }
    expect(scanOptionProblem({ concurrency: 16_384, maxRate: 0.01, portTimeoutMs: 10, retries: 15, threads: 1, maxListedPorts: 0 })).toBeUndefined();
  });

  it('returns at once for an already aborted signal', async () => {
    const aborted = await scanPorts(['127.0.0.1'], [1, 2, 3], {}, AbortSignal.abort());
    expect(aborted.aborted).toBe(true);
    expect(aborted.done).toBe(0);
  });

  it('resolves a host name once and scans its address', async () => {
    // "localhost" comes from /etc/hosts: no DNS traffic leaves the machine.
    const listeners = await listen('127.0.0.1', 1);
    const result = await scanPorts(['localhost'], listeners.ports, {}, AbortSignal.timeout(20_000));
    const host = result.hosts[0]!;
    expect(host.target).toBe('localhost');
    expect(['127.0.0.1', '::1']).toContain(host.address);
    if (host.address === '127.0.0.1') expect(host.open).toEqual(listeners.ports);
  });

  it('scans IPv6 loopback', async () => {
    const listeners = await listen('::1', 2);
    const ports = [...listeners.ports, ...range(1, 5)];
    const result = await scanPorts(['::1'], ports, {}, AbortSignal.timeout(20_000));
    const host = result.hosts[0]!;
    expect(host.address).toBe('::1');
    expect(host.open.sort((a, b) => a - b)).toEqual(listeners.ports);
    expect(host.closed).toBe(5);
  });
});

describe('scanPorts on worker threads', () => {
  it('spreads a compiled scan over threads with the same result, and aborts them', async () => {
    // Workers load the compiled engine (.js); under vitest the sources are .ts, so compile.
    const build = compileScanner();
    const out = build.dir;
    try {
      const address = randomLoopback();
      const listeners = await listen(address, 3);
      writeFileSync(
        join(out, 'run.mjs'),
        `import { scanPorts } from './port-scanner.js';
        const ports = Array.from({ length: 65535 }, (_, i) => i + 1);
        const full = await scanPorts([${JSON.stringify(address)}], ports, { threads: 2 }, AbortSignal.timeout(50000));
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 700);
        const started = performance.now();
        const cut = await scanPorts([${JSON.stringify(address)}], ports, { threads: 2, maxRate: 2000 }, controller.signal);
        console.log(JSON.stringify({ full, cut, cutMs: performance.now() - started }));`,
      );
      const before = kernelListeners(address);
      const ran = spawnSync(process.execPath, [join(out, 'run.mjs')], { encoding: 'utf8', timeout: 55_000 });
      const after = kernelListeners(address);
      expect(ran.status, ran.stderr).toBe(0);
      const { full, cut, cutMs } = JSON.parse(ran.stdout) as { full: ScanResult; cut: ScanResult; cutMs: number };
      const host = full.hosts[0]!;
      expect(full.threads).toBe(2);
      expect(full.done).toBe(65_535);
      expect(host.open).toEqual([...host.open].sort((a, b) => a - b));
      for (const port of listeners.ports) expect(host.open).toContain(port);
      for (const port of host.open) expect(before.has(port) && after.has(port), `port ${port} reported open`).toBe(true);
      expect(host.open.length + host.closed).toBe(65_535);
      expect(cut.threads).toBe(2);
      expect(cut.aborted).toBe(true);
      expect(cut.done).toBeGreaterThan(0);
      expect(cut.done).toBeLessThan(65_535);
      expect(cutMs).toBeLessThan(5_000);
    } finally {
      build.remove();
    }
  });
});
