import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from './check.js';
import { decodeHtmlEntities, pandoraToSteps } from './pandora.js';
import { tcpCheck, tcpSchema } from './tcp.js';
import { startScriptedServer, type ScriptedServer, type ServerAction } from './tcp-test-server.js';

const servers: ScriptedServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(script: ServerAction[]): Promise<ScriptedServer> {
  const server = await startScriptedServer({ script });
  servers.push(server);
  return server;
}

async function runPandora(target: string, tcp_send: string, tcp_rcv: string, timeoutMs = 5_000): Promise<Observation> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const config = tcpSchema.parse({ target, pandora: { tcp_send, tcp_rcv } });
    return await tcpCheck.run(config, { signal: controller.signal, timeoutMs });
  } finally {
    clearTimeout(timer);
  }
}

// An SSH server answering a non-SSH client line, as OpenSSH does.
const SSH_LIKE: ServerAction[] = [{ send: 'SSH-2.0-OpenSSH_9.6\r\n' }, { expect: /\n/ }, { send: 'Protocol mismatch.\n' }, { close: true }];

describe('pandoraToSteps', () => {
  it('translates the SSH example from the Pandora help text', () => {
    expect(pandoraToSteps({ tcp_send: '|none^M', tcp_rcv: 'SSH-2.0|Protocol mismatch' })).toEqual([
      { expect: 'SSH-2.0', flags: 'i' },
      { send: 'none\\r\\n' },
      { expect: 'Protocol mismatch', flags: 'i' },
    ]);
  });

  it('means "port open" when both fields are empty', () => {
    expect(pandoraToSteps({ tcp_send: '', tcp_rcv: '' })).toEqual([]);
  });

  it('pairs like Pandora: extra receives are ignored, a missing or empty receive ends with success', () => {
    expect(pandoraToSteps({ tcp_send: '', tcp_rcv: 'a|b' })).toEqual([{ expect: 'a', flags: 'i' }]);
    expect(pandoraToSteps({ tcp_send: 'HELO x^M|QUIT^M', tcp_rcv: '^250' })).toEqual([
      { send: 'HELO x\\r\\n' },
      { expect: '^250', flags: 'i' },
      { send: 'QUIT\\r\\n' },
    ]);
    expect(pandoraToSteps({ tcp_send: 'a|b', tcp_rcv: '|x' })).toEqual([{ send: 'a' }]);
    // Perl's split drops trailing empty fields.
    expect(pandoraToSteps({ tcp_send: 'GET / HTTP/1.0^M^M|', tcp_rcv: '200 OK|' })).toEqual([
      { send: 'GET / HTTP/1.0\\r\\n\\r\\n' },
      { expect: '200 OK', flags: 'i' },
    ]);
  });

  it('keeps Pandora send text literal and decodes HTML entities', () => {
    expect(pandoraToSteps({ tcp_send: 'a\\b ${x}', tcp_rcv: '&lt;ok&gt;&#33;' })).toEqual([
      { send: 'a\\\\b \\x24{x}' },
      { expect: '<ok>!', flags: 'i' },
    ]);
    expect(decodeHtmlEntities('&amp;&quot;&#x41;&unknown;')).toBe('&"A&unknown;');
  });

  it('translates Perl anchors and refuses Perl-only syntax at load', () => {
    expect(pandoraToSteps({ tcp_send: '', tcp_rcv: '\\AOK\\z' })).toEqual([{ expect: '^OK$', flags: 'i' }]);
    const parsed = tcpSchema.safeParse({ target: '127.0.0.1:22', pandora: { tcp_send: '', tcp_rcv: '\\Qa.b\\E' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['pandora']);
    expect(parsed.error!.issues[0]!.message).toContain('tcp_rcv element 1: "\\Q" is Perl-only regex syntax');
    const inline = tcpSchema.safeParse({ target: '127.0.0.1:22', pandora: { tcp_rcv: '(?i)ssh' } });
    expect(inline.error!.issues[0]!.message).toMatch(/tcp_send\/tcp_rcv translate to an invalid step 1 of 1: invalid regex/);
  });
});

describe('pandora import against a real server', () => {
  it('passes the SSH example like remote_tcp_proc would', async () => {
    const server = await serve(SSH_LIKE);
    const result = await runPandora(server.target, '|none^M', 'SSH-2.0|Protocol mismatch');
    expect(result.status, result.message).toBe('OK');
    expect(result.observation).toBe('ok');
    expect(server.connections[0]!.received.toString('latin1')).toBe('none\r\n');
  });

  it('matches case-insensitively, as Pandora does', async () => {
    const server = await serve(SSH_LIKE);
    const result = await runPandora(server.target, '|none^M', 'ssh-2\\.0|PROTOCOL MISMATCH');
    expect(result.status, result.message).toBe('OK');
  });

  it('fails when a round does not match, with the step and the reply', async () => {
    const server = await serve(SSH_LIKE);
    const result = await runPandora(server.target, '|none^M', 'SSH-2.0|Welcome');
    expect(result.status).toBe('CRITICAL');
    expect(result.observation).toBe('mismatch');
    expect(result.message).toContain('step 3 of 3 (expect /Welcome/i)');
    expect(result.message).toContain('got "Protocol mismatch.\\n"');
  });

  it('only checks the port when both fields are empty', async () => {
    const server = await serve([]);
    const result = await runPandora(server.target, '', '');
    expect(result.status, result.message).toBe('OK');
    expect(result.message).toContain('0 steps');
    expect(result.metrics['connect_ms']).toBeGreaterThanOrEqual(0);
  });
});
