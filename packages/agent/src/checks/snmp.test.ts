import { readdir, readFile, readlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckContext, Observation } from './check.js';
import { snmpCheck, snmpSchema } from './snmp.js';
import { nagiosRangeAlerts, parseNagiosRange } from './thresholds.js';
import { startSnmpd, type TestSnmpd } from './snmp-test-snmpd.js';

const COMMUNITY = 'op-snmp-community-x9';
const USER = { name: 'opuser', authKey: 'op-auth-key-1234', privKey: 'op-priv-key-5678' };
const SECRETS = [COMMUNITY, USER.authKey, USER.privKey, 'op-wrong-community', 'op-wrong-auth-key', 'op-wrong-priv-key'];
const SYS_DESCR = 'Outpost test agent on loopback';
const SYS_DESCR_OID = '1.3.6.1.2.1.1.1.0';
const SYS_UPTIME_OID = '1.3.6.1.2.1.1.3.0';
const SYS_SERVICES_OID = '1.3.6.1.2.1.1.7.0';

const problems = (config: Record<string, unknown>) => {
  const parsed = snmpSchema.safeParse(config);
  return parsed.success ? '' : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
};

/** UDP sockets held by this process, from /proc: proves sessions are closed. */
async function udpSocketCount(): Promise<number> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode) inodes.add(inode);
    }
  }
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const link = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode && inodes.has(inode)) count++;
  }
  return count;
}

async function settleUdpSockets(expected: number): Promise<number> {
  let count = await udpSocketCount();
  for (let i = 0; i < 50 && count !== expected; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    count = await udpSocketCount();
  }
  return count;
}

describe('Nagios threshold ranges', () => {
  it.each([
    ['10', -1, true], ['10', 0, false], ['10', 10, false], ['10', 10.5, true],
    ['5:', 4.9, true], ['5:', 5, false], ['5:', 1e9, false],
    ['~:10', -1e9, false], ['~:10', 11, true],
    ['10:20', 9, true], ['10:20', 15, false], ['10:20', 21, true],
    ['@10:20', 10, true], ['@10:20', 20, true], ['@10:20', 21, false], ['@10', 5, true],
    [':10', -1, true], ['-5:-1', -3, false], ['1.5:2.5', 2.6, true],
  ] as const)('range %s with value %d alerts: %s', (spec, value, alerts) => {
    const range = parseNagiosRange(spec);
    expect(range).toBeDefined();
    expect(nagiosRangeAlerts(range!, value)).toBe(alerts);
  });

  it('refuses text that is not a range', () => {
    for (const spec of ['', '@', ':', 'abc', '20:10', '1:2:3', '10s']) expect(parseNagiosRange(spec), spec).toBeUndefined();
    expect(parseNagiosRange(10)).toEqual({ text: '10', start: 0, end: 10, alertInside: false });
    expect(parseNagiosRange('~:')).toMatchObject({ start: -Infinity, end: Infinity });
  });
});

describe('snmp schema', () => {
  const oids = [{ oid: SYS_DESCR_OID }];

  it('applies defaults and normalises versions', () => {
    const v2 = snmpSchema.parse({ target: '127.0.0.1', oids });
    expect(v2).toMatchObject({ target: { host: '127.0.0.1', port: 161 }, version: '2c', community: 'public', retries: 1 });
    expect(snmpSchema.parse({ target: '127.0.0.1:1161', version: 1, community: 'c', oids }).version).toBe('1');
    const v3 = snmpSchema.parse({ target: '127.0.0.1', version: 3, user: 'u', auth_protocol: 'sha', auth_key: '12345678', priv_protocol: 'aes', priv_key: '12345678', oids });
    expect(v3).toMatchObject({ version: '3', level: 'authPriv' });
    expect(snmpSchema.parse({ target: '127.0.0.1', version: 3, user: 'u', auth_protocol: 'md5', auth_key: '12345678', oids }).level).toBe('authNoPriv');
    expect(snmpSchema.parse({ target: '127.0.0.1', oids: [{ oid: `.${SYS_UPTIME_OID}` }] }).oids[0]!.oid).toBe(SYS_UPTIME_OID);
  });

  it('names the key that is missing or wrong, without echoing secrets', () => {
    expect(problems({ target: '127.0.0.1', version: 3, oids })).toBe('user: expected a user for SNMP version 3');
    expect(problems({ target: '127.0.0.1', version: 3, user: 'u', level: 'authPriv', auth_protocol: 'sha', auth_key: '12345678', oids })).toMatch(/^priv_protocol: expected priv_protocol for security level authPriv/);
    expect(problems({ target: '127.0.0.1', version: 3, user: 'u', level: 'authNoPriv', auth_key: '12345678', oids })).toMatch(/^auth_protocol: /);
    const short = problems({ target: '127.0.0.1', version: 3, user: 'u', auth_protocol: 'sha', auth_key: 'abc12', oids });
    expect(short).toBe('auth_key: expected auth_key of at least 8 characters (RFC 3414), got 5');
    expect(problems({ target: '127.0.0.1', version: 3, user: 'u', auth_protocol: 'sha', auth_key: '12345678', priv_protocol: 'aes', priv_key: 'xyz', oids })).toMatch(/^priv_key: expected priv_key of at least 8/);
    expect(problems({ target: '127.0.0.1', version: '2c', user: 'u', oids })).toMatch(/^user: user applies to SNMP version 3 only/);
    expect(problems({ target: '127.0.0.1', version: 3, user: 'u', community: 'secret-c', oids })).not.toContain('secret-c');
    expect(problems({ target: '127.0.0.1', oids: [{ oid: SYS_DESCR_OID, warning: '20:10' }] })).toMatch(/^oids\.0\.warning: expected a Nagios range/);
    expect(problems({ target: '127.0.0.1', oids: [{ oid: 'sysDescr.0' }] })).toMatch(/^oids\.0\.oid: expected a numeric OID/);
    expect(problems({ target: '127.0.0.1', oids: [{ oid: SYS_DESCR_OID, expect: '(' }] })).toMatch(/^oids\.0\.expect: expected a regular expression/);
    expect(problems({ target: '127.0.0.1', version: '4', oids })).toMatch(/^version: expected version 1, 2c or 3/);
    expect(problems({ target: '127.0.0.1', oids: [] })).toMatch(/expected at least one OID/);
  });
});

