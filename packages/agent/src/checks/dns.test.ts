import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from './check.js';
import { dnsCheck, dnsSchema, reverseName, type DnsConfig } from './dns.js';
import { startDnsTestServer, type DnsTestServer, type DnsTestServerOptions } from './dns-test-server.js';
import { closedUdpPort, silent, startUdpPeer, type UdpTestPeer } from './udp-test-peers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function server(options: DnsTestServerOptions = {}): Promise<DnsTestServer> {
  const started = await startDnsTestServer(options);
  cleanups.push(started.close);
  return started;
}

async function udpPeer(): Promise<UdpTestPeer> {
  const started = await startUdpPeer(silent);
  cleanups.push(started.close);
  return started;
}

const config = (input: Record<string, unknown>): DnsConfig => dnsSchema.parse(input);

async function run(input: Record<string, unknown>, timeoutMs = 30_000): Promise<Observation> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await dnsCheck.run(config(input), { signal: controller.signal, timeoutMs });
  } finally {
    clearTimeout(timer);
  }
}

const configError = (input: Record<string, unknown>) => {
  const parsed = dnsSchema.safeParse(input);
  expect(parsed.success).toBe(false);
  return parsed.error!.issues.map((issue) => issue.message).join('; ');
};

describe('dns config', () => {
  it('fills defaults: A, port 53, recursion desired, NOERROR', () => {
    const parsed = config({ server: '127.0.0.1', name: 'www.example.test.' });
    expect(parsed).toMatchObject({ server: { host: '127.0.0.1', port: 53 }, name: 'www.example.test', record_type: 'A', recursion_desired: true, expect_rcode: ['NOERROR'] });
    expect(dnsCheck.describe(parsed)).toBe('www.example.test A @127.0.0.1:53');
    expect(config({ server: '[::1]:5353', name: 'x.test', record_type: 'mx' })).toMatchObject({ server: { host: '::1', port: 5353 }, record_type: 'MX' });
  });

  it('rejects bad record types, server addresses, ports, regexes, names and rcodes', () => {
    expect(configError({ server: '127.0.0.1', name: 'a.test', record_type: 'MXX' })).toContain('expected a record type, one of A, AAAA, MX');
    expect(configError({ server: 'dns.example.test', name: 'a.test' })).toContain('expected an IP address');
    expect(configError({ server: '999.1.1.1', name: 'a.test' })).toContain('got "999.1.1.1"');
    expect(configError({ server: '127.0.0.1:0', name: 'a.test' })).toContain('port in 1-65535');
    expect(configError({ server: '127.0.0.1:65536', name: 'a.test' })).toContain('port in 1-65535');
    expect(configError({ server: '127.0.0.1', name: 'a.test', expect_match: '(' })).toContain('expected a regular expression, got "("');
    expect(configError({ server: '127.0.0.1', name: 'a..test' })).toContain('expected a domain name');
    expect(configError({ server: '127.0.0.1', name: `${'a'.repeat(64)}.test` })).toContain('1-63');
    expect(configError({ server: '127.0.0.1', name: 'a.test', expect_rcode: 'NOPE' })).toContain('expected a response code');
    expect(configError({ server: '127.0.0.1', name: 'a.test', bogus: true })).toMatch(/bogus/);
  });

  it('turns an address into a reverse name for PTR', () => {
    expect(config({ server: '127.0.0.1', name: '192.0.2.10', record_type: 'PTR' }).name).toBe('10.2.0.192.in-addr.arpa');
    expect(reverseName('2001:db8::1')).toBe(`1.0.0.0.${'0.'.repeat(20)}8.b.d.0.1.0.0.2.ip6.arpa`);
  });
});

