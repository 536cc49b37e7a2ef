import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from './check.js';
import { escapeBytes, parseEscapedText, parseHexBytes } from './bytes-text.js';
import { udpCheck, udpSchema, UDP_LIMITS, type UdpConfig } from './udp.js';
import { closedUdpPort, echo, silent, startUdpPeer, type UdpTestPeer } from './udp-test-peers.js';

const peers: UdpTestPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
});

async function peer(...args: Parameters<typeof startUdpPeer>): Promise<UdpTestPeer> {
  const started = await startUdpPeer(...args);
  peers.push(started);
  return started;
}

function config(input: Record<string, unknown>): UdpConfig {
  return udpSchema.parse(input);
}

/** Run with a generous scheduler timeout; the check's own step timeouts decide the outcome. */
async function run(input: Record<string, unknown>, timeoutMs = 30_000): Promise<Observation> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await udpCheck.run(config(input), { signal: controller.signal, timeoutMs });
  } finally {
    clearTimeout(timer);
  }
}

const transcriptOf = (result: Observation) => new TextDecoder().decode(result.transcript ?? new Uint8Array());
const configError = (input: Record<string, unknown>) => {
  const parsed = udpSchema.safeParse(input);
  expect(parsed.success).toBe(false);
  return parsed.error!.issues.map((issue) => issue.message).join('; ');
};

