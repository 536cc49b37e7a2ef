import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from './config.js';

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

  it.each([
    ['invalid YAML', 'agent: [unclosed', /agent\.yaml: \(top level\): invalid YAML at line 1 column 17: Flow sequence in block collection must be sufficiently indented and end with a \]$/],
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
  ])('rejects %s with the file, the key and what was expected', (_, text, message) => {
    expect(errorOf(text)).toMatch(message);
  });

  it('accepts plain ws only with insecure: true', () => {
    const cfg = parseAgentConfig(config().replace('wss://', 'ws://').replace('collector:\n', 'collector:\n  insecure: true\n'), 'a.yaml');
    expect(cfg.collector.insecure).toBe(true);
    expect(cfg.collector.urls[0]).toMatch(/^ws:\/\//);
  });
});
