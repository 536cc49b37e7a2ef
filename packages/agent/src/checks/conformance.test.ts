/**
 * The one suite every check type passes, the way every libp2p transport passes the same
 * compliance tests: a working target gives OK with its metrics, a dead one gives a failure
 * as data (never a rejection), a silent one is given up promptly when the signal aborts,
 * and an already-aborted signal returns at once. Every run emits only the metrics the type
 * declares (`metrics(config)`, what `warning`/`critical` may name), and every declared
 * metric is emitted by some run here. Peers are real, on loopback.
 */
import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckMemory, CheckType, Observation } from './check.js';
import { CHECK_TYPES } from './index.js';
import { startDnsTestServer, type DnsTestServer } from './dns-test-server.js';
import { startSnmpd, type TestSnmpd } from './snmp-test-snmpd.js';
import { daysFromNow, mintTestCert } from './tls-test-cert.js';
import { startScriptedServer } from './tcp-test-server.js';
import { closedUdpPort, echo, silent, startUdpPeer, type UdpTestPeer } from './udp-test-peers.js';

/** A working config run beside `ok`, for metrics only some configs or runs emit. */
interface Variant {
  config: Record<string, unknown>;
  /** What the check remembers from an earlier run (exposure's baseline). */
  memory?: CheckMemory;
  /** The check's timeout; short where the metric comes from giving up. */
  timeoutMs?: number;
}

interface Fixture {
  /** Config (as written in YAML) for a target that works. */
  ok: Record<string, unknown>;
  /** Metrics an OK run must carry. */
  metrics: string[];
  /** A target that refuses or is absent. */
  dead: Record<string, unknown>;
  /** A target that never answers, so only the abort ends the run. */
  silent: Record<string, unknown>;
  variants?: Variant[];
  /** Declared metrics that no run here emits, with the reason. */
  unexercised?: Record<string, string>;
}

const closers: (() => Promise<void> | void)[] = [];
const fixtures = new Map<string, Fixture>();

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

