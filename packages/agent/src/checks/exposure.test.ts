import { afterEach, describe, expect, it } from 'vitest';
import type { CheckMemory } from './check.js';
import { exposureCheck, exposureSchema, type ExposureConfig } from './exposure.js';
import { randomLoopback, startListeners, type Listeners } from './exposure-test-peers.js';

const opened: Listeners[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((listeners) => listeners.close()));
});

async function listen(host: string, count: number | number[], greeting?: string | Buffer): Promise<Listeners> {
  const listeners = await startListeners(host, count, greeting);
  opened.push(listeners);
  return listeners;
}

function parse(raw: Record<string, unknown>): ExposureConfig {
  return exposureSchema.parse(raw);
}

function issues(raw: Record<string, unknown>): string {
  const result = exposureSchema.safeParse(raw);
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
}

function memory(): CheckMemory & { value: unknown } {
  return {
    value: undefined,
    get() {
      return this.value;
    },
    set(value: unknown) {
      this.value = value;
    },
  };
}

function transcriptOf(observation: { transcript?: Uint8Array }): Record<string, unknown> {
  expect(observation.transcript).toBeDefined();
  return JSON.parse(new TextDecoder().decode(observation.transcript)) as Record<string, unknown>;
}

const run = (config: ExposureConfig, signal = AbortSignal.timeout(30_000), mem?: CheckMemory) =>
  exposureCheck.run(config, { signal, timeoutMs: 30_000, ...(mem ? { memory: mem } : {}) });

describe('exposure config', () => {
  it('fills defaults', () => {
    const config = parse({ targets: '127.0.0.1' });
    expect(config.ports).toHaveLength(65_535);
    expect(config.must_open).toEqual([]);
    expect(config.may_open).toEqual([]);
    expect(config).toMatchObject({ concurrency: 512, port_timeout: 1_000, grab_banner: true, max_cidr_prefix: 16, hosts: ['127.0.0.1'] });
    expect(config.max_rate).toBeUndefined();
    expect(exposureCheck.describe(config)).toBe('127.0.0.1');
  });

  it('accepts lists, CIDRs and overlapping must_open/may_open', () => {
    const config = parse({ targets: ['10.231.0.0/30', 'db.lan'], ports: [22, '80-81'], must_open: 22, may_open: '22,80', port_timeout: '250ms' });
    expect(config.hosts).toEqual(['10.231.0.1', '10.231.0.2', 'db.lan']);
    expect(config.ports).toEqual([22, 80, 81]);
    expect(config.port_timeout).toBe(250);
  });

  it('rejects bad ports, ranges, wide CIDRs, must_open outside ports and unknown keys', () => {
    expect(issues({ targets: '127.0.0.1', ports: '70000' })).toMatch(/^ports: expected ports in 1-65535, got 70000/);
    expect(issues({ targets: '127.0.0.1', ports: '0-10' })).toMatch(/got 0/);
    expect(issues({ targets: '127.0.0.1', ports: '90-80' })).toMatch(/"90-80" ends before it starts/);
    expect(issues({ targets: '127.0.0.1', ports: '22,http' })).toMatch(/bad item "http"/);
    expect(issues({ targets: '10.0.0.0/15' })).toMatch(/^targets: CIDR 10.0.0.0\/15 is wider than the allowed \/16/);
    expect(parse({ targets: '10.0.0.0/15', max_cidr_prefix: 15, ports: '22' }).hosts).toHaveLength(131_070);
    expect(issues({ targets: '10.0.0.0/8', max_cidr_prefix: 8 })).toMatch(/^max_cidr_prefix: .*>=12/);
    expect(issues({ targets: '127.0.0.1', ports: '1-1024', must_open: '22,8080' })).toMatch(/^must_open: must_open ports 8080 are not in the scanned ports 1-1024/);
    expect(issues({ targets: '127.0.0.1', extra: 1 })).toMatch(/extra/);
    expect(issues({ targets: '300.1.1.1' })).toMatch(/got "300.1.1.1"/);
  });
});