describe('snmp against a real snmpd', () => {
  let snmpd: TestSnmpd | undefined;
  const target = () => {
    if (!snmpd) throw new Error('snmpd was not started (see beforeAll error)');
    return snmpd.target;
  };
  const v3 = (overrides: Record<string, unknown> = {}) => ({
    target: target(), version: 3, user: USER.name, auth_protocol: 'sha', auth_key: USER.authKey, priv_protocol: 'aes', priv_key: USER.privKey, ...overrides,
  });
  /** Run the check and assert no credential ever reaches a message. */
  async function check(config: Record<string, unknown>, context?: CheckContext): Promise<Observation> {
    const seen = await snmpCheck.run(snmpSchema.parse(config), context ?? { signal: AbortSignal.timeout(20_000), timeoutMs: 20_000 });
    for (const secret of SECRETS) expect(seen.message).not.toContain(secret);
    return seen;
  }
  const quickContext = (timeoutMs = 1_500): CheckContext => ({ signal: AbortSignal.timeout(timeoutMs * 4), timeoutMs });

  beforeAll(async () => {
    snmpd = await startSnmpd({ community: COMMUNITY, v3User: USER, sysDescr: SYS_DESCR, sysServices: 72 });
  });
  afterAll(async () => {
    await snmpd?.stop();
  });

  it.each([1, '2c'] as const)('gets sysDescr and sysUpTime over v%s', async (version) => {
    const seen = await check({
      target: target(), version, community: COMMUNITY,
      oids: [{ oid: SYS_DESCR_OID, name: 'sysDescr' }, { oid: SYS_UPTIME_OID, name: 'uptime' }],
    });
    expect(seen).toMatchObject({ status: 'OK', observation: 'ok' });
    expect(seen.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+ answered in [\\d.]+ ms: sysDescr="${SYS_DESCR}"; uptime=\\d+$`));
    expect(seen.metrics.uptime).toBeGreaterThanOrEqual(0);
    expect(seen.metrics.response_ms).toBeGreaterThan(0);
    expect(Object.keys(seen.metrics).sort()).toEqual(['response_ms', 'uptime']);
  });

  it('times out on a wrong community (snmpd drops it silently)', async () => {
    const seen = await check({ target: target(), community: 'op-wrong-community', oids: [{ oid: SYS_DESCR_OID }] }, quickContext());
    expect(seen).toMatchObject({ status: 'CRITICAL', observation: 'timeout', metrics: {} });
    expect(seen.message).toMatch(/no SNMP v2c answer within 1500 ms \(agent down, or credentials not accepted\)/);
  });

  it('gets sysDescr over v3 authPriv (SHA + AES)', async () => {
    const seen = await check(v3({ oids: [{ oid: SYS_DESCR_OID, expect: '^Outpost test agent' }] }));
    expect(seen).toMatchObject({ status: 'OK', observation: 'ok' });
    expect(seen.message).toContain(`${SYS_DESCR_OID}="${SYS_DESCR}"`);
  });

  it('fails v3 with a wrong auth key, wrong priv key or unknown user', async () => {
    const oids = [{ oid: SYS_DESCR_OID }];
    const badAuth = await check(v3({ auth_key: 'op-wrong-auth-key', oids }), quickContext());
    expect(badAuth).toMatchObject({ status: 'UNKNOWN', observation: 'auth_failed' });
    expect(badAuth.message).toMatch(/SNMP v3 user opuser authentication failed: Wrong Digest/);
    // snmpd cannot decrypt the scoped PDU and stays silent.
    const badPriv = await check(v3({ priv_key: 'op-wrong-priv-key', oids }), quickContext());
    expect(badPriv).toMatchObject({ status: 'CRITICAL', observation: 'timeout' });
    const stranger = await check(v3({ user: 'op-nobody', oids }), quickContext());
    expect(stranger).toMatchObject({ status: 'UNKNOWN', observation: 'auth_failed' });
    expect(stranger.message).toContain('Unknown User Name');
    // The user is allowed at authPriv only (rouser ... authPriv).
    const weaker = await check(v3({ level: 'authNoPriv', priv_protocol: undefined, priv_key: undefined, oids }), quickContext());
    expect(weaker).toMatchObject({ status: 'UNKNOWN', observation: 'auth_failed' });
    expect(weaker.message).toContain(`agent refused access (AuthorizationError) for ${SYS_DESCR_OID}`);
  });

  it('compares numbers with Nagios ranges', async () => {
    const base = { target: target(), community: COMMUNITY };
    const services = (limits: Record<string, string>) => check({ ...base, oids: [{ oid: SYS_SERVICES_OID, name: 'services', ...limits }] });
    const ok = await services({ warning: '0:100', critical: '~:200' });
    expect(ok).toMatchObject({ status: 'OK', observation: 'ok', metrics: { services: 72 } });
    const warning = await services({ warning: '~:50', critical: '~:100' });
    expect(warning).toMatchObject({ status: 'WARNING', observation: 'threshold', metrics: { services: 72 } });
    expect(warning.message).toMatch(/services=72 breaks warning "~:50"$/);
    const critical = await services({ warning: '~:50', critical: '@70:80' });
    expect(critical).toMatchObject({ status: 'CRITICAL', observation: 'threshold' });
    expect(critical.message).toMatch(/services=72 breaks critical "@70:80"$/);
    const text = await check({ ...base, oids: [{ oid: SYS_DESCR_OID, warning: '10' }] });
    expect(text).toMatchObject({ status: 'UNKNOWN', observation: 'error' });
  });

  it('matches text with a regular expression', async () => {
    const base = { target: target(), community: COMMUNITY };
    expect((await check({ ...base, oids: [{ oid: SYS_DESCR_OID, expect: 'loopback$' }] })).status).toBe('OK');
    const miss = await check({ ...base, oids: [{ oid: SYS_DESCR_OID, name: 'sysDescr', expect: '^Cisco IOS' }, { oid: SYS_SERVICES_OID }] });
    expect(miss).toMatchObject({ status: 'CRITICAL', observation: 'mismatch', metrics: { [SYS_SERVICES_OID]: 72 } });
    expect(miss.message).toMatch(/sysDescr="Outpost test agent on loopback" does not match \/\^Cisco IOS\/$/);
  });

  it.each([1, '2c'] as const)('reports a nonexistent OID as no_such_object over v%s', async (version) => {
    const missing = '1.3.6.1.2.1.1.99.0';
    const seen = await check({ target: target(), version, community: COMMUNITY, oids: [{ oid: SYS_DESCR_OID }, { oid: missing, name: 'ghost' }] });
    expect(seen).toMatchObject({ status: 'UNKNOWN', observation: 'no_such_object' });
    expect(seen.message).toContain(`ghost (${missing})`);
    expect(seen.metrics.response_ms).toBeGreaterThan(0);
  });

  it('closes its UDP socket after an answer', async () => {
    const before = await udpSocketCount();
    await check({ target: target(), community: COMMUNITY, oids: [{ oid: SYS_DESCR_OID }] });
    expect(await settleUdpSockets(before)).toBe(before);
  });

  it('honours abort promptly and closes the session', async () => {
    const before = await udpSocketCount();
    const controller = new AbortController();
    const config = snmpSchema.parse({ target: target(), community: 'op-wrong-community', retries: 0, oids: [{ oid: SYS_DESCR_OID }] });
    // net-snmp alone would wait ~54 s; only the abort can end this run within the test timeout.
    const pending = snmpCheck.run(config, { signal: controller.signal, timeoutMs: 60_000 });
    setTimeout(() => controller.abort(), 200);
    const seen = await pending;
    expect(seen).toMatchObject({ status: 'CRITICAL', observation: 'timeout' });
    expect(await settleUdpSockets(before)).toBe(before);
  }, 30_000);
});
