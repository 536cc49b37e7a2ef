import { describe, expect, it } from 'vitest';
import { formatPortList, parsePortList, parseTargetList } from './port-list.js';

describe('parsePortList', () => {
  it('parses lists, ranges and open-ended ranges into sorted unique ports', () => {
    expect(parsePortList('443, 22,80,8000-8002,22')).toEqual({ ok: true, value: [22, 80, 443, 8000, 8001, 8002] });
    expect(parsePortList(22)).toEqual({ ok: true, value: [22] });
    expect(parsePortList('')).toEqual({ ok: true, value: [] });
    const all = parsePortList('-');
    expect(all.ok && all.value.length).toBe(65_535);
    expect(all.ok && [all.value[0], all.value.at(-1)]).toEqual([1, 65_535]);
    expect(parsePortList('1-65535,1-65535')).toEqual(all);
    expect(parsePortList('-3')).toEqual({ ok: true, value: [1, 2, 3] });
    expect(parsePortList('65534-')).toEqual({ ok: true, value: [65_534, 65_535] });
  });

  it('says what was expected and what was got', () => {
    expect(parsePortList('90-80')).toEqual({ ok: false, error: 'port range "90-80" ends before it starts' });
    expect(parsePortList('0')).toEqual({ ok: false, error: 'expected ports in 1-65535, got 0 in "0"' });
    expect(parsePortList('1-65536')).toEqual({ ok: false, error: 'expected ports in 1-65535, got 65536 in "1-65536"' });
    expect(parsePortList('22,,80')).toMatchObject({ ok: false, error: expect.stringContaining('bad item ""') });
    expect(parsePortList('ssh')).toMatchObject({ ok: false, error: expect.stringContaining('got "ssh"') });
  });

  it('formats ports back into compact ranges', () => {
    expect(formatPortList([22, 80, 81, 82, 443, 8000, 8001])).toBe('22,80-82,443,8000-8001');
    expect(formatPortList([])).toBe('');
    const all = parsePortList('1-65535');
    expect(all.ok && formatPortList(all.value)).toBe('1-65535');
  });
});

describe('parseTargetList', () => {
  it('expands IPv4 CIDRs without network and broadcast addresses', () => {
    expect(parseTargetList('10.231.0.0/30')).toEqual({ ok: true, value: ['10.231.0.1', '10.231.0.2'] });
    expect(parseTargetList('10.231.0.7/31')).toEqual({ ok: true, value: ['10.231.0.6', '10.231.0.7'] });
    expect(parseTargetList('10.231.0.7/32')).toEqual({ ok: true, value: ['10.231.0.7'] });
    const wide = parseTargetList('10.231.0.0/16');
    expect(wide.ok && wide.value.length).toBe(65_534);
    expect(wide.ok && [wide.value[0], wide.value.at(-1)]).toEqual(['10.231.0.1', '10.231.255.254']);
  });

  it('accepts lists of addresses, IPv6 literals and names, without duplicates', () => {
    expect(parseTargetList('127.0.0.1, ::1 [::1] db.lan 127.0.0.1')).toEqual({ ok: true, value: ['127.0.0.1', '::1', 'db.lan'] });
    expect(parseTargetList(['2001:db8::/126', 'fe80:0:0:0:0:0:0:1'])).toEqual({
      ok: true,
      value: ['2001:db8::', '2001:db8::1', '2001:db8::2', '2001:db8::3', 'fe80::1'],
    });
    expect(parseTargetList('::ffff:10.0.0.1')).toEqual({ ok: true, value: ['::ffff:a00:1'] });
  });

  it('rejects ranges wider than allowed and things that are not targets', () => {
    expect(parseTargetList('10.0.0.0/15')).toEqual({ ok: false, error: 'CIDR 10.0.0.0/15 is wider than the allowed /16 (max_cidr_prefix 16)' });
    expect(parseTargetList('10.0.0.0/24', { maxCidrPrefix: 28 })).toMatchObject({ ok: false, error: expect.stringContaining('wider than the allowed /28') });
    expect(parseTargetList('2001:db8::/64')).toMatchObject({ ok: false, error: expect.stringContaining('wider than the allowed /112') });
    expect(parseTargetList('10.0.0.0/33')).toMatchObject({ ok: false, error: expect.stringContaining('at most 32') });
    expect(parseTargetList('300.1.1.1')).toMatchObject({ ok: false, error: expect.stringContaining('"300.1.1.1"') });
    expect(parseTargetList('host/24')).toMatchObject({ ok: false, error: expect.stringContaining('expected an IP address before "/24"') });
    expect(parseTargetList(' , ')).toMatchObject({ ok: false, error: expect.stringContaining('at least one target') });
    expect(parseTargetList('10.0.0.0/24 10.0.1.0/24', { maxHosts: 300 })).toMatchObject({ ok: false });
  });
});
