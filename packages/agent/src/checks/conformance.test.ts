/**
 * The one suite every check type passes, the way every libp2p transport passes the same
 * compliance tests: a working target gives OK with its metrics, a dead one gives a failure
 * as data (never a rejection), a silent one is given up promptly when the signal aborts,
 * and an already-aborted signal returns at once. Peers are real, on loopback.
 */
import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckType, Observation } from './check.js';
import { CHECK_TYPES } from './index.js';
import { startDnsTestServer, type DnsTestServer } from './dns-test-server.js';
import { startSnmpd, type TestSnmpd } from './snmp-test-snmpd.js';
import { daysFromNow, mintTestCert } from './tls-test-cert.js';
import { closedUdpPort, echo, silent, startUdpPeer, type UdpTestPeer } from './udp-test-peers.js';

interface Fixture {
  /** Config (as written in YAML) for a target that works. */
  ok: Record<string, unknown>;
  /** Metrics an OK run must carry. */
  metrics: string[];
  /** A target that refuses or is absent. */
  dead: Record<string, unknown>;
  /** A target that never answers, so only the abort ends the run. */
  silent: Record<string, unknown>;
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

  const at = (port: number) => `127.0.0.1:${port}`;
  fixtures.set('tcp', { ok: { target: at(greeter) }, metrics: ['connect_ms'], dead: { target: at(closed) }, silent: { target: at(mute), steps: [{ expect: 'never' }] } });
  fixtures.set('udp', {
    ok: { target: at(udpEcho.port), send: 'ping', expect: '^ping$' },
    metrics: ['rtt_ms'],
    dead: { target: at(udpClosed), send: 'ping', expect: 'x' },
    silent: { target: at(udpSilent.port), send: 'ping', expect: 'x', step_timeout: '10m' },
  });
  fixtures.set('icmp', {
    ok: { host: '127.0.0.1', count: 1 },
    metrics: ['rtt_avg_ms', 'loss_pct'],
    // A scoped link-local name on an interface that does not exist fails inside the resolver, sending nothing.
    dead: { host: 'fe80::1%op-conformance-none', count: 1 },
    silent: { host: '127.0.0.1', count: 100, ping_interval: '1s' },
  });
  fixtures.set('exposure', {
    ok: { targets: '127.0.0.1', ports: String(greeter), must_open: String(greeter) },
    metrics: ['open_ports', 'scanned_ports', 'scan_ms'],
    dead: { targets: '127.0.0.1', ports: String(closed), must_open: String(closed) },
    silent: { targets: '127.0.0.1', ports: '1-65535', concurrency: 1 },
  });
  fixtures.set('http', { ok: { url: `http://${at(http)}/` }, metrics: ['status_code', 'total_ms'], dead: { url: `http://${at(closed)}/` }, silent: { url: `http://${at(mute)}/` } });
  fixtures.set('dns', {
    ok: { server: at(dns.port), name: 'example.test', record_type: 'SOA' },
    metrics: ['query_ms', 'answers'],
    dead: { server: at(udpClosed), name: 'example.test' },
    silent: { server: at(udpSilent.port), name: 'example.test' },
  });
  fixtures.set('tls', { ok: { target: at(tls), verify_chain: false }, metrics: ['days_left', 'handshake_ms'], dead: { target: at(closed) }, silent: { target: at(mute) } });
  fixtures.set('snmp', {
    ok: { target: snmpd.target, community: 'conformance', oids: [{ oid: '1.3.6.1.2.1.1.7.0', name: 'services' }] },
    metrics: ['response_ms', 'services'],
    dead: { target: snmpd.target, community: 'conformance', oids: [{ oid: '1.3.6.1.2.1.1.99.0' }] },
    silent: { target: at(udpSilent.port), community: 'conformance', oids: [{ oid: '1.3.6.1.2.1.1.1.0' }] },
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

function expectWellFormed(observation: Observation): void {
  expect(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']).toContain(observation.status);
  expect(observation.observation).toMatch(/^[a-z_]+$/);
  expect(observation.message.length).toBeGreaterThan(0);
  for (const value of Object.values(observation.metrics)) expect(Number.isFinite(value)).toBe(true);
}

describe.each([...CHECK_TYPES.keys()])('conformance: %s', (typeName) => {
  const type = CHECK_TYPES.get(typeName)!;
  const fixture = () => {
    const f = fixtures.get(typeName);
    if (!f) throw new Error(`no conformance fixture for check type "${typeName}": add one`);
    return f;
  };

  it('gives OK with its metrics on a working target', async () => {
    const observation = await type.run(parse(type, fixture().ok), { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000 });
    expectWellFormed(observation);
    expect(observation.status, observation.message).toBe('OK');
    for (const metric of fixture().metrics) expect(observation.metrics, metric).toHaveProperty(metric);
  });

  it('returns a dead target as data, not as a rejection', async () => {
    const observation = await type.run(parse(type, fixture().dead), { signal: AbortSignal.timeout(10_000), timeoutMs: 10_000 });
    expectWellFormed(observation);
    expect(observation.status).not.toBe('OK');
  });

  it('gives up a silent target promptly when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('check timeout')), 300);
    const started = performance.now();
    const observation = await type.run(parse(type, fixture().silent), { signal: controller.signal, timeoutMs: 300 });
    const tookMs = performance.now() - started;
    expectWellFormed(observation);
    expect(observation.status).not.toBe('OK');
    // Generous: the point is "stops at the abort", not "stops fast".
    expect(tookMs).toBeLessThan(5_000);
  });

  it('returns at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('check timeout'));
    const observation = await type.run(parse(type, fixture().silent), { signal: controller.signal, timeoutMs: 0 });
    expectWellFormed(observation);
    expect(observation.status).not.toBe('OK');
  });
});
