import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTool } from '../bench/lib/tools.js';

// The benchmarks are not tests (they assert no timings); this runs each at smoke size so a
// change to the scanner, the tcp check or the peers' output cannot silently break them.

const ROOT = resolve(import.meta.dirname, '..');
const resultsDir = mkdtempSync(join(tmpdir(), 'op-bench-smoke-'));

interface BenchRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a bench script under tsx; `onStderr` may interrupt it. Killed after 90 s regardless. */
function runBench(script: string, args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<BenchRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr, child);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

function namespaces(): string {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
}

function namespaceOf(stderr: string): string {
  const match = /namespace (op-bench-[0-9a-f]+)/.exec(stderr);
  expect(match, `no namespace line in:\n${stderr}`).not.toBeNull();
  return match![1]!;
}

function resultsFile(name: string): { rows: { scenario: string; outpost: number; peer: number }[]; details: Record<string, Record<string, unknown>> } {
  const files = readdirSync(resultsDir).filter((file) => file.startsWith(`${name}-`) && file.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(resultsDir, files[0]!), 'utf8'));
}

afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

describe('bench smoke (--tiny)', () => {
  it('needs its peers: nmap, check_tcp, ip, iptables', () => {
    // Each throws "install the Debian package X" when missing.
    requireTool('nmap', 'nmap');
    requireTool('/usr/lib/nagios/plugins/check_tcp', 'monitoring-plugins-basic');
    requireTool('ip', 'iproute2', ['-V']);
    requireTool('iptables', 'iptables');
  });

  it('scan.ts: Outpost and nmap agree on open and filtered sets, table and JSON written, namespace removed', async () => {
    const run = await runBench('scan.ts', ['--tiny', '--results-dir', resultsDir]);
    expect(run.code, `scan.ts failed:\n${run.stderr}`).toBe(0);
    expect(run.stderr).not.toContain('MISMATCH');
    for (const scenario of ['full scan vs nmap -sT', 'full scan vs nmap -sS', 'firewalled vs nmap -sT']) expect(run.stdout).toContain(scenario);
    const results = resultsFile('scan');
    for (const row of results.rows) {
      expect(row.outpost, row.scenario).toBeGreaterThan(0);
      expect(row.peer, row.scenario).toBeGreaterThan(0);
    }
    expect(results.details['full']?.['open']).toEqual(expect.arrayContaining([22, 80, 443, 8080, 20001, 28081]));
    expect(results.details['firewalled']?.['filtered']).toBe(50);
    expect(namespaces()).not.toContain(namespaceOf(run.stderr));
  });

  it('scan.ts: Ctrl-C removes the namespace', async () => {
    let interrupted = false;
    const run = await runBench('scan.ts', ['--tiny', '--results-dir', resultsDir], (stderr, child) => {
      if (!interrupted && stderr.includes('full scan')) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(interrupted, `never reached the scan:\n${run.stderr}`).toBe(true);
    expect(run.code).toBe(130);
    expect(namespaces()).not.toContain(namespaceOf(run.stderr));
  });

  it('checks.ts: Outpost tcp checks and check_tcp all OK, table and JSON written', async () => {
    const run = await runBench('checks.ts', ['--tiny', '--results-dir', resultsDir]);
    expect(run.code, `checks.ts failed:\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('TCP connect checks');
    expect(run.stdout).toContain('TCP send/expect checks');
    const results = resultsFile('checks');
    expect(results.rows).toHaveLength(2);
    for (const row of results.rows) {
      expect(row.outpost, row.scenario).toBeGreaterThan(0);
      expect(row.peer, row.scenario).toBeGreaterThan(0);
    }
    for (const measured of Object.values(results.details['results'] as Record<string, { failures: object }>)) expect(measured.failures).toEqual({});
  });

  it('outbox.ts: Outpost outbox and raw better-sqlite3 both insert and drain, table and JSON written', async () => {
    const run = await runBench('outbox.ts', ['--tiny', '--results-dir', resultsDir]);
    expect(run.code, `outbox.ts failed:\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('outbox insert');
    expect(run.stdout).toContain('outbox drain');
    expect(readdirSync(resultsDir).some((file) => file.startsWith('outbox-'))).toBe(true);
  });

  it('drain.ts: a backlog drains through real agent and collector processes, every result once', async () => {
    const run = await runBench('drain.ts', ['--tiny', '--results-dir', resultsDir]);
    expect(run.code, `drain.ts failed:\n${run.stderr}\n${run.stdout}`).toBe(0);
    expect(run.stdout).toMatch(/counts: collector 20,000 rows, 0 duplicates; outbox 0 left/);
  });

  it('icmp.ts: sweepIcmp and fping -i0 both see all 16 loopback hosts, table and JSON written', async () => {
    requireTool('fping', 'fping', ['--version']);
    const run = await runBench('icmp.ts', ['--tiny', '--results-dir', resultsDir]);
    expect(run.code, `icmp.ts failed:\n${run.stderr}`).toBe(0);
    expect(run.stderr).not.toContain('MISMATCH');
    expect(run.stdout).toContain('ICMP sweep of 16 hosts: sweepIcmp');
    const results = resultsFile('icmp');
    expect(results.rows).toHaveLength(3);
    for (const row of results.rows) {
      expect(row.outpost, row.scenario).toBeGreaterThan(0);
      expect(row.peer, row.scenario).toBeGreaterThan(0);
    }
    // Warm-up excluded: 3 timed rounds per tool, each with every host alive.
    for (const alive of Object.values(results.details['alive'] as Record<string, number[]>)) expect(alive).toEqual([16, 16, 16]);
  });

  it('ingest.ts: signed batches over wss all stored once at a real collector, ceilings measured', async () => {
    const run = await runBench('ingest.ts', ['--tiny', '--results-dir', resultsDir]);
    expect(run.code, `ingest.ts failed:\n${run.stderr}\n${run.stdout}`).toBe(0);
    expect(run.stdout).toContain('collector ingest over wss');
    const results = resultsFile('ingest');
    expect(results.rows.map((row) => row.scenario)).toEqual(['collector ingest over wss (verify + dedup + store + ack)', 'decodeFrame + openBatch alone (in-process ceiling)']);
    for (const row of results.rows) {
      expect(row.outpost, row.scenario).toBeGreaterThan(0);
      expect(row.peer, row.scenario).toBeGreaterThan(0);
    }
    expect(results.details['acks']).toMatchObject({ stored: 20_000, duplicates: 0 });
    expect(results.details['collectorRows']).toBe(20_000);
  });

  it('footprint.ts: 100 checks reach the collector with the right statuses, RSS and CPU sampled', async () => {
    const run = await runBench('footprint.ts', ['--tiny', '--results-dir', resultsDir]);
    expect(run.code, `footprint.ts failed:\n${run.stderr}\n${run.stdout}`).toBe(0);
    expect(run.stdout).toContain('agent RSS max (100 checks)');
    const results = resultsFile('footprint');
    // Ports round-robin over 4 listeners then 4 refused ports: 52 of checks 0..99 hit a listener.
    expect(results.details['collector']).toMatchObject({ checks: 100, ok: 52, critical: 48 });
    const measured = results.details['measured'] as { samples: unknown[]; rssMaxMB: number };
    expect(measured.samples).toHaveLength(5);
    expect(measured.rssMaxMB).toBeGreaterThan(10);
  });

  it('footprint.ts: Ctrl-C kills the agent and collector and removes the deployment directory', async () => {
    let interrupted = false;
    const run = await runBench('footprint.ts', ['--tiny', '--results-dir', resultsDir], (stderr, child) => {
      if (!interrupted && stderr.includes('sampling agent pid')) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(interrupted, `never reached sampling:\n${run.stderr}`).toBe(true);
    expect(run.code).toBe(130);
    const dir = /files in (\S+)/.exec(run.stderr)?.[1];
    const pid = Number(/sampling agent pid (\d+)/.exec(run.stderr)?.[1]);
    expect(dir).toMatch(/^\//);
    expect(readdirSync(tmpdir())).not.toContain(dir!.split('/').pop());
    // SIGKILL is delivered before exit; give the kernel a moment to reap the child.
    const alive = () => readdirSync('/proc').includes(String(pid));
    for (let i = 0; i < 20 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  });
});