describe('dns check against a real test server', () => {
  it('answers A with every expectation met, over UDP with RD set', async () => {
    const dns = await server();
    const result = await run({
      server: `127.0.0.1:${dns.port}`,
      name: 'www.example.test',
      expect_answers: ['192.0.2.11', '192.0.2.10'],
      expect_match: '^192\\.0\\.2\\.1[01]$',
      expect_authoritative: true,
      min_answers: 2,
    });
    expect(result).toMatchObject({ status: 'OK', observation: 'ok' });
    expect(result.message).toContain('NOERROR, 2 answers (192.0.2.10, 192.0.2.11)');
    expect(result.metrics.answers).toBe(2);
    expect(result.metrics.query_ms).toBeGreaterThanOrEqual(0);
    expect(dns.queries.map((q) => [q.transport, q.packet.flag_rd, q.packet.questions?.[0]?.type])).toEqual([['udp', true, 'A']]);
  });

  it('sends RD clear when recursion_desired is false, with a fresh random id each run', async () => {
    const dns = await server();
    const input = { server: `127.0.0.1:${dns.port}`, name: 'www.example.test', recursion_desired: false };
    for (let i = 0; i < 3; i += 1) expect((await run(input)).status).toBe('OK');
    expect(dns.queries.map((q) => q.packet.flag_rd)).toEqual([false, false, false]);
    expect(new Set(dns.queries.map((q) => q.packet.id)).size).toBeGreaterThan(1);
  });

  it('compares AAAA, MX, TXT, SRV, CAA and PTR answers in their text form', async () => {
    const dns = await server();
    const at = `127.0.0.1:${dns.port}`;
    const cases = [
      { name: 'www.example.test', record_type: 'AAAA', expect_answers: ['2001:0db8:0:0::10'] },
      { name: 'example.test', record_type: 'MX', expect_answers: ['10 mail.example.test.', '20 BACKUP.example.test'], expect_match: '^20 ' },
      { name: 'example.test', record_type: 'TXT', expect_answers: ['v=spf1 -all'] },
      { name: '_sip._udp.example.test', record_type: 'SRV', expect_answers: ['10 5 5060 sip.example.test'] },
      { name: 'example.test', record_type: 'CAA', expect_answers: ['0 issue "ca.example.test"'] },
      { name: 'example.test', record_type: 'SOA', expect_match: '^ns1\\.example\\.test hostmaster\\.example\\.test 2024010101 ' },
      { name: '192.0.2.10', record_type: 'PTR', expect_answers: ['www.example.test'] },
      { name: 'alias.example.test', record_type: 'A', expect_answers: ['www.example.test', '192.0.2.10'], min_answers: 3 },
    ];
    for (const input of cases) {
      const result = await run({ server: at, ...input });
      expect({ name: input.name, type: input.record_type, status: result.status, message: result.message }).toMatchObject({ status: 'OK' });
    }
  });

  it('reports an unexpected rcode, and passes when that rcode is expected', async () => {
    const dns = await server();
    const at = `127.0.0.1:${dns.port}`;
    const nx = await run({ server: at, name: 'nothing.example.test' });
    expect(nx).toMatchObject({ status: 'CRITICAL', observation: 'rcode', metrics: { answers: 0 } });
    expect(nx.message).toContain('NXDOMAIN, 0 answers');
    expect(nx.message).toContain('expected NOERROR');
    expect(await run({ server: at, name: 'nothing.example.test', expect_rcode: 'NXDOMAIN', expect_authoritative: true })).toMatchObject({ status: 'OK', observation: 'ok' });
    expect(await run({ server: at, name: 'fail.example.test' })).toMatchObject({ observation: 'rcode', message: expect.stringContaining('SERVFAIL') });
    expect(await run({ server: at, name: 'elsewhere.invalid', expect_rcode: ['SERVFAIL', 'REFUSED'] })).toMatchObject({ status: 'OK' });
  });

  it('reports answers that miss expectations as mismatch', async () => {
    const dns = await server();
    const at = `127.0.0.1:${dns.port}`;
    const missing = await run({ server: at, name: 'www.example.test', expect_answers: ['192.0.2.10', '192.0.2.99'] });
    expect(missing).toMatchObject({ status: 'CRITICAL', observation: 'mismatch', metrics: { answers: 2 } });
    expect(missing.message).toContain('missing 192.0.2.99; got NOERROR, 2 answers (192.0.2.10, 192.0.2.11)');
    expect((await run({ server: at, name: 'www.example.test', expect_match: '^10\\.' })).message).toContain('no answer matches /^10\\./');
    expect((await run({ server: at, name: 'www.example.test', min_answers: 3 })).message).toContain('2 answers, expected at least 3');
    const cached = await run({ server: at, name: 'cache.example.test', expect_authoritative: true });
    expect(cached).toMatchObject({ observation: 'mismatch', message: expect.stringContaining('not authoritative') });
    expect(await run({ server: at, name: 'cache.example.test', expect_authoritative: false })).toMatchObject({ status: 'OK' });
  });

  it('retries over TCP when the UDP answer is truncated', async () => {
    const dns = await server();
    const result = await run({ server: `127.0.0.1:${dns.port}`, name: 'big.example.test', expect_answers: ['198.51.100.1', '198.51.100.60'], min_answers: 60 });
    expect(result).toMatchObject({ status: 'OK', observation: 'ok', metrics: { answers: 60 } });
    expect(result.message).toContain('over TCP after a truncated UDP answer');
    expect(result.message).toContain('and 55 more');
    expect(result.metrics.udp_ms).toBeGreaterThanOrEqual(0);
    expect(dns.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('reports refused when the TCP retry finds no listener', async () => {
    const dns = await server({ noTcp: true });
    const result = await run({ server: `127.0.0.1:${dns.port}`, name: 'big.example.test' });
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'refused' });
    expect(result.message).toContain('TCP connection refused');
  });

  it('ignores a spoofed reply with a wrong id and takes the real one', async () => {
    const dns = await server({ spoofFirst: true });
    const result = await run({ server: `127.0.0.1:${dns.port}`, name: 'www.example.test', expect_answers: ['192.0.2.10'] });
    expect(result).toMatchObject({ status: 'OK', observation: 'ok' });
    expect(result.message).not.toContain('203.0.113.66');
  });

  it('reports bad_reply when only mismatched or garbage replies come before the timeout', async () => {
    for (const onlyWrong of ['id', 'question', 'garbage'] as const) {
      const dns = await server({ onlyWrong });
      const result = await run({ server: `127.0.0.1:${dns.port}`, name: 'www.example.test' }, 1_500);
      expect(result).toMatchObject({ status: 'CRITICAL', observation: 'bad_reply', metrics: { ignored_replies: 1 } });
      expect(result.message).toContain({ id: 'id ', question: 'question other.example.test A', garbage: 'undecodable' }[onlyWrong]);
    }
  });

  it('times out on a silent server when the signal aborts, long before the check timeout', async () => {
    const quiet = await udpPeer();
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 200);
    const result = await dnsCheck.run(config({ server: `127.0.0.1:${quiet.port}`, name: 'www.example.test' }), { signal: controller.signal, timeoutMs: 600_000 });
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'timeout' });
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(quiet.received).toHaveLength(1);
  });

  it('reports refused when ICMP says nothing listens on the UDP port', async () => {
    const result = await run({ server: `127.0.0.1:${await closedUdpPort()}`, name: 'www.example.test' });
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'refused' });
    expect(result.message).toContain('port unreachable (ICMP)');
  });
});