describe('parseEscapedText', () => {
  it('turns escapes into bytes and other text into UTF-8', () => {
    const parsed = parseEscapedText('PING\\r\\n\\t\\0\\\\\\x7f\\xFFé');
    expect('bytes' in parsed && [...parsed.bytes]).toEqual([0x50, 0x49, 0x4e, 0x47, 0x0d, 0x0a, 0x09, 0x00, 0x5c, 0x7f, 0xff, 0xc3, 0xa9]);
  });

  it('refuses unknown or incomplete escapes with the offset', () => {
    expect(parseEscapedText('ab\\q')).toEqual({ error: expect.stringContaining('offset 2') });
    expect(parseEscapedText('ab\\x4')).toEqual({ error: expect.stringContaining('got "\\x4"') });
    expect(parseEscapedText('ab\\')).toEqual({ error: expect.stringContaining('trailing backslash') });
  });

  it('parses hex with spaces or colons and refuses odd digits', () => {
    const parsed = parseHexBytes('de ad:BE ef');
    expect('bytes' in parsed && [...parsed.bytes]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(parseHexBytes('abc')).toEqual({ error: expect.stringContaining('pairs of hex digits') });
  });

  it('shows bytes escaped and cut after the limit', () => {
    expect(escapeBytes(Buffer.from('a"\r\n\x01'), 20)).toBe('a\\"\\r\\n\\x01');
    expect(escapeBytes(Buffer.alloc(100, 0x41), 4)).toBe('AAAA…');
  });
});

describe('udp config', () => {
  it('turns the short form into one round with a 2s step timeout', () => {
    const parsed = config({ target: '127.0.0.1:53', send: 'hi\\n', expect: '^hi' });
    expect(parsed.step_timeout).toBe(2_000);
    expect(parsed.expect_no_reply).toBe(false);
    expect(parsed.steps.map((step) => step.kind)).toEqual(['send', 'expect']);
    expect(udpCheck.describe(parsed)).toBe('127.0.0.1:53');
  });

  it('rejects ports outside 1-65535 and bad targets', () => {
    expect(configError({ target: '127.0.0.1:0', send: 'x', expect: 'x' })).toContain('port in 1-65535, got "127.0.0.1:0"');
    expect(configError({ target: '127.0.0.1:65536', send: 'x', expect: 'x' })).toContain('port in 1-65535');
    expect(configError({ target: 'no port here', send: 'x', expect: 'x' })).toContain('expected "host:port"');
  });

  it('rejects bad regexes, stateful flags and bad escapes', () => {
    expect(configError({ target: '127.0.0.1:7', send: 'x', expect: '(' })).toContain('expected a regular expression, got "("');
    expect(configError({ target: '127.0.0.1:7', send: 'x', expect: 'x', flags: 'g' })).toContain('regex flags');
    expect(configError({ target: '127.0.0.1:7', steps: [{ send: 'x' }, { expect: '[', flags: 'i' }] })).toContain('regular expression');
    expect(configError({ target: '127.0.0.1:7', send: 'bad \\q', expect: 'x' })).toContain('escape');
    expect(configError({ target: '127.0.0.1:7', send_hex: 'zz', expect: 'x' })).toContain('hex digits');
  });

  it('rejects conversations that mix forms, start with an expect, or expect nothing', () => {
    expect(configError({ target: '127.0.0.1:7', steps: [{ send: 'x' }], send: 'y' })).toContain('either steps or the short form');
    expect(configError({ target: '127.0.0.1:7', steps: [{ expect: 'x' }, { send: 'x' }] })).toContain('first step');
    expect(configError({ target: '127.0.0.1:7', send: 'x' })).toContain('expect_no_reply');
    expect(configError({ target: '127.0.0.1:7', send: 'x', send_hex: '00', expect: 'x' })).toContain('exactly one of send and send_hex');
    expect(configError({ target: '127.0.0.1:7', steps: [{ send: 'x', expect: 'x' }] })).not.toBe('');
    expect(configError({ target: '127.0.0.1:7', send: 'x', expect: 'x', bogus: 1 })).toMatch(/bogus/);
  });

  it('bounds rounds and datagram sizes', () => {
    const rounds = Array.from({ length: UDP_LIMITS.maxRounds + 1 }, () => ({ send: 'x' }));
    expect(configError({ target: '127.0.0.1:7', steps: rounds })).toContain(`at most ${UDP_LIMITS.maxRounds} sends, got 33`);
    const big = 'aa'.repeat(UDP_LIMITS.maxDatagramBytes + 1);
    expect(configError({ target: '127.0.0.1:7', send_hex: big, expect: 'x' })).toContain(`at most ${UDP_LIMITS.maxDatagramBytes} bytes`);
  });
});

describe('udp check on real sockets', () => {
  it('matches an echo reply and sends the escaped bytes on the wire', async () => {
    const server = await peer(echo);
    const result = await run({ target: `127.0.0.1:${server.port}`, send: 'PING\\r\\n\\x00', expect: '^ping\\r\\n\\x00$', flags: 'i' });
    expect(result).toMatchObject({ status: 'OK', observation: 'ok' });
    expect([...server.received[0]!]).toEqual([0x50, 0x49, 0x4e, 0x47, 0x0d, 0x0a, 0x00]);
    expect(result.metrics.round1_ms).toBeGreaterThanOrEqual(0);
    expect(result.metrics.rtt_ms).toBeGreaterThanOrEqual(0);
    expect(result.transcript).toBeUndefined();
  });

  it('runs several rounds on one socket, with hex and byte expectations', async () => {
    const counter = await peer((datagram, index) => [Buffer.concat([Buffer.from(`#${index + 1} `), datagram])]);
    const result = await run({
      target: `127.0.0.1:${counter.port}`,
      steps: [{ send: 'hello' }, { expect: '^#1 hello$' }, { send_hex: 'ca fe' }, { expect_bytes: '23 32 20 ca fe' }, { send: 'bye' }, { expect: '^#3 bye' }],
    });
    expect(result).toMatchObject({ status: 'OK', observation: 'ok' });
    expect(Object.keys(result.metrics).sort()).toEqual(['round1_ms', 'round2_ms', 'round3_ms', 'rtt_ms']);
    expect(counter.received.map((d) => d.toString('hex'))).toEqual([Buffer.from('hello').toString('hex'), 'cafe', Buffer.from('bye').toString('hex')]);
  });

  it('reads the next datagram for each expect when one send brings several', async () => {
    const chatty = await peer(() => [Buffer.from('part one'), Buffer.from('part two')]);
    const result = await run({ target: `127.0.0.1:${chatty.port}`, steps: [{ send: 'go' }, { expect: 'one$' }, { expect: 'two$' }] });
    expect(result).toMatchObject({ status: 'OK', observation: 'ok' });
  });

  it('reports a wrong reply as mismatch with the reply escaped and cut', async () => {
    const wrong = await peer(() => [Buffer.concat([Buffer.from('ERR\r\n'), Buffer.alloc(1_000, 0x7a)])]);
    const result = await run({ target: `127.0.0.1:${wrong.port}`, send: 'PING', expect: '^PONG' });
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'mismatch' });
    expect(result.message).toContain(`127.0.0.1:${wrong.port} round 1: reply "ERR\\r\\nzz`);
    expect(result.message).toContain(`…(+${1_005 - UDP_LIMITS.maxMessageBytes} bytes) did not match /^PONG/`);
    expect(result.metrics.round1_ms).toBeGreaterThanOrEqual(0);
    const transcript = transcriptOf(result);
    expect(transcript).toContain('> round 1: 4 bytes "PING"');
    expect(transcript).toContain('< 1005 bytes after');
    expect(transcript).toContain('! expected /^PONG/');
    expect(result.transcript!.length).toBeLessThanOrEqual(UDP_LIMITS.maxTranscriptBytes + 64);
  });

  it('reports ICMP port unreachable from a closed port', async () => {
    const port = await closedUdpPort();
    const result = await run({ target: `127.0.0.1:${port}`, send: 'anyone?', expect: '.' });
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'port_unreachable' });
    expect(result.message).toContain('port unreachable (ICMP) in round 1');
    expect(transcriptOf(result)).toContain('! port unreachable');
  });

  it('reports no_reply when a silent server lets the step timeout pass', async () => {
    const quiet = await peer(silent);
    const result = await run({ target: `127.0.0.1:${quiet.port}`, send: 'hello?', expect: '.', step_timeout: '300ms' });
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'no_reply' });
    expect(result.message).toContain('no reply in round 1 within 300 ms');
    expect(quiet.received).toHaveLength(1);
  });

  it('honours an abort long before the step timeout and returns no_reply', async () => {
    const quiet = await peer(silent);
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 200);
    const cfg = config({ target: `127.0.0.1:${quiet.port}`, send: 'hello?', expect: '.', step_timeout: '10m' });
    const result = await udpCheck.run(cfg, { signal: controller.signal, timeoutMs: 200 });
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'no_reply' });
    expect(result.message).toContain('within 200 ms');
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('returns at once when the signal is already aborted', async () => {
    const quiet = await peer(silent);
    const cfg = config({ target: `127.0.0.1:${quiet.port}`, send: 'x', expect: '.', step_timeout: '10m' });
    const result = await udpCheck.run(cfg, { signal: AbortSignal.abort(), timeoutMs: 1 });
    expect(['timeout', 'no_reply']).toContain(result.observation);
    expect(result.status).not.toBe('OK');
  });

  it('passes expect_no_reply on a silent port, and on a closed one', async () => {
    const quiet = await peer(silent);
    const silence = await run({ target: `127.0.0.1:${quiet.port}`, send: 'knock', expect_no_reply: true, step_timeout: '300ms' });
    expect(silence).toMatchObject({ status: 'OK', observation: 'no_reply' });
    expect(silence.metrics.silence_ms).toBeGreaterThanOrEqual(290);
    expect(quiet.received.map(String)).toEqual(['knock']);

    const closed = await run({ target: `127.0.0.1:${await closedUdpPort()}`, send: 'knock', expect_no_reply: true, step_timeout: '5s' });
    expect(closed).toMatchObject({ status: 'OK', observation: 'port_unreachable' });
  });

  it('fails expect_no_reply when the port answers', async () => {
    const server = await peer(() => [Buffer.from('I am here')]);
    const result = await run({ target: `127.0.0.1:${server.port}`, send: 'knock', expect_no_reply: true, step_timeout: '5s' });
    expect(result).toMatchObject({ status: 'CRITICAL', observation: 'reply' });
    expect(result.message).toContain('replied "I am here", expected no reply');
  });

  it('talks to an IPv6 loopback peer', async () => {
    const server = await peer(echo, '::1');
    const result = await run({ target: `[::1]:${server.port}`, send: 'v6', expect: '^v6$' });
    expect(result).toMatchObject({ status: 'OK', observation: 'ok' });
    expect(udpCheck.describe(config({ target: `[::1]:${server.port}`, send: 'v6', expect: 'v6' }))).toBe(`[::1]:${server.port}`);
  });
});
