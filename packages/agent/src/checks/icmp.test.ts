import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckContext } from './check.js';
import { findFping, icmpCheck, icmpSchema, sweepIcmp } from './icmp.js';
import { createIcmpLab, type IcmpLab } from './icmp-test-netns.js';

const context = (timeoutMs = 30_000): CheckContext => ({ signal: AbortSignal.timeout(timeoutMs), timeoutMs });
const check = (config: Record<string, unknown>, ctx = context()) => icmpCheck.run(icmpSchema.parse(config), ctx);
const problems = (config: Record<string, unknown>) => {
  const parsed = icmpSchema.safeParse(config);
  return parsed.success ? '' : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
};
const quick = { count: 2, ping_interval: '50ms', ping_timeout: '300ms' };

/** Pids of fping processes whose parent is this test process. */
async function fpingChildren(): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid ...
      const match = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
      if (match?.[1] === 'fping' && Number(match[2]) === process.pid) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

beforeAll(async () => {
  if ((await findFping()) === undefined) throw new Error('fping not found: install the Debian package fping');
});

describe('icmp schema', () => {
  it('applies defaults and accepts one host', () => {
    const config = icmpSchema.parse({ host: '127.0.0.1' });
    expect(config).toMatchObject({ hosts: ['127.0.0.1'], count: 3, ping_interval: 200, ping_timeout: 500, loss_critical_pct: 100 });
    expect(icmpCheck.describe(icmpSchema.parse({ hosts: ['127.0.0.1', '127.0.0.2', '127.0.0.3'] }))).toBe('127.0.0.1 +2 hosts');
  });

  it('refuses both or neither of host/hosts, options as hosts and inverted thresholds', () => {
    expect(problems({})).toMatch(/expected exactly one of "host" or "hosts", got neither/);
    expect(problems({ host: 'a', hosts: ['b'] })).toMatch(/got both/);
    expect(problems({ host: '-f/etc/passwd' })).toMatch(/expected a host name or IP address, got "-f\/etc\/passwd"/);
    expect(problems({ host: '127.0.0.1', rtt_warning_ms: 50, rtt_critical_ms: 10 })).toMatch(/rtt_warning_ms \(50\) at or below rtt_critical_ms \(10\)/);
    expect(problems({ host: '127.0.0.1', ping_interval: '1ms' })).toMatch(/between 10ms/);
    expect(problems({ host: '127.0.0.1', interval: '1s' })).toMatch(/interval/);
  });
});

