import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposureCheck, exposureSchema } from './exposure.js';
import { compileScanner, requireRoot, requireTool, run, TestNamespace } from './exposure-test-peers.js';
import { parsePortList } from './port-list.js';
import { scanPorts } from './port-scanner.js';
import { renderScanReport } from './scan-report.js';

// A real host behind a veth pair: a namespace with listeners on known ports, compared
// against nmap as an oracle, then firewalled so some ports stop answering.

const HOST_SIDE = '10.231.88.1';
const INSIDE = '10.231.88.2';
const LISTENING = [22, 80, 8080, 28081];
const ALL_PORTS = (parsePortList('-') as { value: number[] }).value;
const DROPPED = { first: 9000, last: 9100 };
const ns = new TestNamespace(HOST_SIDE, INSIDE);

/** Ports nmap reports in `state` from its XML output, listed or folded into extraports. */
function nmapPorts(ports: string, state: string): number[] {
  const xml = run('nmap', ['-sT', '-Pn', '-n', '-p', ports, INSIDE, '-oX', '-']);
  const found: number[] = [];
  for (const match of xml.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="([a-z|]+)"/g)) {
    if (match[2] === state) found.push(Number(match[1]));
  }
  for (const match of xml.matchAll(/<extraports state="([a-z|]+)"[^>]*>((?:\s*<extrareasons[^>]*\/>)*)/g)) {
    if (match[1] !== state) continue;
    for (const reason of match[2]!.matchAll(/ports="([^"]+)"/g)) found.push(...(parsePortList(reason[1]!) as { value: number[] }).value);
  }
  return found.sort((a, b) => a - b);
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

beforeAll(async () => {
  requireRoot();
  requireTool('ip', ['-V'], 'iproute2');
  requireTool('iptables', ['-V'], 'iptables');
  requireTool('nmap', ['-V'], 'nmap');
  ns.create();
  await ns.listen(LISTENING);
});

afterAll(async () => {
  await ns.destroy();
});

describe('scanning a namespace host', () => {
  it('finds exactly the listening ports among 1-65535, as nmap does', async () => {
    const result = await scanPorts([INSIDE], ALL_PORTS, {}, AbortSignal.timeout(55_000));
    const host = result.hosts[0]!;
    expect(result.aborted).toBe(false);
    expect([...host.open].sort((a, b) => a - b)).toEqual(LISTENING);
    expect(host.closed).toBe(65_535 - LISTENING.length);
    expect(host.filtered).toBe(0);
    expect(host.errors).toBe(0);
    expect(nmapPorts('1-65535', 'open')).toEqual([...host.open].sort((a, b) => a - b));
    expect(renderScanReport(result)).toContain(`Not shown: ${65_535 - LISTENING.length} closed tcp ports (conn-refused)`);
  });

  it('holds the host to a policy: unexpected ports are violations', async () => {
    const config = exposureSchema.parse({ targets: `${INSIDE}/32`, must_open: '22', may_open: '80' });
    const result = await exposureCheck.run(config, { signal: AbortSignal.timeout(55_000), timeoutMs: 55_000 });
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'violation' });
    expect(result.message).toContain(`2 unexpected open: ${INSIDE}:8080 http-proxy, ${INSIDE}:28081`);
    expect(result.metrics).toMatchObject({ open_ports: 4, violations: 2, scanned_ports: 65_535, filtered_ports: 0 });
  });

  it('reports dropped ports as filtered and the rest as closed', async () => {
    ns.exec('iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', `${DROPPED.first}:${DROPPED.last}`, '-j', 'DROP']);
    const result = await scanPorts([INSIDE], ALL_PORTS, { portTimeoutMs: 1_000 }, AbortSignal.timeout(55_000));
    const host = result.hosts[0]!;
    const dropped = range(DROPPED.first, DROPPED.last);
    expect([...host.open].sort((a, b) => a - b)).toEqual(LISTENING);
    expect([...host.filteredPorts].sort((a, b) => a - b)).toEqual(dropped);
    expect(host.filtered).toBe(dropped.length);
    expect(host.closed).toBe(65_535 - LISTENING.length - dropped.length);
    // nmap agrees on the firewalled stretch and a margin of closed ports around it.
    const window = `${DROPPED.first - 10}-${DROPPED.last + 10}`;
    expect(nmapPorts(window, 'filtered')).toEqual(dropped);
    const report = renderScanReport(result);
    expect(report).toContain(`${dropped.length} filtered tcp ports (no-response)`);
    expect(report).toMatch(/^22\/tcp +open +ssh$/m);
  });
});

describe('the loopback self-connect guard', () => {
  it('never reports a self-connect on free ephemeral ports as open', () => {
    // Inside the namespace nothing listens on the ephemeral range, so any "open" is a lie.
    // A connect to a free ephemeral port of 127.0.0.1 can pick that port as its own source
    // and succeed by connecting to itself; this kernel does so about once per sweep.
    const build = compileScanner();
    try {
      const [low, high] = ns.exec('cat', ['/proc/sys/net/ipv4/ip_local_port_range']).trim().split(/\s+/).map(Number);
      expect(LISTENING.every((port) => port < low! || port > high!)).toBe(true);
      writeFileSync(
        join(build.dir, 'self-connect.mjs'),
        `import { scanPorts } from './port-scanner.js';
        const ports = Array.from({ length: ${high! - low! + 1} }, (_, i) => ${low} + i);
        const open = [];
        let selfConnects = 0;
        for (let round = 0; round < 20 && selfConnects < 3; round++) {
          const result = await scanPorts(['127.0.0.1'], ports, { threads: 1 }, AbortSignal.timeout(20000));
          open.push(...result.hosts[0].open);
          selfConnects += result.hosts[0].selfConnects;
        }
        console.log(JSON.stringify({ open, selfConnects }));`,
      );
      const { open, selfConnects } = JSON.parse(ns.exec(process.execPath, [join(build.dir, 'self-connect.mjs')])) as { open: number[]; selfConnects: number };
      expect(open).toEqual([]);
      // The guard was exercised, not idle.
      expect(selfConnects).toBeGreaterThan(0);
    } finally {
      build.remove();
    }
  });
});
