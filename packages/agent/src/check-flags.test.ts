import { describe, expect, it } from 'vitest';
import { checkConfigInput } from './check-flags.js';
import { CHECK_TYPES } from './checks/index.js';

/** What yargs hands over for `check TYPE TARGET --a-b v`: raw text, dashed and camelCase keys. */
function argvOf(type: string, target: string, flags: Record<string, unknown>): Record<string, unknown> {
  const argv: Record<string, unknown> = { _: ['check'], $0: 'outpost-agent', type, target, timeout: '5s', json: false };
  for (const [key, value] of Object.entries(flags)) {
    argv[key] = value;
    argv[key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return argv;
}

function input(type: string, target: string, flags: Record<string, unknown>): Record<string, unknown> {
  return checkConfigInput(type, argvOf(type, target, flags), CHECK_TYPES.get(type)!.schema);
}

function parsed(type: string, target: string, flags: Record<string, unknown>) {
  return CHECK_TYPES.get(type)!.schema.safeParse(input(type, target, flags));
}

describe('check flags typed by the check schema', () => {
  it('keeps text that looks like a number where the key takes text', () => {
    expect(input('http', 'http://127.0.0.1:8080/', { 'expect-body': '42', body: '1234' })).toEqual({ url: 'http://127.0.0.1:8080/', expect_body: '42', body: '1234' });
    expect(input('udp', '127.0.0.1:5000', { send: '42', 'send-hex': '1234', expect: '42' })).toEqual({ target: '127.0.0.1:5000', send: '42', send_hex: '1234', expect: '42' });
    expect(parsed('udp', '127.0.0.1:5000', { 'send-hex': '1234', 'expect-bytes': '1234' }).success).toBe(true);
  });

  it('reads numbers and booleans where the key takes them', () => {
    const flags = { 'tls-verify': 'false', 'follow-redirects': 'no', 'max-redirects': '3', 'max-body-bytes': '1e3', 'ip-version': '4' };
    expect(input('http', 'http://127.0.0.1:8080/', flags)).toMatchObject({ tls_verify: false, follow_redirects: false, max_redirects: 3, max_body_bytes: 1000, ip_version: 4 });
    expect(input('http', 'http://127.0.0.1:8080/', { 'tls-verify': 'TRUE', 'follow-redirects': '1' })).toMatchObject({ tls_verify: true, follow_redirects: true });
    expect(input('tcp', '127.0.0.1:22', { tls: 'yes' })).toMatchObject({ tls: true });
    expect(parsed('http', 'http://127.0.0.1:8080/', flags)).toMatchObject({ success: true, data: { tls_verify: false, follow_redirects: false, max_redirects: 3 } });
  });

  it('leaves what is not a number or boolean for the schema to refuse', () => {
    expect(input('http', 'http://127.0.0.1:8080/', { 'tls-verify': 'maybe', 'max-redirects': 'lots' })).toMatchObject({ tls_verify: 'maybe', max_redirects: 'lots' });
    expect(parsed('http', 'http://127.0.0.1:8080/', { 'tls-verify': 'maybe' }).success).toBe(false);
  });

  it('passes the snmp version as text (1, 2c, 3) and keys a flag without value as true', () => {
    const v3 = { version: '3', user: 'opuser', 'auth-protocol': 'sha', 'auth-key': '12345678', oids: '[{oid: 1.3.6.1.2.1.1.3.0}]' };
    expect(parsed('snmp', '127.0.0.1:16161', v3)).toMatchObject({ success: true, data: { version: '3', user: 'opuser', level: 'authNoPriv', oids: [{ oid: '1.3.6.1.2.1.1.3.0' }] } });
    expect(parsed('snmp', '127.0.0.1:16161', { version: '2c', retries: '0', oids: '[{oid: 1.3.6.1.2.1.1.3.0}]' })).toMatchObject({ success: true, data: { version: '2c', retries: 0 } });
    expect(input('udp', '127.0.0.1:5000', { 'expect-no-reply': true })).toMatchObject({ expect_no_reply: true });
  });

  it('reads [ and { as YAML for list and map keys only', () => {
    expect(input('tcp', '127.0.0.1:22', { tls: '{servername: db.internal, verify: true}' })).toMatchObject({ tls: { servername: 'db.internal', verify: true } });
    expect(input('http', 'http://127.0.0.1:8080/', { headers: '{Accept: text/plain}' })).toMatchObject({ headers: { Accept: 'text/plain' } });
    expect(input('dns', 'example.test', { 'expect-rcode': '[NOERROR, NXDOMAIN]' })).toMatchObject({ expect_rcode: ['NOERROR', 'NXDOMAIN'] });
    // A regex key: the text is the pattern, not a YAML list.
    expect(input('http', 'http://127.0.0.1:8080/', { 'expect-body': '[0-9]+ ok' })).toMatchObject({ expect_body: '[0-9]+ ok' });
  });

  it('types each value of a repeated flag, and makes one value a list where only a list will do', () => {
    expect(input('icmp', '', { hosts: ['127.0.0.1', '127.0.0.2'], count: '2' })).toMatchObject({ hosts: ['127.0.0.1', '127.0.0.2'], count: 2 });
    expect(input('icmp', '', { hosts: '127.0.0.1' })).toMatchObject({ hosts: ['127.0.0.1'] });
    expect(input('http', 'http://127.0.0.1:8080/', { 'expect-status': ['200', '301'] })).toMatchObject({ expect_status: ['200', '301'] });
    expect(parsed('http', 'http://127.0.0.1:8080/', { 'expect-status': '204' })).toMatchObject({ success: true, data: { expect_status: [{ min: 204, max: 204 }] } });
  });

  it('fills the type target key from TARGET and skips the options of check itself', () => {
    const argv = { ...argvOf('dns', 'example.test', { server: '127.0.0.1:5353' }), warning: ['rtt_ms=5'], critical: ['rtt_ms=9'], help: false };
    expect(checkConfigInput('dns', argv, CHECK_TYPES.get('dns')!.schema)).toEqual({ name: 'example.test', server: '127.0.0.1:5353' });
  });
});