async function closedTcpPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  // A TCP server that accepts and says nothing, and one that greets.
  const held = new Set<import('node:net').Socket>();
  const mute = await listen(createTcpServer((socket) => (held.add(socket), socket.on('error', () => {}))));
  closers.push(() => held.forEach((s) => s.destroy()));
  const greeter = await listen(createTcpServer((socket) => socket.on('error', () => {}).end('hello outpost\r\n')));
  const closed = await closedTcpPort();
  const httpServer = createHttpServer((_req, res) => res.end('ok'));
  httpServer.on('clientError', (_err, socket) => socket.destroy());
  const http = await listen(httpServer);
  const cert = await mintTestCert({ commonName: 'conformance', notAfter: daysFromNow(60) });
  const tlsServer = createTlsServer({ key: cert.keyPem, cert: cert.certPem }, (socket) => socket.on('error', () => {}).end());
  tlsServer.on('tlsClientError', () => {});
  const tls = await listen(tlsServer);
  const udpEcho: UdpTestPeer = await startUdpPeer(echo);
  const udpSilent: UdpTestPeer = await startUdpPeer(silent);
  closers.push(() => udpEcho.close(), () => udpSilent.close());
  const udpClosed = await closedUdpPort();
  const dns: DnsTestServer = await startDnsTestServer();
  closers.push(() => dns.close());
  const snmpd: TestSnmpd = await startSnmpd({ community: 'conformance', sysDescr: 'outpost conformance', sysServices: 72 });
  closers.push(() => snmpd.stop());
  // For the variants: a STARTTLS conversation, HTTPS, and a DNS server whose replies never match.
  const smtp = await startScriptedServer({ script: [{ send: '220 ready\r\n' }, { expect: /STARTTLS\r\n/ }, { send: '220 go ahead\r\n' }, { starttls: true }], tls: cert });
  closers.push(() => smtp.close());
  const httpsServer = createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => res.end('ok'));
  httpsServer.on('tlsClientError', () => {});
  const https = await listen(httpsServer);
  const wrongDns: DnsTestServer = await startDnsTestServer({ onlyWrong: 'id' });
  closers.push(() => wrongDns.close());
  const baseline = (ports: number[]): CheckMemory => ({ get: () => ({ version: 1, hosts: { '127.0.0.1': ports } }), set: () => {} });

  const at = (port: number) => `127.0.0.1:${port}`;
  fixtures.set('tcp', {
    ok: { target: at(greeter) },
    metrics: ['connect_ms'],
    dead: { target: at(closed) },
    silent: { target: at(mute), steps: [{ expect: 'never' }] },
    variants: [{ config: { target: smtp.target, steps: [{ expect: '^220 ready' }, { send: 'STARTTLS\\r\\n' }, { expect: '^220 go' }, { starttls: true }] } }],
  });
  fixtures.set('udp', {
    ok: { target: at(udpEcho.port), send: 'ping', expect: '^ping$' },
    metrics: ['rtt_ms'],
    dead: { target: at(udpClosed), send: 'ping', expect: 'x' },
    silent: { target: at(udpSilent.port), send: 'ping', expect: 'x', step_timeout: '10m' },
    variants: [
      { config: { target: at(udpEcho.port), steps: [{ send: 'a' }, { expect: '^a$' }, { send: 'b' }, { expect: '^b$' }] } },
      { config: { target: at(udpSilent.port), send: 'ping', expect_no_reply: true, step_timeout: '100ms' } },
    ],
    unexercised: { dropped_datagrams: 'needs a peer that outruns the reader past the queue limit, which no loopback run does on cue' },
  });
  fixtures.set('icmp', {
    ok: { host: '127.0.0.1', count: 1 },
    metrics: ['rtt_avg_ms', 'loss_pct'],
    // A scoped link-local name on an interface that does not exist fails inside the resolver, sending nothing.
    dead: { host: 'fe80::1%op-conformance-none', count: 1 },
    silent: { host: '127.0.0.1', count: 100, ping_interval: '1s' },
    variants: [{ config: { hosts: ['127.0.0.1', '127.0.0.2'], count: 1 } }],
  });
  fixtures.set('exposure', {
    ok: { targets: '127.0.0.1', ports: String(greeter), must_open: String(greeter) },
    metrics: ['open_ports', 'scanned_ports', 'scan_ms'],
    dead: { targets: '127.0.0.1', ports: String(closed), must_open: String(closed) },
    silent: { targets: '127.0.0.1', ports: '1-65535', concurrency: 1 },
    // Against a baseline where the closed port was open and the greeter closed.
    variants: [{ config: { targets: '127.0.0.1', ports: `${greeter},${closed}`, must_open: String(greeter) }, memory: baseline([closed]) }],
  });
  fixtures.set('http', {
    ok: { url: `http://${at(http)}/` },
    metrics: ['status_code', 'total_ms'],
    dead: { url: `http://${at(closed)}/` },
    silent: { url: `http://${at(mute)}/` },
    variants: [{ config: { url: `https://${at(https)}/`, tls_verify: false } }],
  });
  fixtures.set('dns', {
    ok: { server: at(dns.port), name: 'example.test', record_type: 'SOA' },
    metrics: ['query_ms', 'answers'],
    dead: { server: at(udpClosed), name: 'example.test' },
    silent: { server: at(udpSilent.port), name: 'example.test' },
    variants: [
      // Truncated over UDP, so retried over TCP.
      { config: { server: at(dns.port), name: 'big.example.test' } },
      { config: { server: at(wrongDns.port), name: 'example.test' }, timeoutMs: 3_000 },
    ],
  });
  fixtures.set('tls', { ok: { target: at(tls), verify_chain: false }, metrics: ['days_left', 'handshake_ms'], dead: { target: at(closed) }, silent: { target: at(mute) } });
  fixtures.set('snmp', {
    ok: { target: snmpd.target, community: 'conformance', oids: [{ oid: '1.3.6.1.2.1.1.7.0', name: 'services' }] },
    metrics: ['response_ms', 'services'],
    dead: { target: snmpd.target, community: 'conformance', oids: [{ oid: '1.3.6.1.2.1.1.99.0' }] },
    silent: { target: at(udpSilent.port), community: 'conformance', oids: [{ oid: '1.3.6.1.2.1.1.1.0' }] },
    // Without a name, the value's metric is named by its OID.
    variants: [{ config: { target: snmpd.target, community: 'conformance', oids: [{ oid: '1.3.6.1.2.1.1.7.0' }] } }],
  });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

