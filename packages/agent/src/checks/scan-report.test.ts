import { afterEach, describe, expect, it } from 'vitest';
import { randomLoopback, startListeners, type Listeners } from './exposure-test-peers.js';
import type { HostScan, ScanResult } from './port-scanner.js';
import { scanPorts } from './port-scanner.js';
import { renderScanReport, scanReportJson, serviceName } from './scan-report.js';

function host(partial: Partial<HostScan>): HostScan {
  return { target: '127.0.0.1', address: '127.0.0.1', open: [], closed: 0, filtered: 0, errors: 0, closedPorts: [], filteredPorts: [], selfConnects: 0, ...partial };
}

function result(hosts: HostScan[], partial: Partial<ScanResult> = {}): ScanResult {
  const ports = Array.from({ length: 65_535 }, (_, i) => i + 1);
  return { hosts, ports, total: 65_535 * hosts.length, done: 65_535 * hosts.length, startedAt: Date.UTC(2025, 0, 2, 3, 4), durationMs: 1_234, aborted: false, threads: 1, ...partial };
}

let listeners: Listeners | undefined;
afterEach(async () => {
  await listeners?.close();
  listeners = undefined;
});

describe('renderScanReport', () => {
  it('reads like nmap -sT', () => {
    const text = renderScanReport(result([host({ open: [28081, 22, 631], closed: 65_532, closedPorts: [1, 2, 3] })]));
    expect(text).toBe(
      [
        'Starting Outpost scan at 2025-01-02 03:04 UTC',
        '',
        'Outpost scan report for 127.0.0.1',
        'Not shown: 65532 closed tcp ports (conn-refused)',
        'PORT      STATE SERVICE',
        '22/tcp    open  ssh',
        '631/tcp   open  ipp',
        '28081/tcp open  unknown',
        'Outpost done: 1 IP address scanned in 1.23 seconds',
        '',
      ].join('\n'),
    );
  });

  it('lists a few filtered ports, hides many, names hosts and unresolved targets', () => {
    const text = renderScanReport(
      result(
        [
          host({ target: 'gw.lan', address: '10.231.88.2', open: [80], closed: 65_531, filtered: 3, filteredPorts: [9002, 9000, 9001] }),
          host({ target: '10.231.88.3', address: '10.231.88.3', filtered: 65_535, filteredPorts: [1, 2] }),
          host({ target: 'gone.lan', address: undefined, resolveError: 'ENOTFOUND' }),
        ],
        { durationMs: 14_000 },
      ),
    );
    expect(text).toContain('Outpost scan report for gw.lan (10.231.88.2)\nNot shown: 65531 closed tcp ports (conn-refused)\nPORT     STATE    SERVICE\n80/tcp   open     http\n9000/tcp filtered cslistener\n9001/tcp filtered unknown\n9002/tcp filtered unknown\n');
    expect(text).toContain('Not shown: 65535 filtered tcp ports (no-response)\nAll 65535 scanned ports on 10.231.88.3 are in ignored states.');
    expect(text).toContain('Failed to resolve "gone.lan" (ENOTFOUND).');
    // As nmap: the name that did not resolve was never scanned, so it is not counted.
    expect(text).toContain('Outpost done: 2 IP addresses scanned in 14.00 seconds');
  });

  it('says when a scan was aborted', () => {
    const text = renderScanReport(result([host({ closed: 100 })], { done: 100, aborted: true }));
    expect(text).toContain('Scan aborted after 100 of 65535 probes.');
    expect(text).not.toContain('ignored states');
  });

  it('renders a real scan and its JSON', async () => {
    const address = randomLoopback();
    listeners = await startListeners(address, 1);
    const scan = await scanPorts([address], [1, 2, listeners.ports[0]!], {}, AbortSignal.timeout(20_000));
    expect(renderScanReport(scan)).toMatch(new RegExp(`^${listeners.ports[0]}/tcp +open +unknown$`, 'm'));
    const json = scanReportJson(scan);
    expect(json).toMatchObject({
      scanner: 'outpost',
      aborted: false,
      ports: `1-2,${listeners.ports[0]}`,
      probes: { done: 3, total: 3 },
      hosts: [{ target: address, address, open: [{ port: listeners.ports[0], protocol: 'tcp', state: 'open', service: 'unknown' }], closed: 2, filtered: 0, errors: 0, filtered_ports: '' }],
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('knows common service names', () => {
    expect([22, 80, 443, 3306, 5432, 41121, 65000].map(serviceName)).toEqual(['ssh', 'http', 'https', 'mysql', 'postgresql', 'tentacle', 'unknown']);
  });
});
