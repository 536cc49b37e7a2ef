import { describe, expect, it } from 'vitest';
import { pluginOutput, unknownOutput } from './nagios.js';
import { parseNagiosRange } from './checks/thresholds.js';

describe('Nagios plugin output', () => {
  it('is one line with the perfdata after the only |, whatever the message holds', () => {
    // OpenSSL's error text as Node gives it: a queue dump ending in a newline.
    const message = '127.0.0.1:8443 handshake failed: ERR_SSL_WRONG_VERSION_NUMBER 80:error:0A00010B:SSL routines::wrong version number:ssl3_record.c:350:\n after 44.5 ms';
    const line = pluginOutput('tls', { status: 'CRITICAL', observation: 'error', message, metrics: { handshake_ms: 44.5 } });
    expect(line).toBe('TLS CRITICAL - 127.0.0.1:8443 handshake failed: ERR_SSL_WRONG_VERSION_NUMBER 80:error:0A00010B:SSL routines::wrong version number:ssl3_record.c:350: after 44.5 ms | handshake_ms=44.5ms;;;;');
    const crlf = pluginOutput('http', { status: 'CRITICAL', observation: 'mismatch', message: 'body does not match /up|ok/\r\n\r\nseen: down\n', metrics: {} });
    expect(crlf).toBe('HTTP CRITICAL - body does not match /up\u00a6ok/ seen: down');
    expect(crlf.split('|')).toHaveLength(1);
  });

  it('carries the configured ranges into the perfdata', () => {
    const line = pluginOutput('tcp', { status: 'OK', observation: 'open', message: '127.0.0.1:22 open in 0.3 ms', metrics: { connect_ms: 0.3 } }, { critical: { connect_ms: parseNagiosRange('500')! } });
    expect(line).toBe('TCP OK - 127.0.0.1:22 open in 0.3 ms | connect_ms=0.3ms;;500;;');
  });

  it('says UNKNOWN with or without a type, and as JSON when asked', () => {
    expect(unknownOutput('snmp', 'user: expected a user\nfor version 3', false)).toBe('SNMP UNKNOWN - user: expected a user for version 3');
    expect(unknownOutput(undefined, 'Not enough non-option arguments', false)).toBe('UNKNOWN - Not enough non-option arguments');
    expect(JSON.parse(unknownOutput('tcp', 'bad', true))).toEqual({ status: 'UNKNOWN', observation: 'usage', message: 'bad' });
  });
});