describe('icmp against loopback', () => {
  it('finds fping and reports one live host with RTT metrics', async () => {
    expect(await findFping()).toMatch(/\/fping$/);
    const seen = await check({ host: '127.0.0.1', count: 3, ping_interval: '50ms' });
    expect(seen).toMatchObject({ status: 'OK', observation: 'up' });
    expect(seen.message).toMatch(/^127\.0\.0\.1 up: 3\/3 replies, rtt min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ ms$/);
    const { rtt_min_ms: min, rtt_avg_ms: avg, rtt_max_ms: max, loss_pct: loss } = seen.metrics;
    expect(loss).toBe(0);
    expect(min).toBeGreaterThan(0);
    expect(min!).toBeLessThanOrEqual(avg!);
    expect(avg!).toBeLessThanOrEqual(max!);
  });

  it('sweeps several loopback addresses and counts them', async () => {
    const seen = await check({ hosts: ['127.0.0.1', '127.0.0.2', '127.0.0.3'], ...quick });
    expect(seen.status).toBe('OK');
    expect(seen.metrics).toMatchObject({ hosts_up: 3, hosts_down: 0, loss_pct: 0 });
    expect(seen.metrics.rtt_max_ms).toBeGreaterThan(0);
    expect(seen.message).toMatch(/^3 of 3 hosts up; worst loss 0%/);
  });

  it('turns WARNING and CRITICAL on RTT thresholds', async () => {
    const warn = await check({ host: '127.0.0.1', rtt_warning_ms: 0.000001, ...quick });
    expect(warn).toMatchObject({ status: 'WARNING', observation: 'slow' });
    expect(warn.message).toMatch(/127\.0\.0\.1 slow: avg rtt [\d.]+ ms above warning 0\.000001 ms/);
    expect(warn.metrics.rtt_avg_ms).toBeGreaterThan(0);
    const crit = await check({ hosts: ['127.0.0.1', '127.0.0.2'], rtt_warning_ms: 0.000001, rtt_critical_ms: 0.000002, ...quick });
    expect(crit).toMatchObject({ status: 'CRITICAL', observation: 'slow' });
    expect(crit.message).toMatch(/slow: 127\.0\.0\.1, 127\.0\.0\.2/);
  });

  it('reports a name that does not resolve as not_found and still pings the rest', async () => {
    // A scoped IPv6 literal with an unknown interface fails inside getaddrinfo (EAI_NONAME)
    // without any DNS query leaving the machine.
    const missing = 'fe80::1%op-icmp-nosuch';
    const sweep = await sweepIcmp(['127.0.0.1', missing], { count: 1, pingTimeoutMs: 300 });
    expect(sweep.outcome).toBe('done');
    if (sweep.outcome !== 'done') return;
    expect(sweep.exitCode).toBe(2);
    expect(sweep.hosts.map((h) => [h.host, h.resolved, h.received])).toEqual([['127.0.0.1', true, 1], [missing, false, 0]]);
    const seen = await check({ hosts: ['127.0.0.1', missing], ...quick });
    expect(seen).toMatchObject({ status: 'UNKNOWN', observation: 'not_found' });
    expect(seen.message).toContain(`not found: ${missing}`);
    expect(seen.metrics).toMatchObject({ hosts_up: 1, hosts_down: 1 });
  });

  it('kills fping promptly when the signal aborts', async () => {
    const controller = new AbortController();
    const config = icmpSchema.parse({ host: '127.0.0.1', count: 100, ping_interval: '1s' });
    const pending = icmpCheck.run(config, { signal: controller.signal, timeoutMs: 1_000 });
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      pids = await fpingChildren();
    }
    expect(pids).toHaveLength(1);
    controller.abort();
    const seen = await pending;
    expect(seen).toMatchObject({ status: 'UNKNOWN', observation: 'timeout' });
    expect(seen.message).toMatch(/fping did not finish within 1000 ms for 127\.0\.0\.1 \(needs about 99500 ms/);
    // The run resolves only after the child has been reaped.
    expect(await fpingChildren()).toEqual([]);
  });

  it('says which package to install when fping is missing', async () => {
    const sweep = await sweepIcmp(['127.0.0.1'], { fpingPath: '/nonexistent/op-icmp/fping' });
    expect(sweep).toMatchObject({ outcome: 'missing_tool' });
    expect(sweep.outcome !== 'done' && sweep.detail).toMatch(/install the Debian package fping/);
  });

  it('reports a missing CAP_NET_RAW as permission_denied', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'op-icmp-'));
    try {
      await chmod(dir, 0o755);
      // A plain copy drops the file capability; setpriv drops root.
      const bare = join(dir, 'fping');
      await copyFile((await findFping())!, bare);
      const wrapper = join(dir, 'fping-unprivileged');
      await writeFile(wrapper, `#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups ${bare} "$@"\n`, { mode: 0o755 });
      execFileSync('setpriv', ['--version']);
      const sweep = await sweepIcmp(['127.0.0.1'], { count: 1, fpingPath: wrapper });
      expect(sweep.outcome).toBe('permission_denied');
      expect(sweep.outcome !== 'done' && sweep.detail).toMatch(/needs root or CAP_NET_RAW/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('icmp through a network namespace', () => {
  let lab: IcmpLab | undefined;
  const need = () => {
    if (!lab) throw new Error('namespace lab was not created (see beforeAll error)');
    return lab;
  };

  beforeAll(() => {
    lab = createIcmpLab();
  });
  afterAll(() => {
    lab?.destroy();
  });

  it('sees the host inside the namespace and an empty address as down', async () => {
    const { peerAddress, absentAddress } = need();
    const up = await check({ host: peerAddress, ...quick });
    expect(up).toMatchObject({ status: 'OK', observation: 'up', metrics: { loss_pct: 0 } });
    const down = await check({ host: absentAddress, ...quick });
    expect(down).toMatchObject({ status: 'CRITICAL', observation: 'down', metrics: { loss_pct: 100 } });
    expect(down.metrics.rtt_avg_ms).toBeUndefined();
    expect(down.message).toBe(`${absentAddress} down: 0/2 replies (100% loss)`);
    const both = await check({ hosts: [peerAddress, absentAddress], ...quick });
    expect(both).toMatchObject({ status: 'CRITICAL', observation: 'down', metrics: { hosts_up: 1, hosts_down: 1, loss_pct: 100 } });
    expect(both.message).toMatch(new RegExp(`^1 of 2 hosts up; down: ${absentAddress.replaceAll('.', '\\.')};`));
  });

  it('goes CRITICAL when ICMP is dropped inside the namespace', async () => {
    const { peerAddress, exec } = need();
    exec('iptables', '-A', 'INPUT', '-p', 'icmp', '-j', 'DROP');
    try {
      const seen = await check({ host: peerAddress, ...quick });
      expect(seen).toMatchObject({ status: 'CRITICAL', observation: 'down', metrics: { loss_pct: 100 } });
    } finally {
      exec('iptables', '-F', 'INPUT');
    }
    expect((await check({ host: peerAddress, ...quick })).status).toBe('OK');
  });

  it('warns on partial loss', async () => {
    const { peerAddress, exec } = need();
    // Every second echo request is dropped: exactly half of an even count is lost.
    exec('iptables', '-A', 'INPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-m', 'statistic', '--mode', 'nth', '--every', '2', '--packet', '0', '-j', 'DROP');
    try {
      const seen = await check({ host: peerAddress, count: 4, ping_interval: '50ms', ping_timeout: '300ms', loss_warning_pct: 25 });
      expect(seen).toMatchObject({ status: 'WARNING', observation: 'loss', metrics: { loss_pct: 50 } });
      expect(seen.message).toMatch(/losing packets: 2\/4 replies \(50% loss\)/);
    } finally {
      exec('iptables', '-F', 'INPUT');
    }
  });

  it('goes CRITICAL when the link inside the namespace is down', async () => {
    const { peerAddress, innerLink, exec } = need();
    exec('ip', 'link', 'set', 'dev', innerLink, 'down');
    try {
      const seen = await check({ host: peerAddress, ...quick });
      expect(seen).toMatchObject({ status: 'CRITICAL', observation: 'down', metrics: { loss_pct: 100 } });
    } finally {
      exec('ip', 'link', 'set', 'dev', innerLink, 'up');
    }
  });
});
