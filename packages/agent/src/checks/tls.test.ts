import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type SecureVersion } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysFromNow, mintTestCa, mintTestCert, type TestCa, type TestCert } from './tls-test-cert.js';
import { tlsCheck, type TlsConfig } from './tls.js';

interface Peer {
  port: number;
  close(): Promise<void>;
}

const peers: Peer[] = [];
let dir: string;
let ca: TestCa;
let caFile: string;
let selfSigned: TestCert;
let selfSignedFile: string;

function track(server: TcpServer): Promise<Peer> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const peer: Peer = {
        port: (server.address() as { port: number }).port,
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      };
      peers.push(peer);
      resolve(peer);
    });
  });
}

/** A TLS server on 127.0.0.1:0 that completes the handshake and closes. */
function serveTls(cert: TestCert, chain: TestCa | undefined, maxVersion?: SecureVersion): Promise<Peer> {
  const server = createTlsServer(
    { key: cert.keyPem, cert: cert.certPem + (chain?.certPem ?? ''), ...(maxVersion ? { maxVersion } : {}) },
    (socket) => socket.end(),
  );
  server.on('tlsClientError', () => {});
  return track(server);
}

async function leafServer(options: Parameters<typeof mintTestCert>[0] = {}, maxVersion?: SecureVersion): Promise<Peer> {
  return serveTls(await mintTestCert({ issuer: ca, ...options }), ca, maxVersion);
}

function configFor(port: number, extra: Record<string, unknown> = {}): TlsConfig {
  return tlsCheck.schema.parse({ target: `127.0.0.1:${port}`, ca: caFile, ...extra });
}

const context = () => ({ signal: AbortSignal.timeout(20_000), timeoutMs: 20_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'op-tls-'));
  ca = await mintTestCa();
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.certPem);
  selfSigned = await mintTestCert();
  selfSignedFile = join(dir, 'self.pem');
  await writeFile(selfSignedFile, selfSigned.certPem);
});

