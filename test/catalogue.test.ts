import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsTestServer } from '../packages/agent/src/checks/dns-test-server.js';
import { startSnmpd } from '../packages/agent/src/checks/snmp-test-snmpd.js';
import { startScriptedServer } from '../packages/agent/src/checks/tcp-test-server.js';
import { daysFromNow, mintTestCert } from '../packages/agent/src/checks/tls-test-cert.js';
import { echo, startUdpPeer } from '../packages/agent/src/checks/udp-test-peers.js';
import { TestDeployment } from './support/deployment.js';
import { eventually, freePort } from './support/processes.js';

/**
 * Every check type, configured in YAML, run by a real agent process, through signed
 * batches to a real collector, visible in its API with the status it should have.
 */
const cleanups: (() => Promise<void> | void)[] = [];
let deployment: TestDeployment;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  deployment = await TestDeployment.create();
  cleanups.push(() => deployment.cleanup());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('the check catalogue through the whole pipeline', () => {
  it('runs every check type in a real agent and shows each state at the collector', async () => {
    const d = deployment;
    const smtp = await startScriptedServer({ script: [{ send: '220 mail.test ESMTP\r\n' }, { expect: /^EHLO/ }, { send: '250 mail.test\r\n' }] });
    cleanups.push(() => smtp.close());
    const udp = await startUdpPeer(echo);
    cleanups.push(() => udp.close());
    const dns = await startDnsTestServer();
    cleanups.push(() => dns.close());
    const snmpd = await startSnmpd({ community: 'pipeline', sysDescr: 'outpost pipeline', sysServices: 72 });
    cleanups.push(() => snmpd.stop());
    const web = createHttpServer((_req, res) => res.end('healthy'));
    web.on('clientError', (_e, socket) => socket.destroy());
    const httpPort = await listen(web);
    const cert = await mintTestCert({ commonName: 'pipeline', notAfter: daysFromNow(90) });
    const tlsServer = createTlsServer({ key: cert.keyPem, cert: cert.certPem }, (s) => s.on('error', () => {}).end());
    tlsServer.on('tlsClientError', () => {});
    const tlsPort = await listen(tlsServer);
    const openPort = await listen(createTcpServer((s) => s.on('error', () => {}).destroy()));
    const closedPort = await freePort();

    const every = { interval: '1s', timeout: '3s', jitter: '0%' };
    await d.startCollector();
    await d.initAgent('catalogue', {
      checks: [
        { id: 'smtp', type: 'tcp', target: smtp.target, steps: [{ expect: '^220 (?<host>\\S+)' }, { send: 'EHLO ${host}\\r\\n' }, { expect: '^250' }], ...every },
        { id: 'must-be-open', type: 'tcp', target: `127.0.0.1:${closedPort}`, expect: 'open', ...every },
        { id: 'udp-echo', type: 'udp', target: `127.0.0.1:${udp.port}`, send: 'ping', expect: '^ping$', ...every },
        { id: 'dns-soa', type: 'dns', server: `127.0.0.1:${dns.port}`, name: 'example.test', record_type: 'SOA', ...every },
        { id: 'web', type: 'http', url: `http://127.0.0.1:${httpPort}/`, expect_body: 'healthy', ...every },
        { id: 'cert', type: 'tls', target: `127.0.0.1:${tlsPort}`, verify_chain: false, ...every },
        { id: 'ping', type: 'icmp', host: '127.0.0.1', count: 1, ...every },
        { id: 'snmp-services', type: 'snmp', target: snmpd.target, community: 'pipeline', oids: [{ oid: '1.3.6.1.2.1.1.7.0', name: 'services', critical: '70' }], ...every },
        { id: 'exposure', type: 'exposure', targets: '127.0.0.1', ports: `${openPort},${closedPort}`, must_open: String(openPort), ...every },
      ],
    });
    d.startAgent('catalogue');

    const expected: Record<string, string> = {
      smtp: 'OK', 'must-be-open': 'CRITICAL', 'udp-echo': 'OK', 'dns-soa': 'OK', web: 'OK', cert: 'OK', ping: 'OK', 'snmp-services': 'CRITICAL', exposure: 'OK',
    };
    const states = await eventually('every check at the collector', async () => {
      const view = await d.api<{ checks: { check: string; status: string; observation: string; message: string }[] }>('/api/v1/checks');
      return view.checks.length === Object.keys(expected).length ? view.checks : undefined;
    }, 45_000);
    const seen = Object.fromEntries(states.map((s) => [s.check, s.status]));
    expect(seen, JSON.stringify(states, null, 1)).toEqual(expected);
    expect(states.find((s) => s.check === 'snmp-services')!.observation).toBe('threshold');
    expect(states.find((s) => s.check === 'must-be-open')!.observation).toBe('closed');
  });
});
