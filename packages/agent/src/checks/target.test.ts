import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort } from './target.js';

describe('parseHostPort / formatHostPort', () => {
  it('reads names, IPv4 and IPv6 targets with and without a port', () => {
    expect(parseHostPort('127.0.0.1:502')).toEqual({ host: '127.0.0.1', port: 502 });
    expect(parseHostPort('plc-7.plant:502')).toEqual({ host: 'plc-7.plant', port: 502 });
    expect(parseHostPort('plc-7.plant', 161)).toEqual({ host: 'plc-7.plant', port: 161 });
    expect(parseHostPort('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseHostPort('::1', 443)).toEqual({ host: '::1', port: 443 });
    expect(parseHostPort('::', 22)).toEqual({ host: '::', port: 22 });
    expect(parseHostPort('fe80::1%eth0', 22)).toEqual({ host: 'fe80::1%eth0', port: 22 });
    expect(parseHostPort('::ffff:192.0.2.1', 80)).toEqual({ host: '::ffff:192.0.2.1', port: 80 });
    expect(parseHostPort('2001:db8::7', 80)).toEqual({ host: '2001:db8::7', port: 80 });
  });

  it('refuses what is not a target', () => {
    for (const text of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', 'host:x', '[192.0.2.1]:80', '[::1', 'a b:80', '::1', '2001:db8::zz']) {
      expect(parseHostPort(text), text).toBeUndefined();
    }
  });

  it('brackets IPv6 literals only', () => {
    expect(formatHostPort({ host: '::1', port: 443 })).toBe('[::1]:443');
    expect(formatHostPort({ host: '::ffff:192.0.2.1', port: 80 })).toBe('[::ffff:192.0.2.1]:80');
    expect(formatHostPort({ host: '192.0.2.1', port: 80 })).toBe('192.0.2.1:80');
    expect(formatHostPort({ host: 'plc-7.plant', port: 502 })).toBe('plc-7.plant:502');
  });
});
