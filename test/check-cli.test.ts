import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type TestSnmpd } from '../packages/agent/src/checks/snmp-test-snmpd.js';
import { mintTestCert } from '../packages/agent/src/checks/tls-test-cert.js';
import { echo, startUdpPeer, type UdpTestPeer } from '../packages/agent/src/checks/udp-test-peers.js';
import { runCli } from './support/processes.js';

// `outpost-agent check` as a Nagios service runs it: the real CLI against real loopback
// peers (snmpd, HTTP, HTTPS, UDP echo, a plain-text server on a TLS check).

const COMMUNITY = 'op-chk-community';
const USER = { name: 'opchk', authKey: 'op-chk-auth-1234', privKey: 'op-chk-priv-5678' };
const SERVICES_OID = '1.3.6.1.2.1.1.7.0';
const SERVICES = `[{oid: ${SERVICES_OID}, name: services}]`;
const VERSION = (JSON.parse(readFileSync(new URL('../packages/agent/package.json', import.meta.url), 'utf8')) as { version: string }).version;

const cleanups: (() => Promise<void> | void)[] = [];
let snmpd: TestSnmpd;
let udp: UdpTestPeer;
let web = '';
let secureWeb = '';
let plainPort = 0;

async function listen(server: HttpServer | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** One line of output (before perfdata and any long text), with its exit code. */
async function check(...args: string[]): Promise<{ code: number; line: string; stdout: string }> {
  const res = await runCli('agent', ['check', ...args, '--timeout', '10s']);
  return { code: res.code, line: res.stdout.split('\n')[0]!, stdout: res.stdout };
}

beforeAll(async () => {
  snmpd = await startSnmpd({ community: COMMUNITY, v3User: USER, sysDescr: 'outpost check cli', sysServices: 72 });
  cleanups.push(() => snmpd.stop());
  udp = await startUdpPeer(echo);
  cleanups.push(() => udp.close());
  const http = createHttpServer((req, res) => {
    if (req.url === '/moved') res.writeHead(302, { location: '/missing' }).end();
    else if (req.url === '/missing') res.writeHead(404).end('no such page');
    else res.end('answer 42');
  });
  web = `http://127.0.0.1:${await listen(http)}`;
  const cert = await mintTestCert({ commonName: 'op-chk' });
  const https = createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => res.end('secure'));
  https.on('tlsClientError', () => {});
  secureWeb = `https://127.0.0.1:${await listen(https)}`;
  // Answers a TLS ClientHello with plain text, as an HTTP server on a TLS check's port does.
  const plain = createTcpServer((socket) => socket.on('error', () => {}).once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
  plainPort = await listen(plain);
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('check: --version is the snmp key, not the program version', () => {
  it('runs an SNMPv3 authPriv GET with --version 3 and with --version=3', async () => {
    const v3 = ['--user', USER.name, '--auth-protocol', 'sha', '--auth-key', USER.authKey, '--priv-protocol', 'aes', '--priv-key', USER.privKey, '--oids', SERVICES];
    for (const version of [['--version', '3'], ['--version=3']]) {
      const res = await check('snmp', snmpd.target, ...version, ...v3);
      expect(res.stdout).not.toBe(`${VERSION}\n`);
      expect(res.code).toBe(0);
      expect(res.line).toMatch(/^SNMP OK - 127\.0\.0\.1:\d+ answered in [\d.]+ ms: services=72 \| response_ms=[\d.]+ms;;;; services=72;;;;$/);
    }
  });

  it('checks the version against the other keys: 1 with a community, not 3 with one', async () => {
    const v1 = await check('snmp', snmpd.target, '--version', '1', '--community', COMMUNITY, '--oids', SERVICES);
    expect(v1).toMatchObject({ code: 0, line: expect.stringMatching(/^SNMP OK - .* services=72 \|/) });
    const mixed = await check('snmp', snmpd.target, '--version', '3', '--community', COMMUNITY, '--oids', SERVICES);
    expect(mixed).toMatchObject({ code: 3, line: 'SNMP UNKNOWN - community: community applies to SNMP version 1 and 2c; version 3 uses user and keys' });
  });

  it('still prints the program version at the top level', async () => {
    const res = await runCli('agent', ['--version']);
    expect(res).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });
});

describe('check: flag values are typed by what the key takes', () => {
  it('keeps number-like text for a text key (--expect-body 42) and compares it', async () => {
    expect(await check('http', `${web}/`, '--expect-body', '42')).toMatchObject({ code: 0, line: expect.stringMatching(/^HTTP OK - /) });
    expect(await check('http', `${web}/`, '--expect-body', '43')).toMatchObject({ code: 2, line: expect.stringMatching(/^HTTP CRITICAL - .*43/) });
  });

  it('reads false/no/true for boolean keys (--follow-redirects, --tls-verify)', async () => {
    // /moved is a 302 to a 404: followed it fails, not followed the 302 is the answer.
    expect((await check('http', `${web}/moved`)).code).toBe(2);
    for (const off of [['--follow-redirects', 'false'], ['--follow-redirects=false'], ['--follow-redirects', 'no']]) {
      expect(await check('http', `${web}/moved`, ...off)).toMatchObject({ code: 0, line: expect.stringMatching(/^HTTP OK - .*302/) });
    }
    expect((await check('http', `${web}/moved`, '--follow-redirects', 'true')).code).toBe(2);
    // A self-signed certificate: refused unless verification is off.
    expect((await check('http', `${secureWeb}/`)).code).toBe(2);
    expect(await check('http', `${secureWeb}/`, '--tls-verify', 'false', '--expect-body', 'secure')).toMatchObject({ code: 0, line: expect.stringMatching(/^HTTP OK - /) });
    expect(await check('http', `${secureWeb}/`, '--tls-verify=false')).toMatchObject({ code: 0 });
  });

  it('reads numbers for number keys and says what it got otherwise', async () => {
    expect(await check('http', `${web}/moved`, '--max-redirects', '0')).toMatchObject({ code: 2, line: expect.stringMatching(/^HTTP CRITICAL - .*redirect/i) });
    expect(await check('http', `${web}/`, '--tls-verify', 'maybe')).toMatchObject({ code: 3, line: 'HTTP UNKNOWN - tls_verify: expected true or false (or yes/no, 1/0), got "maybe"' });
  });

  it('sends --send 42 as the text 42 and --send-hex 1234 as two bytes', async () => {
    const before = udp.received.length;
    expect(await check('udp', `127.0.0.1:${udp.port}`, '--send', '42', '--expect', '^42$')).toMatchObject({ code: 0, line: expect.stringMatching(/^UDP OK - /) });
    expect(await check('udp', `127.0.0.1:${udp.port}`, '--send-hex', '1234', '--expect-bytes', '1234')).toMatchObject({ code: 0, line: expect.stringMatching(/^UDP OK - /) });
    expect(udp.received.slice(before).map((datagram) => datagram.toString('hex'))).toEqual([Buffer.from('42').toString('hex'), '1234']);
  });
});

describe('check: usage errors are UNKNOWN (exit 3) on stdout', () => {
  it('for a missing type and for an extra argument', async () => {
    const none = await runCli('agent', ['check']);
    expect(none.code).toBe(3);
    expect(none.stdout).toMatch(/^UNKNOWN - Not enough non-option arguments.*\(usage: outpost-agent check TYPE/);
    const extra = await runCli('agent', ['check', 'tcp', `127.0.0.1:${plainPort}`, 'extra']);
    expect(extra.code).toBe(3);
    expect(extra.stdout).toMatch(/^TCP UNKNOWN - Unknown command: extra/);
    expect(extra.stdout.trimEnd().split('\n')).toHaveLength(1);
    const json = await runCli('agent', ['check', 'tcp', `127.0.0.1:${plainPort}`, 'extra', '--json']);
    expect({ code: json.code, out: JSON.parse(json.stdout) as unknown }).toMatchObject({ code: 3, out: { status: 'UNKNOWN', observation: 'usage' } });
  });

  it('other commands keep exit 2 for usage errors', async () => {
    const bogus = await runCli('agent', ['bogus']);
    expect(bogus).toMatchObject({ code: 2, stdout: '' });
    expect(bogus.stderr).toContain('Unknown command: bogus');
    expect((await runCli('agent', ['status'])).code).toBe(2);
  });
});

describe('check: one line before the perfdata', () => {
  it('a TLS check on a plain-text port names the OpenSSL reason on one line', async () => {
    const res = await check('tls', `127.0.0.1:${plainPort}`);
    expect(res.code).toBe(2);
    expect(res.stdout.trimEnd().split('\n')).toEqual([res.line]);
    expect(res.line).toMatch(/^TLS CRITICAL - 127\.0\.0\.1:\d+ handshake failed: ERR_SSL_WRONG_VERSION_NUMBER \(wrong version number\) after [\d.]+ ms$/);
  });

  it('an https check on a plain-text port keeps the message and perfdata on one line', async () => {
    const res = await check('http', `https://127.0.0.1:${plainPort}/`);
    expect(res.code).toBe(2);
    expect(res.stdout.trimEnd().split('\n')).toEqual([res.line]);
    expect(res.line).toMatch(/^HTTP CRITICAL - .*TLS failed: .*wrong version number.* \| redirects=0;;;;/);
  });
});

describe('check: a threshold that raises the status is not contradicted by the message', () => {
  it('--warning on an snmp metric: WARNING, "answered", no "ok"', async () => {
    const res = await check('snmp', snmpd.target, '--community', COMMUNITY, '--oids', SERVICES, '--warning', 'services=0:10');
    expect(res.code).toBe(1);
    expect(res.line).toMatch(/^SNMP WARNING - 127\.0\.0\.1:\d+ answered in [\d.]+ ms: services=72; services=72 breaks warning "0:10" \| /);
    expect(res.line).not.toMatch(/\bok\b/i);
  });

  it('a per-OID warning range: WARNING, "answered", the verdict in the OID text', async () => {
    const res = await check('snmp', snmpd.target, '--community', COMMUNITY, '--oids', `[{oid: ${SERVICES_OID}, name: services, warning: "0:10"}]`);
    expect(res.code).toBe(1);
    expect(res.line).toMatch(/^SNMP WARNING - 127\.0\.0\.1:\d+ answered in [\d.]+ ms: services=72 breaks warning "0:10" \| /);
  });
});

describe("check: perfdata carries the check's own limits", () => {
  it('a per-OID range, certificate days and RTT/loss limits appear as warn;crit; a --warning on the same metric wins', async () => {
    const snmp = await check('snmp', snmpd.target, '--community', COMMUNITY, '--oids', `[{oid: ${SERVICES_OID}, name: services, warning: "0:10", critical: "0:5"}]`);
    expect(snmp.line).toMatch(/\| response_ms=[\d.]+ms;;;; services=72;0:10;0:5;;$/);
    const over = await check('snmp', snmpd.target, '--community', COMMUNITY, '--oids', `[{oid: ${SERVICES_OID}, name: services, warning: "0:10"}]`, '--warning', 'services=100');
    expect(over.line).toMatch(/ services=72;100;;;$/);
    // The test certificate is self-signed (CRITICAL for trust), but its days left are graphed against the limits.
    const tls = await check('tls', secureWeb.replace('https://', ''), '--expiry-warning-days', '30');
    expect(tls.line).toMatch(/ days_left=[\d.]+;30:;7:;;/);
    const icmp = await check('icmp', '127.0.0.1', '--rtt-warning-ms', '50', '--count', '1');
    expect(icmp.line).toMatch(/ rtt_avg_ms=[\d.]+ms;50;;;/);
    expect(icmp.line).toMatch(/ loss_pct=0%;;100;;/);
  });
});

describe('check: a threshold must name a metric the check emits', () => {
  it('refuses a misspelt metric as UNKNOWN before probing, listing what the type emits', async () => {
    const tcp = await check('tcp', `127.0.0.1:${plainPort}`, '--critical', 'nosuchmetric=5');
    expect(tcp).toMatchObject({ code: 3, line: 'TCP UNKNOWN - --critical: tcp checks emit connect_ms; got "nosuchmetric"' });
    const before = udp.received.length;
    const target = `127.0.0.1:${udp.port}`;
    const res = await check('udp', target, '--send', 'x', '--expect', '^x$', '--warning', 'rtt=5');
    expect(res).toMatchObject({ code: 3, line: 'UDP UNKNOWN - --warning: udp checks emit dropped_datagrams, round1_ms, rtt_ms; got "rtt"' });
    expect(udp.received.length).toBe(before);
    const json = await check('udp', target, '--send', 'x', '--expect', '^x$', '--critical', 'rtt=5', '--json');
    expect({ code: json.code, out: JSON.parse(json.stdout) as unknown }).toMatchObject({ code: 3, out: { status: 'UNKNOWN', message: expect.stringContaining('udp checks emit dropped_datagrams, round1_ms, rtt_ms; got "rtt"') } });
  });

  it('names metrics that come from the config: snmp OID labels', async () => {
    const res = await check('snmp', snmpd.target, '--community', COMMUNITY, '--oids', SERVICES, '--warning', 'sysServices=0:10');
    expect(res).toMatchObject({ code: 3, line: 'SNMP UNKNOWN - --warning: snmp checks emit response_ms, services; got "sysServices"' });
  });

  it('refuses --warning or --critical without METRIC=RANGE', async () => {
    expect(await check('tcp', `127.0.0.1:${plainPort}`, '--warning')).toMatchObject({ code: 3, line: 'TCP UNKNOWN - --warning: expected METRIC=RANGE, e.g. connect_ms=100, got nothing' });
    expect(await check('tcp', `127.0.0.1:${plainPort}`, '--critical', 'connect_ms')).toMatchObject({ code: 3, line: 'TCP UNKNOWN - --critical: expected METRIC=RANGE, e.g. connect_ms=100, got "connect_ms"' });
  });

  it('still applies a threshold on a metric the check emits', async () => {
    const res = await check('udp', `127.0.0.1:${udp.port}`, '--send', 'x', '--expect', '^x$', '--warning', 'rtt_ms=60000');
    expect(res).toMatchObject({ code: 0, line: expect.stringMatching(/^UDP OK - .* \| .*rtt_ms=[\d.]+ms;60000;;;/) });
  });
});