function parse(type: CheckType<unknown>, raw: Record<string, unknown>): unknown {
  const parsed = type.schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${type.type} fixture does not validate: ${parsed.error.message}`);
  return parsed.data;
}

/** Well formed, and with no metric that `metrics(config)` leaves out (a threshold on it would be refused). */
function expectWellFormed(type: CheckType<unknown>, config: unknown, observation: Observation): void {
  expect(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']).toContain(observation.status);
  expect(observation.observation).toMatch(/^[a-z_]+$/);
  expect(observation.message.length).toBeGreaterThan(0);
  for (const value of Object.values(observation.metrics)) expect(Number.isFinite(value)).toBe(true);
  const declared = type.metrics(config);
  const undeclared = Object.keys(observation.metrics).filter((name) => !declared.includes(name));
  expect(undeclared, `${type.type} emitted metrics its metrics(config) does not list (it lists ${declared.join(', ')})`).toEqual([]);
}

describe.each([...CHECK_TYPES.keys()])('conformance: %s', (typeName) => {
  const type = CHECK_TYPES.get(typeName)!;
  const fixture = () => {
    const f = fixtures.get(typeName);
    if (!f) throw new Error(`no conformance fixture for check type "${typeName}": add one`);
    return f;
  };

  it('gives OK with its metrics on a working target', async () => {
    const config = parse(type, fixture().ok);
    const observation = await type.run(config, { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000 });
    expectWellFormed(type, config, observation);
    expect(observation.status, observation.message).toBe('OK');
    for (const metric of fixture().metrics) expect(observation.metrics, metric).toHaveProperty(metric);
  });

  it('returns a dead target as data, not as a rejection', async () => {
    const config = parse(type, fixture().dead);
    const observation = await type.run(config, { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000 });
    expectWellFormed(type, config, observation);
    expect(observation.status).not.toBe('OK');
  });

  it('gives up a silent target promptly when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('check timeout')), 300);
    const config = parse(type, fixture().silent);
    const started = performance.now();
    const observation = await type.run(config, { signal: controller.signal, timeoutMs: 300 });
    const tookMs = performance.now() - started;
    expectWellFormed(type, config, observation);
    expect(observation.status).not.toBe('OK');
    // Generous: the point is "stops at the abort", not "stops fast".
    expect(tookMs).toBeLessThan(5_000);
  });

  it('returns at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('check timeout'));
    const config = parse(type, fixture().silent);
    const observation = await type.run(config, { signal: controller.signal, timeoutMs: 0 });
    expectWellFormed(type, config, observation);
    expect(observation.status).not.toBe('OK');
  });

  it('emits every metric it declares in some run, and none it does not declare', async () => {
    const declared = new Set<string>();
    const emitted = new Set<string>();
    for (const variant of [{ config: fixture().ok } as Variant, ...(fixture().variants ?? [])]) {
      const config = parse(type, variant.config);
      const timeoutMs = variant.timeoutMs ?? 10_000;
      const observation = await type.run(config, { signal: AbortSignal.timeout(timeoutMs), timeoutMs, ...(variant.memory ? { memory: variant.memory } : {}) });
      expectWellFormed(type, config, observation);
      for (const name of type.metrics(config)) declared.add(name);
      for (const name of Object.keys(observation.metrics)) emitted.add(name);
    }
    // A declared name no run emits is a threshold that could be set and never fire.
    const neverSeen = [...declared].filter((name) => !emitted.has(name)).sort();
    expect(neverSeen).toEqual(Object.keys(fixture().unexercised ?? {}).sort());
  });
});
