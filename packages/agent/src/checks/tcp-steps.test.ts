import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from './check.js';
import { tcpCheck, tcpSchema } from './tcp.js';
import { startScriptedServer, type ScriptedServer, type ScriptedServerOptions } from './tcp-test-server.js';
import { mintTestCert, type TestCert } from './tls-test-cert.js';

const servers: ScriptedServer[] = [];
let cert: TestCert;

beforeAll(async () => {
  cert = await mintTestCert({ commonName: 'outpost-tcp-test' });
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: ScriptedServerOptions): Promise<ScriptedServer> {
  const server = await startScriptedServer(options);
  servers.push(server);
  return server;
}

/** Parse like the config loader does, then run once with an overall timeout (the scheduler's job). */
async function check(config: Record<string, unknown>, timeoutMs = 20_000): Promise<Observation> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await tcpCheck.run(tcpSchema.parse(config), { signal: controller.signal, timeoutMs });
  } finally {
    clearTimeout(timer);
  }
}

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe('tcp conversation', () => {
  it('runs an SMTP-like dialogue and reuses a capture in a later send', async () => {
    const server = await serve({
      script: [
        { send: '220 mx.example.test ESMTP ready\r\n' },
        { expect: /\r\n$/ },
        { send: '250-mx.example.test\r\n250-SIZE 1000\r\n250 8BITMIME\r\n' },
        { expect: /\r\n$/ },
        { send: '221 bye\r\n' },
        { close: true },
      ],
    });
    const result = await check({
      target: server.target,
      steps: [
        { send: '' },
        { expect: '^220 (?<host>\\S+)' },
        { send: 'EHLO ${host}\\r\\n' },
        { expect: '^250 ', flags: 'm' },
        { send: 'QUIT\\r\\n' },
        { expect: '^221' },
        { expect_close: true, timeout: '5s' },
      ],
    });
    expect(result.status, result.message).toBe('OK');
    expect(result.observation).toBe('ok');
    expect(result.message).toMatch(/7 steps, 4 rounds/);
    expect(result.transcript).toBeUndefined();
    expect(server.connections[0]!.received.toString('latin1')).toBe('EHLO mx.example.test\r\nQUIT\r\n');
    const replies = '220 mx.example.test ESMTP ready\r\n250-mx.example.test\r\n250-SIZE 1000\r\n250 8BITMIME\r\n221 bye\r\n';
    expect(result.metrics['bytes_received']).toBe(replies.length);
    expect(result.metrics['bytes_sent']).toBe('EHLO mx.example.test\r\nQUIT\r\n'.length);
    for (const key of ['connect_ms', 'total_ms', 'step1_ms', 'step7_ms']) expect(result.metrics[key]).toBeGreaterThanOrEqual(0);
  });

  it('sends hex and escapes byte for byte and matches binary replies by prefix', async () => {
    const server = await serve({ script: [{ expectBytes: 8 }, { send: Buffer.from('cafe0102ff', 'hex') }] });
    const result = await check({
      target: server.target,
      steps: [{ send_hex: 'de ad be ef' }, { send: '\\x41\\0\\t\\\\' }, { expect_bytes: 'ca:fe' }, { expect_bytes: '0102ff' }],
    });
    expect(result.status, result.message).toBe('OK');
    expect(server.connections[0]!.received.toString('hex')).toBe('deadbeef4100095c');
    expect(result.metrics['bytes_received']).toBe(5);
  });

  it('fails a regex mismatch as CRITICAL with a transcript of the dialogue', async () => {
    const server = await serve({ script: [{ send: '220 ready\r\n' }, { expect: /HELO/ }, { send: '554 no service here\r\n' }] });
    const result = await check({
      target: server.target,
      steps: [{ expect: '^220' }, { send: 'HELO x\\r\\n' }, { expect: '^250', timeout: '500ms' }, { send: 'QUIT\\r\\n' }],
    });
    expect(result.status).toBe('CRITICAL');
    expect(result.observation).toBe('mismatch');
    expect(result.message).toContain('step 3 of 4 (expect /^250/)');
    expect(result.message).toContain('got "554 no service here\\r\\n"');
    const transcript = text(result.transcript);
    expect(transcript).toContain('< 220 ready\\r\\n\n');
    expect(transcript).toContain('> HELO x\\r\\n\n');
    expect(transcript).toContain('< 554 no service here\\r\\n\n');
    expect(transcript).toMatch(/! step 3 of 4 \(expect \/\^250\/\): expected \/\^250\/, got "554 no service here\\r\\n"/);
    expect(transcript).not.toContain('QUIT');
    expect(result.metrics['step2_ms']).toBeGreaterThanOrEqual(0);
    expect(result.metrics['step3_ms']).toBeUndefined();
  });

  it('fails a step on its own timeout when the server stalls', async () => {
    const server = await serve({ script: [{ expect: /PING/ }] });
    const result = await check({ target: server.target, steps: [{ send: 'PING\\r\\n' }, { expect: '^PONG', timeout: '300ms' }] });
    expect(result.observation).toBe('timeout');
    expect(result.status).toBe('CRITICAL');
    expect(result.message).toContain('step 2 of 2');
    expect(result.message).toContain('got nothing within 300ms');
    expect(result.metrics['total_ms']).toBeLessThan(15_000);
  });

  it('returns promptly after the scheduler aborts and closes the connection', async () => {
    const server = await serve({ script: [] });
    const controller = new AbortController();
    const config = tcpSchema.parse({ target: server.target, steps: [{ expect: '^hello' }] });
    const running = tcpCheck.run(config, { signal: controller.signal, timeoutMs: 400 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const abortedAt = performance.now();
    controller.abort();
    const result = await running;
    expect(performance.now() - abortedAt).toBeLessThan(10_000);
    expect(result.observation).toBe('timeout');
    expect(result.message).toContain('within the check timeout (400 ms)');
    await server.connections[0]!.closed;
  });

  it('reports a server that closes before the reply as closed_early', async () => {
    const server = await serve({ script: [{ send: '220 hi\r\n' }, { close: true }] });
    const result = await check({
      target: server.target,
      steps: [{ expect: '^220' }, { send: 'EHLO x\\r\\n' }, { expect: '^250' }],
    });
    expect(result.observation).toBe('closed_early');
    expect(result.message).toMatch(/step [23] of 3/);
    expect(text(result.transcript)).toContain('server closed the connection');
  });

  it('passes expect_close when the server hangs up and fails it when it stays open', async () => {
    const closing = await serve({ script: [{ expect: /QUIT/ }, { send: '221 bye\r\n' }, { close: true }] });
    const pass = await check({ target: closing.target, steps: [{ send: 'QUIT\\r\\n' }, { expect_close: true, timeout: '5s' }] });
    expect(pass.status, pass.message).toBe('OK');
    expect(pass.metrics['bytes_received']).toBe(9);

    const staying = await serve({ script: [{ expect: /QUIT/ }, { send: '221 bye\r\n' }] });
    const fail = await check({ target: staying.target, steps: [{ send: 'QUIT\\r\\n' }, { expect_close: true, timeout: '300ms' }] });
    expect(fail.observation).toBe('timeout');
    expect(fail.message).toContain('expected the server to close the connection, it stayed open within 300ms');
  });

  it('passes expect_silence on a quiet server and fails it when data arrives', async () => {
    const quiet = await serve({ script: [] });
    const pass = await check({ target: quiet.target, steps: [{ expect_silence: '300ms' }, { send: 'hi\\n' }] });
    expect(pass.status, pass.message).toBe('OK');
    expect(pass.metrics['step1_ms']).toBeGreaterThanOrEqual(290);

    const chatty = await serve({ script: [{ waitMs: 50 }, { send: 'unexpected banner\r\n' }] });
    const fail = await check({ target: chatty.target, steps: [{ expect_silence: '5s' }] });
    expect(fail.observation).toBe('unexpected_data');
    expect(fail.message).toContain('expected silence for 5s, got "unexpected banner\\r\\n"');
    expect(fail.metrics['total_ms']).toBeLessThan(4_000);
  });

  it('upgrades with STARTTLS in the middle of a conversation and talks over TLS', async () => {
    const script: ScriptedServerOptions['script'] = [
      { send: '220 ready\r\n' },
      { expect: /STARTTLS\r\n/ },
      { send: '220 go ahead\r\n' },
      { starttls: true },
      { expect: /EHLO/ },
      { send: '250 secure hello\r\n' },
    ];
    const server = await serve({ script, tls: cert });
    const steps = [
      { expect: '^220 ready' },
      { send: 'STARTTLS\\r\\n' },
      { expect: '^220 go' },
      { starttls: true, servername: 'localhost' },
      { send: 'EHLO x\\r\\n' },
      { expect: '^250 secure' },
    ];
    const result = await check({ target: server.target, steps });
    expect(result.status, result.message).toBe('OK');
    expect(result.message).toContain('conversation completed (TLS)');
    expect(result.metrics['tls_handshake_ms']).toBeGreaterThan(0);
    const connection = server.connections[0]!;
    expect(connection.receivedOverTls.toString('latin1')).toBe('EHLO x\r\n');
    expect(connection.received.toString('latin1')).toBe('STARTTLS\r\nEHLO x\r\n');

    // The certificate is self-signed, so asking for verification must fail the handshake.
    const strict = await serve({ script, tls: cert });
    const verified = await check({ target: strict.target, steps: steps.map((step) => ('starttls' in step ? { ...step, verify: true } : step)) });
    expect(verified.observation).toBe('tls_failed');
    expect(verified.message).toContain('step 4 of 6 (starttls)');
    expect(verified.message).toMatch(/self.signed/i);
  });

  it('speaks implicit TLS with tls: true', async () => {
    const server = await serve({ script: [{ expect: /PING/ }, { send: 'PONG\r\n' }], tls: cert, implicitTls: true });
    const result = await check({ target: server.target, tls: true, steps: [{ send: 'PING\\r\\n' }, { expect: '^PONG' }] });
    expect(result.status, result.message).toBe('OK');
    expect(server.connections[0]!.receivedOverTls.toString('latin1')).toBe('PING\r\n');

    // tls alone is a handshake check; verify: true refuses the self-signed certificate.
    const handshake = await check({ target: server.target, tls: true });
    expect(handshake.status, handshake.message).toBe('OK');
    expect(handshake.metrics['tls_handshake_ms']).toBeGreaterThan(0);
    const verified = await check({ target: server.target, tls: { verify: true } });
    expect(verified.observation).toBe('tls_failed');
    expect(verified.message).toContain('implicit TLS failed: TLS handshake failed');
  });

  it('fails an expect that receives more than max_receive_bytes without a match', async () => {
    const server = await serve({ script: [{ send: Buffer.alloc(20_000, 0x61) }] });
    const result = await check({ target: server.target, max_receive_bytes: 4096, max_transcript_bytes: 512, steps: [{ expect: 'b' }] });
    expect(result.observation).toBe('mismatch');
    expect(result.message).toContain('within max_receive_bytes 4096');
    expect(result.transcript!.length).toBeLessThanOrEqual(512);
    expect(text(result.transcript)).toContain('! step 1 of 1');
    expect(text(result.transcript)).toContain('transcript truncated');
  });

  it('reports a refused connection before the first step', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await check({ target: `127.0.0.1:${port}`, steps: [{ expect: '^220' }] });
    expect(result.status).toBe('CRITICAL');
    expect(result.observation).toBe('refused');
    expect(result.metrics['connect_ms']).toBeGreaterThanOrEqual(0);
  });

  it('keeps the plain connect form', async () => {
    const server = await serve({ script: [] });
    expect(tcpSchema.parse({ target: server.target })).toEqual({ target: { host: '127.0.0.1', port: server.port }, expect: 'open' });
    const result = await check({ target: server.target, expect: 'open' });
    expect(result.observation).toBe('open');
    expect(result.status).toBe('OK');
  });
});

describe('tcp conversation config', () => {
  const issues = (config: Record<string, unknown>) => {
    const parsed = tcpSchema.safeParse({ target: '127.0.0.1:25', ...config });
    expect(parsed.success).toBe(false);
    return parsed.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
  };

  it('names the step and the problem for a bad regex', () => {
    expect(issues({ steps: [{ send: 'x' }, { expect: '^(250' }] })).toMatch(/steps\.1: step 2 of 2: invalid regex \/\^\(250\/: .*group/i);
    expect(issues({ steps: [{ expect: 'a', flags: 'g' }] })).toContain('step 1 of 1: flags: expected letters from "imsu", got "g"');
  });

  it('names the step for bad hex and bad escapes', () => {
    expect(issues({ steps: [{ send_hex: 'de ad b' }] })).toContain('step 1 of 1: expected pairs of hex digits such as "de ad be ef", got "de ad b"');
    expect(issues({ steps: [{ expect_bytes: 'zz' }] })).toContain('step 1 of 1: expected pairs of hex digits');
    expect(issues({ steps: [{ send: 'a\\q' }] })).toContain('step 1 of 1: unknown escape "\\q" at offset 1');
  });

  it('refuses a capture that no earlier step makes', () => {
    const message = issues({ steps: [{ send: 'EHLO ${host}\\r\\n' }, { expect: '^220 (?<host>\\S+)' }] });
    expect(message).toContain('step 1 of 2: "${host}" is not captured by an earlier expect');
    expect(tcpSchema.safeParse({ target: '127.0.0.1:25', steps: [{ expect: '(?<host>x)' }, { send: '${host}' }] }).success).toBe(true);
  });

  it('refuses unknown keys, two actions and plain-form keys in a conversation', () => {
    expect(issues({ steps: [{ expect: 'a', timout: '1s' }] })).toContain('step 1 of 1 (expect): unknown key "timout" for expect; allowed: expect, flags, timeout');
    expect(issues({ steps: [{ send: 'a', expect: 'b' }] })).toContain('step 1 of 1: has send and expect; a step does one thing');
    expect(issues({ steps: [{ sned: 'a' }] })).toContain('step 1 of 1: expected one action');
    expect(issues({ expect: 'open', steps: [] })).toContain('expect: expect: open is for the plain connect form');
    expect(issues({ max_receive_bytes: 1000 })).toContain('applies only to a conversation');
  });
});
