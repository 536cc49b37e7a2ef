import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from './config.js';
import { mergeConfig } from './remote-config.js';

const KEY = 'ed25519:rT4BQS1R-5Gwqp5T80dx2MaN-IUSctQp5lZDUgFymog';
const FP = '7c17e65805c9b9f18361aa7b0c076a95342ba8275195d849d496609a5adbd177';

function config(extra = '', checks = '  - { type: tcp, target: "127.0.0.1:22" }'): string {
  return `agent:
  name: lab-1
collector:
  url: wss://127.0.0.1:41121
  key: ${KEY}
  tls_fingerprint: ${FP}
${extra}checks:
${checks}
`;
}

function errorOf(text: string): string {
  try {
    parseAgentConfig(text, '/etc/outpost/agent.yaml');
  } catch (err: unknown) {
    expect(err).toMatchObject({ code: 'OUTPOST_ERR_CONFIG' });
    return (err as Error).message;
  }
  throw new Error('config was accepted');
}

describe('agent config', () => {
  it('resolves defaults, ids, durations and the collector URL', () => {
    const cfg = parseAgentConfig(config('defaults: { interval: 30s, timeout: 2s }\n'), '/etc/outpost/agent.yaml');
    expect(cfg.name).toBe('lab-1');
    expect(cfg.dataDir).toBe('/etc/outpost/data');
    expect(cfg.collector.urls).toEqual(['wss://127.0.0.1:41121/outpost/v1']);
    expect(cfg.collector.tlsFingerprint).toBe(FP);
    expect(cfg.checks).toHaveLength(1);
    expect(cfg.checks[0]).toMatchObject({ id: 'tcp:127.0.0.1:22', intervalMs: 30_000, timeoutMs: 2_000, jitterMs: 3_000 });
    expect(cfg.checks[0]!.config).toEqual({ target: { host: '127.0.0.1', port: 22 }, expect: 'open' });
    expect(cfg.uplink.window).toBe(8);
  });

  it("hashes a check's config with what it runs with: a new interval from defaults is a new config hash, a moved comment is not", () => {
    const hash = (extra: string, checks?: string) => parseAgentConfig(config(extra, checks), 'a.yaml').checks[0]!.configHash;
    const base = hash('defaults: { interval: 30s }\n');
    expect(hash('defaults: { interval: 30s }\n')).toBe(base);
    expect(hash('defaults: { interval: 30s }\n', '  - { type: tcp, target: "127.0.0.1:22" } # ssh')).toBe(base);
    expect(hash('defaults: { interval: 1h }\n')).not.toBe(base);
    expect(hash('defaults: { interval: 30s, timeout: 9s }\n')).not.toBe(base);
    expect(hash('defaults: { interval: 30s }\n', '  - { type: tcp, target: "127.0.0.1:22", interval: 30s }')).not.toBe(base);
  });

  it('takes what the yaml package takes where js-yaml is stricter: a tab inside braces, an empty file', () => {
    const cfg = parseAgentConfig(config('', '  - {\tid: ssh,\ttype: tcp, target: "127.0.0.1:22" }'), '/etc/outpost/agent.yaml');
    expect(cfg.checks.map((c) => c.id)).toEqual(['ssh']);
    expect(() => parseAgentConfig('', '/etc/outpost/agent.yaml')).toThrow(/agent\.yaml: agent: expected object/);
  });

  it('reads YAML 1.2 core: a date-like id and yes/no stay text', () => {
    const cfg = parseAgentConfig(config('', '  - { id: 2026-11-29, type: tcp, target: "127.0.0.1:22" }\n  - { id: no, type: tcp, target: "127.0.0.1:23" }'), '/etc/outpost/agent.yaml');
    expect(cfg.checks.map((c) => c.id)).toEqual(['2026-11-29', 'no']);
  });

  it.each([
    ['invalid YAML', 'agent: [unclosed', /agent\.yaml: \(top level\): invalid YAML at line 1 column 17: Flow sequence in block collection must be sufficiently indented and end with a \]$/],
    ['a key given twice', config('agent: { name: lab-2 }\n'), /agent\.yaml: \(top level\): invalid YAML at line \d+ column 1: Map keys must be unique$/],
    ['a tab in the indentation', 'agent:\n\tname: a\n', /invalid YAML at line 2 column 1: Tabs are not allowed as indentation$/],
    ['two documents in one file', 'agent: { name: a }\n---\nagent: { name: b }\n', /invalid YAML at line 2 column 1: Source contains multiple documents$/],
    ['an unknown top-level key', config('colector: {}\n'), /agent\.yaml: \(top level\): unknown key "colector"/],
    ['an unknown check key', config('', '  - { type: tcp, target: "127.0.0.1:22", expct: open }'), /checks\[0\]: unknown key "expct"/],
    ['an unknown check type', config('', '  - { type: tcpp, target: "127.0.0.1:22" }'), /checks\[0\]\.type: unknown check type "tcpp", expected one of/],
    ['a malformed target', config('', '  - { type: tcp, target: "127.0.0.1" }'), /checks\[0\]\.target: expected "host:port" with a port in 1-65535, got "127\.0\.0\.1"/],
    ['a port out of range', config('', '  - { type: tcp, target: "127.0.0.1:70000" }'), /checks\[0\]\.target: expected "host:port"/],
    ['a bad expectation', config('', '  - { type: tcp, target: "127.0.0.1:22", expect: maybe }'), /checks\[0\]\.expect: /],
    ['a bad duration', config('', '  - { type: tcp, target: "127.0.0.1:22", interval: soon }'), /checks\[0\]\.interval: expected a duration such as "500ms"/],
    ['a duplicate id', config('', '  - { id: a, type: tcp, target: "127.0.0.1:22" }\n  - { id: a, type: tcp, target: "127.0.0.1:23" }'), /checks\[1\]\.id: duplicate check id "a" \(also checks\[0\]\)/],
    ['a wrong collector key', config().replace(KEY, 'abc'), /collector\.key: collector key "abc" is not an Ed25519 key/],
    ['a wrong fingerprint', config().replace(FP, 'deadbeef'), /collector\.tls_fingerprint: TLS fingerprint "deadbeef" is not a SHA-256/],
    ['plain ws without insecure', config().replace('wss://', 'ws://'), /collector\.url: plain ws:\/\/ sends results unencrypted/],
    ['a bad agent name', config().replace('lab-1', 'lab 1'), /agent\.name: expected 1-64 letters/],
    ['a missing collector section', 'agent: { name: a }\n', /collector: expected object/],
    ['a bad regex in a conversation', config('', '  - { type: tcp, target: "127.0.0.1:25", steps: [{ expect: "^(250" }] }'), /checks\[0\]\.steps\[0\].*invalid regex/i],
    ['an invalid hex string', config('', '  - { type: tcp, target: "127.0.0.1:25", steps: [{ send_hex: "zz 01" }] }'), /checks\[0\]\.steps\[0\].*hex/i],
    ['a CIDR wider than allowed', config('', '  - { type: exposure, targets: "192.0.2.0/8", ports: "22" }'), /checks\[0\]\.targets: .*(wider|\/8)/],
    ['an SNMP v3 user without keys', config('', '  - { type: snmp, target: "127.0.0.1:161", version: 3, user: mon, level: authPriv, oids: [{ oid: "1.3.6.1.2.1.1.1.0" }] }'), /checks\[0\]\.(auth_key|auth_protocol|priv_key|priv_protocol|level).*/],
    ['a bad udp port', config('', '  - { type: udp, target: "127.0.0.1:0", send: "x", expect: "y" }'), /checks\[0\]\.target: /],
    ['a bad metric range', config('', '  - { type: tcp, target: "127.0.0.1:22", critical: { connect_ms: "fast" } }'), /checks\[0\]\.critical\.connect_ms: expected a Nagios range/],
    ['a bad metric name', config('', '  - { type: tcp, target: "127.0.0.1:22", critical: { "connect ms": 500 } }'), /checks\[0\]\.critical\.connect ms: expected a metric name of 1-64 letters, digits, "_", "\." or "-", got "connect ms"$/],
  ])('rejects %s with the file, the key and what was expected', (_, text, message) => {
    expect(errorOf(text)).toMatch(message);
  });

  it.each([
    ['a typo', '{ type: tcp, target: "127.0.0.1:22", critical: { conect_ms: 500 } }', 'critical.conect_ms: tcp checks emit connect_ms; got "conect_ms"'],
    ['a metric of another check type', '{ type: tcp, target: "127.0.0.1:22", warning: { connect_ms: 100, rtt_avg_ms: 50 } }', 'warning.rtt_avg_ms: tcp checks emit connect_ms; got "rtt_avg_ms"'],
    [
      'a conversation metric that is not a step',
      '{ type: tcp, target: "127.0.0.1:25", steps: [{ expect: "^220" }, { send: "QUIT\\r\\n" }], warning: { total: 5 } }',
      'warning.total: tcp checks emit bytes_received, bytes_sent, connect_ms, step1_ms, step2_ms, total_ms; got "total"',
    ],
    [
      'a step the conversation does not have',
      '{ type: tcp, target: "127.0.0.1:25", steps: [{ expect: "^220" }], critical: { step2_ms: 5 } }',
      'critical.step2_ms: tcp checks emit bytes_received, bytes_sent, connect_ms, step1_ms, total_ms; got "step2_ms"',
    ],
    ["one host's minimum on a sweep", '{ type: icmp, hosts: [127.0.0.1, 127.0.0.2], critical: { rtt_min_ms: 5 } }', 'critical.rtt_min_ms: icmp checks emit hosts_down, hosts_up, loss_pct, rtt_avg_ms, rtt_max_ms; got "rtt_min_ms"'],
    ['an OID name the check does not give', '{ type: snmp, target: "127.0.0.1:161", oids: [{ oid: "1.3.6.1.2.1.1.3.0", name: uptime }], critical: { sysUpTime: "6000:" } }', 'critical.sysUpTime: snmp checks emit response_ms, uptime; got "sysUpTime"'],
    [
      'TLS time on plain HTTP that cannot redirect',
      '{ type: http, url: "http://127.0.0.1:8080/", follow_redirects: false, warning: { tls_ms: 50 } }',
      'warning.tls_ms: http checks emit body_bytes, body_truncated, connect_ms, dns_ms, redirects, status_code, total_ms, ttfb_ms; got "tls_ms"',
    ],
  ])('refuses a threshold on a metric the check never emits: %s', (_, check, message) => {
    expect(errorOf(config('', `  - ${check}`))).toBe(`/etc/outpost/agent.yaml: checks[0].${message}`);
  });

  it('accepts thresholds on every kind of metric a check declares', () => {
    const checks = [
      '  - { type: tcp, target: "127.0.0.1:25", steps: [{ expect: "^220" }, { starttls: true }], critical: { step2_ms: 500, tls_handshake_ms: 200, bytes_received: "~:4096" } }',
      '  - { type: icmp, hosts: [127.0.0.1, 127.0.0.2], warning: { hosts_down: 0 } }',
      '  - { type: snmp, target: "127.0.0.1:161", oids: [{ oid: "1.3.6.1.2.1.1.3.0", name: uptime }, { oid: ".1.3.6.1.2.1.1.7.0" }], critical: { uptime: "6000:", 1.3.6.1.2.1.1.7.0: "72" } }',
      '  - { type: http, url: "http://127.0.0.1:8080/", warning: { tls_ms: 50, cert_days_left: "30:" } }',
      '  - { type: exposure, targets: 127.0.0.1, ports: "22", critical: { newly_open: 0 } }',
    ].join('\n');
    const cfg = parseAgentConfig(config('', checks), '/etc/outpost/agent.yaml');
    expect(cfg.checks.map((check) => Object.keys({ ...check.thresholds.warning, ...check.thresholds.critical }))).toEqual([
      ['step2_ms', 'tls_handshake_ms', 'bytes_received'],
      ['hosts_down'],
      ['uptime', '1.3.6.1.2.1.1.7.0'],
      ['tls_ms', 'cert_days_left'],
      ['newly_open'],
    ]);
  });

  it('refuses such a threshold in a pushed remote config, which goes through the same parser', () => {
    const remote = 'checks:\n  - { type: dns, server: 127.0.0.1, name: example.test, critical: { rtt_ms: 100 } }\n';
    expect(errorOf(mergeConfig(config(), remote, []))).toBe(
      '/etc/outpost/agent.yaml: checks[0].critical.rtt_ms: dns checks emit answers, ignored_replies, query_ms, udp_ms; got "rtt_ms"',
    );
  });

  it('accepts plain ws only with insecure: true', () => {
    const cfg = parseAgentConfig(config().replace('wss://', 'ws://').replace('collector:\n', 'collector:\n  insecure: true\n'), 'a.yaml');
    expect(cfg.collector.insecure).toBe(true);
    expect(cfg.collector.urls[0]).toMatch(/^ws:\/\//);
  });
});