afterAll(async () => {
  await Promise.all(peers.map((peer) => peer.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('tls check: expiry', () => {
  it('is CRITICAL expiring for a cert with 5 days left (default critical 7)', async () => {
    const peer = await leafServer({ notAfter: daysFromNow(5.5) });
    const result = await tlsCheck.run(configFor(peer.port), context());
    expect(result.status).toBe('CRITICAL');
    expect(result.observation).toBe('expiring');
    expect(result.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${peer.port} cert CN=test expires in 5 days \\(\\d{4}-\\d\\d-\\d\\d\\), TLSv1\\.3`));
    expect(result.metrics['days_left']).toBeGreaterThan(5);
    expect(result.metrics['days_left']).toBeLessThan(6);
    expect(result.metrics['chain_length']).toBe(2);
    expect(result.metrics['chain_valid']).toBe(1);
    expect(result.metrics['handshake_ms']).toBeGreaterThan(0);
  });

  it('is WARNING expiring for 15 days left (default warning 21)', async () => {
    const peer = await leafServer({ notAfter: daysFromNow(15.5) });
    const result = await tlsCheck.run(configFor(peer.port), context());
    expect([result.status, result.observation]).toEqual(['WARNING', 'expiring']);
    expect(result.message).toContain('expires in 15 days');
  });

  it('honours custom thresholds', async () => {
    const peer = await leafServer({ notAfter: daysFromNow(15.5) });
    const relaxed = await tlsCheck.run(configFor(peer.port, { expiry_warning_days: 10, expiry_critical_days: 3 }), context());
    expect([relaxed.status, relaxed.observation]).toEqual(['OK', 'ok']);
    const strict = await tlsCheck.run(configFor(peer.port, { expiry_warning_days: 60, expiry_critical_days: 30 }), context());
    expect([strict.status, strict.observation]).toEqual(['CRITICAL', 'expiring']);
  });

  it('is OK for a CA-signed chain with 30 days left, validated with `ca`', async () => {
    const peer = await leafServer();
    const result = await tlsCheck.run(configFor(peer.port), context());
    expect([result.status, result.observation]).toEqual(['OK', 'ok']);
    expect(result.metrics['days_left']).toBeGreaterThan(29);
    expect(result.metrics['chain_valid']).toBe(1);
  });

  it('is CRITICAL expired for a cert past notAfter', async () => {
    const peer = await leafServer({ notBefore: daysFromNow(-30), notAfter: daysFromNow(-2.5) });
    const result = await tlsCheck.run(configFor(peer.port), context());
    expect([result.status, result.observation]).toEqual(['CRITICAL', 'expired']);
    expect(result.message).toMatch(/cert CN=test expired 3 days ago/);
    expect(result.metrics['days_left']).toBeLessThan(-2);
  });

  it('is CRITICAL not_yet_valid for a cert before notBefore', async () => {
    const peer = await leafServer({ notBefore: daysFromNow(2), notAfter: daysFromNow(60) });
    const result = await tlsCheck.run(configFor(peer.port), context());
    expect([result.status, result.observation]).toEqual(['CRITICAL', 'not_yet_valid']);
    expect(result.message).toContain('not valid before');
  });
});

describe('tls check: trust, names, protocol', () => {
  it('is CRITICAL untrusted for a self-signed cert, with the OpenSSL reason', async () => {
    const peer = await serveTls(selfSigned, undefined);
    const result = await tlsCheck.run(tlsCheck.schema.parse({ target: `127.0.0.1:${peer.port}` }), context());
    expect([result.status, result.observation]).toEqual(['CRITICAL', 'untrusted']);
    expect(result.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(result.metrics['chain_valid']).toBe(0);
    expect(result.metrics['chain_length']).toBe(1);
  });

  it('reports but does not alert on an untrusted chain with verify_chain: false', async () => {
    const peer = await serveTls(selfSigned, undefined);
    const result = await tlsCheck.run(tlsCheck.schema.parse({ target: `127.0.0.1:${peer.port}`, verify_chain: false }), context());
    expect([result.status, result.observation]).toEqual(['OK', 'ok']);
    expect(result.metrics['chain_valid']).toBe(0);
    expect(result.message).toContain('chain untrusted');
  });

  it('trusts a self-signed cert named in `ca`', async () => {
    const peer = await serveTls(selfSigned, undefined);
    const result = await tlsCheck.run(tlsCheck.schema.parse({ target: `127.0.0.1:${peer.port}`, ca: selfSignedFile }), context());
    expect([result.status, result.observation]).toEqual(['OK', 'ok']);
  });

  it('is CRITICAL untrusted for a private-CA chain without `ca`', async () => {
    const peer = await leafServer();
    const result = await tlsCheck.run(tlsCheck.schema.parse({ target: `127.0.0.1:${peer.port}` }), context());
    expect([result.status, result.observation]).toEqual(['CRITICAL', 'untrusted']);
    expect(result.metrics['chain_valid']).toBe(0);
  });

  it('is CRITICAL hostname_mismatch when the cert does not name the target; servername fixes it', async () => {
    const peer = await leafServer({ dnsNames: ['other.example'], ipAddresses: [] });
    const byAddress = await tlsCheck.run(configFor(peer.port), context());
    expect([byAddress.status, byAddress.observation]).toEqual(['CRITICAL', 'hostname_mismatch']);
    expect(byAddress.message).toContain('not valid for 127.0.0.1');
    const byName = await tlsCheck.run(configFor(peer.port, { servername: 'other.example' }), context());
    expect([byName.status, byName.observation]).toEqual(['OK', 'ok']);
  });

  it('is CRITICAL old_protocol when min_version TLSv1.3 meets a server capped at TLSv1.2', async () => {
    const capped = await leafServer({}, 'TLSv1.2');
    const old = await tlsCheck.run(configFor(capped.port, { min_version: 'TLSv1.3' }), context());
    expect([old.status, old.observation]).toEqual(['CRITICAL', 'old_protocol']);
    expect(old.message).toContain('negotiated TLSv1.2, expected at least TLSv1.3');
    const accepted = await tlsCheck.run(configFor(capped.port, { min_version: 'TLSv1.2' }), context());
    expect([accepted.status, accepted.observation]).toEqual(['OK', 'ok']);
    expect(accepted.message).toMatch(/, TLSv1\.2$/);
  });

  it('checks expect_subject and expect_san', async () => {
    const peer = await leafServer({ commonName: 'api.lan', dnsNames: ['api.lan', 'localhost'] });
    const good = await tlsCheck.run(configFor(peer.port, { expect_subject: '^CN=api\\.lan$', expect_san: '^api\\.lan$' }), context());
    expect([good.status, good.observation]).toEqual(['OK', 'ok']);
    const badSubject = await tlsCheck.run(configFor(peer.port, { expect_subject: 'CN=prod' }), context());
    expect([badSubject.status, badSubject.observation]).toEqual(['CRITICAL', 'subject_mismatch']);
    const badSan = await tlsCheck.run(configFor(peer.port, { expect_san: 'example\\.com' }), context());
    expect([badSan.status, badSan.observation]).toEqual(['CRITICAL', 'subject_mismatch']);
    expect(badSan.message).toContain('DNS:api.lan');
  });
});

describe('tls check: failures as data', () => {
  it('is CRITICAL refused on a closed port', async () => {
    const peer = await track(createTcpServer());
    await peer.close();
    const result = await tlsCheck.run(configFor(peer.port), context());
    expect([result.status, result.observation]).toEqual(['CRITICAL', 'refused']);
  });

  it('returns timeout promptly when the peer accepts TCP but never answers the handshake', async () => {
    const peer = await track(createTcpServer());
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 300);
    const started = performance.now();
    try {
      const result = await tlsCheck.run(configFor(peer.port), { signal: controller.signal, timeoutMs: 300 });
      expect([result.status, result.observation]).toEqual(['CRITICAL', 'timeout']);
      expect(result.message).toContain('during the TLS handshake');
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      clearTimeout(timer);
    }
  });

  it('is UNKNOWN error when the ca file cannot be read', async () => {
    const result = await tlsCheck.run(configFor(1, { ca: join(dir, 'missing.pem') }), context());
    expect([result.status, result.observation]).toEqual(['UNKNOWN', 'error']);
    expect(result.message).toContain('ENOENT');
  });
});

describe('tls check: config', () => {
  const issues = (input: unknown) => {
    const parsed = tlsCheck.schema.safeParse(input);
    return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('fills defaults and defaults the port to 443', () => {
    const config = tlsCheck.schema.parse({ target: 'intranet.lan' });
    expect(config).toMatchObject({ target: { host: 'intranet.lan', port: 443 }, expiry_warning_days: 21, expiry_critical_days: 7, verify_chain: true });
    expect(tlsCheck.describe(config)).toBe('intranet.lan:443');
  });

  it('rejects expiry_critical_days larger than expiry_warning_days', () => {
    expect(issues({ target: 'a:1', expiry_warning_days: 10, expiry_critical_days: 30 })).toEqual([
      'expiry_critical_days: expected expiry_critical_days no larger than expiry_warning_days (10), got 30',
    ]);
  });

  it('rejects a bad target, version, regex and unknown keys', () => {
    expect(issues({ target: 'host:99999' })[0]).toContain('expected "host" or "host:port" (default port 443)');
    expect(issues({ target: 'a:1', min_version: 'SSLv3' })[0]).toMatch(/^min_version: /);
    expect(issues({ target: 'a:1', expect_subject: '(' })[0]).toMatch(/^expect_subject: expected a regular expression, got "\("/);
    expect(issues({ target: 'a:1', expiry_days: 3 })[0]).toContain('expiry_days');
  });
});