describe('exposure policy on loopback', () => {
  it('flags an unexpected open port with its banner as evidence', async () => {
    const address = randomLoopback();
    const allowed = await listen(address, 1);
    const rogue = await listen(address, 1, Buffer.from('SSH-2.0-Rogue_1.0\r\n\x01\x7f"'));
    const config = parse({ targets: address, ports: [1, 2, 3, ...allowed.ports, ...rogue.ports], must_open: allowed.ports });
    const result = await run(config);
    expect(result.status).toBe('CRITICAL');
    expect(result.observation).toBe('violation');
    expect(result.message).toContain(`1 unexpected open: ${address}:${rogue.ports[0]}`);
    // The quote inside the banner is escaped, so the evidence reads unambiguously.
    expect(result.message).toContain('"SSH-2.0-Rogue_1.0\\r\\n\\x01\\x7f\\""');
    expect(result.metrics).toMatchObject({ open_ports: 2, closed_ports: 3, violations: 1, scanned_ports: 5 });
    expect(result.metrics.scan_ms).toBeGreaterThanOrEqual(0);
    expect(result.metrics.newly_open).toBeUndefined();
    const evidence = transcriptOf(result);
    expect(evidence.violations).toEqual([{ host: address, port: rogue.ports[0], state: 'open', banner: 'SSH-2.0-Rogue_1.0\\r\\n\\x01\\x7f\\"', service: 'ssh' }]);
    expect(evidence.missing).toEqual([]);
  });

  it('leaves the banner out when grab_banner is false or the port stays silent', async () => {
    const address = randomLoopback();
    const silent = await listen(address, 1);
    const chatty = await listen(address, 1, 'hello\n');
    const ports = [...silent.ports, ...chatty.ports];
    const withBanners = transcriptOf(await run(parse({ targets: address, ports })));
    expect(withBanners.violations).toEqual(
      [
        { host: address, port: silent.ports[0], state: 'open' },
        { host: address, port: chatty.ports[0], state: 'open', banner: 'hello\\n' },
      ].sort((a, b) => a.port! - b.port!),
    );
    const without = transcriptOf(await run(parse({ targets: address, ports, grab_banner: false })));
    expect((without.violations as object[]).every((finding) => !('banner' in finding))).toBe(true);
  });

  it('reports a must_open port that is not open as missing', async () => {
    const address = randomLoopback();
    const listeners = await listen(address, 1);
    const result = await run(parse({ targets: address, ports: [1, ...listeners.ports], must_open: [1, ...listeners.ports] }));
    expect(result.status).toBe('CRITICAL');
    expect(result.observation).toBe('missing');
    expect(result.message).toContain(`1 must be open but ${address}:1 closed`);
    expect(result.metrics).toMatchObject({ open_ports: 1, violations: 1 });
    expect(transcriptOf(result).missing).toEqual([{ host: address, port: 1, state: 'closed' }]);
  });

  it('is OK when only allowed ports are open, with no transcript', async () => {
    const address = randomLoopback();
    const listeners = await listen(address, 2);
    const result = await run(parse({ targets: address, ports: [1, 2, ...listeners.ports], must_open: listeners.ports[0], may_open: listeners.ports[1] }));
    expect(result).toMatchObject({ status: 'OK', observation: 'compliant' });
    expect(result.message).toContain('4 ports on 1 host');
    expect(result.metrics).toMatchObject({ open_ports: 2, violations: 0, scanned_ports: 4 });
    expect(result.transcript).toBeUndefined();
  });

  it('diffs against the previous scan kept in memory', async () => {
    const address = randomLoopback();
    const first = await listen(address, 3);
    const [kept, goes, comes] = first.ports as [number, number, number];
    const mem = memory();
    const config = parse({ targets: address, ports: first.ports, may_open: first.ports });
    await first.close();
    const before = await listen(address, [kept, goes]);
    const run1 = await run(config, undefined, mem);
    expect(run1.status).toBe('OK');
    expect(run1.metrics.newly_open).toBeUndefined();
    expect(mem.value).toEqual({ version: 1, hosts: { [address]: [kept, goes].sort((a, b) => a - b) } });

    await before.close();
    await listen(address, [kept, comes]);
    const run2 = await run(config, undefined, mem);
    expect(run2.status).toBe('OK');
    expect(run2.metrics).toMatchObject({ newly_open: 1, newly_closed: 1, open_ports: 2 });
    expect(run2.message).toContain(`newly open: ${address}:${comes}`);
    expect(run2.message).toContain(`newly closed: ${address}:${goes} closed`);
    const evidence = transcriptOf(run2);
    expect(evidence.newly_open).toEqual([{ host: address, port: comes, state: 'open' }]);
    expect(evidence.newly_closed).toEqual([{ host: address, port: goes, state: 'closed' }]);

    const run3 = await run(config, undefined, mem);
    expect(run3.metrics).toMatchObject({ newly_open: 0, newly_closed: 0 });
    expect(run3.transcript).toBeUndefined();
  });

  it('honours abort: UNKNOWN timeout with the work done, baseline untouched', async () => {
    const mem = memory();
    const controller = new AbortController();
    // Every port may be open: whatever other processes on this machine listen on 0.0.0.0
    // (which every 127.x address reaches) is no violation, so only the abort decides.
    const config = parse({ targets: randomLoopback(), ports: '1-65535', may_open: '1-65535', max_rate: 1_000 });
    const pending = run(config, controller.signal, mem);
    setTimeout(() => controller.abort(), 400);
    const started = performance.now();
    const result = await pending;
    // The whole range at this rate takes 65 s: well under that, the abort was honoured.
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(result).toMatchObject({ status: 'UNKNOWN', observation: 'timeout' });
    expect(result.message).toMatch(/scan stopped after \d+ of 65535 probes/);
    expect(result.metrics.scanned_ports).toBeGreaterThan(0);
    expect(result.metrics.scanned_ports).toBeLessThan(65_535);
    expect(mem.value).toBeUndefined();
  });

  it('still reports a violation found before the abort', async () => {
    const address = randomLoopback();
    const rogue = await listen(address, 1);
    const controller = new AbortController();
    // The rogue port comes first in the sorted list, so it is probed in the first milliseconds.
    const pending = run(parse({ targets: address, ports: `${rogue.ports[0]}-65535`, max_rate: 500 }), controller.signal);
    setTimeout(() => controller.abort(), 500);
    const result = await pending;
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'violation' });
    expect(result.message).toContain(`${address}:${rogue.ports[0]}`);
    expect(result.message).toMatch(/scan stopped after/);
    expect(transcriptOf(result).aborted).toBe(true);
  });
});
